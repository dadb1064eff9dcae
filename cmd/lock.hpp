#pragma once
// One run of a cron job at a time per store: an advisory lock file beside the store, held
// until the process ends; a second run exits 75 with a clear message instead of running twice.
#include <filesystem>
#include <string>

namespace opsdesk::cli {

class RunLock {
 public:
  // `what` names the job in the message ("inspect run").
  RunLock(const std::filesystem::path& store, const std::string& job, const std::string& what);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int m_fd = -1;
};

}  // namespace opsdesk::cli
