#include "lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/fs.hpp"

namespace opsdesk::cli {

RunLock::RunLock(const std::filesystem::path& store, const std::string& job, const std::string& what) {
  const auto path = std::filesystem::path(store.string() + "." + job + ".lock");
  core::make_private_dirs(path.parent_path());
  m_fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (m_fd < 0) throw Error(ErrorKind::io, fmt::format("cannot open the lock file {}", path.string()));
  if (::flock(m_fd, LOCK_EX | LOCK_NB) != 0)
    throw Error(ErrorKind::busy,
                fmt::format("another {} is still going on this store (lock {}); try again later", what, path.string()));
}

RunLock::~RunLock() { ::close(m_fd); }

}  // namespace opsdesk::cli
