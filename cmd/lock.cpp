#include "lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "store/postgres.hpp"

namespace opsdesk::cli {

namespace {

// A job's key in the desk's advisory lock space; never the write lock's.
int job_key(const std::string& job) {
  std::uint32_t h = 2166136261u;  // FNV-1a
  for (const char c : job) h = (h ^ static_cast<unsigned char>(c)) * 16777619u;
  return 2 + static_cast<int>(h % 1'000'000'000u);
}

}  // namespace

RunLock::RunLock(const store::StoreOptions& store, const std::string& job, const std::string& what) {
  if (store::is_postgres_url(store.path.string())) {
    auto db = std::make_unique<store::PgDb>(store.path.string(), store::Mode::read_only, store.busy_timeout,
                                            store.password_file);
    if (!db->try_session_lock(job_key(job)))
      throw Error(ErrorKind::busy, fmt::format("another {} is still going on this desk ({}, from this or another host); "
                                               "try again later",
                                               what, db->path().string()));
    m_holder = std::move(db);
    return;
  }
  const auto path = std::filesystem::path(store.path.string() + "." + job + ".lock");
  core::make_private_dirs(path.parent_path());
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (m_fd < 0) throw Error(ErrorKind::io, fmt::format("cannot open the lock file {}", path.string()));
  if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0)
    throw Error(ErrorKind::busy,
                fmt::format("another {} is still going on this store (lock {}); try again later", what, path.string()));
}

RunLock::~RunLock() {
  if (m_fd >= 0) ::close(m_fd);
}

}  // namespace opsdesk::cli
