#pragma once
// One run of a cron job at a time per store, held until the process ends; a second run exits
// 75 with a clear message instead of running twice. SQLite: an advisory lock file beside the
// store. PostgreSQL: a session advisory lock on the desk's database, so that cron jobs on
// several hosts sharing one desk take turns too.
#include <memory>
#include <string>

#include "store/store.hpp"

namespace opsdesk::cli {

class RunLock {
 public:
  // `what` names the job in the message ("inspect run").
  RunLock(const store::StoreOptions& store, const std::string& job, const std::string& what);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int m_fd = -1;
  std::unique_ptr<store::Db> m_holder;  // PostgreSQL: the connection that holds the lock
};

}  // namespace opsdesk::cli
