#include "core/fs.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"

namespace opsdesk::core {

namespace fs = std::filesystem;

namespace {

fs::path home() {
  const char* h = std::getenv("HOME");
  if (!h || !*h) throw Error(ErrorKind::config, "HOME is not set; set HOME or pass --db and --config");
  return h;
}

fs::path xdg(const char* variable, const char* fallback) {
  const char* v = std::getenv(variable);
  if (v && *v == '/') return v;  // the spec says relative values are ignored
  return home() / fallback;
}

[[noreturn]] void io_error(std::string_view what, const fs::path& path, int err) {
  throw Error(ErrorKind::io,
              fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(err)));
}

void fsync_dir(const fs::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

fs::path xdg_config_home() { return xdg("XDG_CONFIG_HOME", ".config"); }
fs::path xdg_data_home() { return xdg("XDG_DATA_HOME", ".local/share"); }

fs::path expand_home(std::string_view path) {
  if (path == "~") return home();
  if (path.starts_with("~/")) return home() / path.substr(2);
  return fs::path(path);
}

void make_private_dirs(const fs::path& dir) {
  if (dir.empty()) return;
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  make_private_dirs(dir.parent_path());
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) io_error("create directory", dir, errno);
}

bool create_private_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return false;
    io_error("create", path, errno);
  }
  ::fchmod(fd, 0600);  // whatever the umask
  ::close(fd);
  return true;
}

AtomicFile::AtomicFile(fs::path path) : m_path(std::move(path)) {
  const fs::path dir = m_path.parent_path();
  m_temp = (dir.empty() ? fs::path(".") : dir) / ("." + m_path.filename().string() + ".tmp-XXXXXX");
  m_fd = ::mkostemp(m_temp.data(), O_CLOEXEC);
  if (m_fd < 0) io_error("write", m_path, errno);
  ::fchmod(m_fd, 0600);  // whatever the umask
}

AtomicFile::~AtomicFile() {
  if (m_fd < 0) return;
  ::close(m_fd);
  ::unlink(m_temp.c_str());
}

void AtomicFile::flush() {
  const char* p = m_buffer.data();
  std::size_t left = m_buffer.size();
  while (left > 0) {
    const ssize_t n = ::write(m_fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("write", m_path, errno);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  m_buffer.clear();
}

void AtomicFile::write(std::string_view data) {
  m_buffer.append(data);
  if (m_buffer.size() >= (1 << 20)) flush();
}

void AtomicFile::commit() {
  flush();
  if (::fsync(m_fd) != 0) io_error("write", m_path, errno);
  const int fd = m_fd;
  m_fd = -1;
  if (::close(fd) != 0 || ::rename(m_temp.c_str(), m_path.c_str()) != 0) {
    const int err = errno;
    ::unlink(m_temp.c_str());
    io_error("write", m_path, err);
  }
  fsync_dir(m_path.parent_path());
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  AtomicFile file(path);
  file.write(content);
  file.commit();
}

std::string read_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(ErrorKind::not_found, fmt::format("no such file: {}", path.string()));
    io_error("read", path, errno);
  }
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      io_error("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

std::string read_stdin() {
  std::string out;
  char buf[65536];
  while (true) {
    const ssize_t n = ::read(0, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      io_error("read", "standard input", errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

InputFile::InputFile(const fs::path& path) {
  if (path == "-") {
    m_buffer = read_stdin();
    return;
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(ErrorKind::not_found, fmt::format("no such file: {}", path.string()));
    io_error("read", path, errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    io_error("read", path, err);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw Error(ErrorKind::io, fmt::format("cannot read {}: it is a directory", path.string()));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    m_buffer = read_file(path);
    return;
  }
  m_size = static_cast<std::size_t>(st.st_size);
  if (m_size > 0) {
    void* p = ::mmap(nullptr, m_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int err = errno;
      ::close(fd);
      io_error("read", path, err);
    }
    m_data = static_cast<const char*>(p);
  }
  ::close(fd);
}

InputFile::~InputFile() {
  if (m_data) ::munmap(const_cast<char*>(m_data), m_size);
}

ScratchDir::ScratchDir(const std::filesystem::path& near) {
  std::string pattern = (near / ".opsdesk-restore-XXXXXX").string();
  if (!::mkdtemp(pattern.data()))
    throw Error(ErrorKind::io, fmt::format("cannot make a directory in {}: {}", near.string(), std::strerror(errno)));
  m_path = pattern;
}

ScratchDir::~ScratchDir() {
  if (m_path.empty()) return;
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::filesystem::path ScratchDir::release() {
  auto p = m_path;
  m_path.clear();
  return p;
}

}  // namespace opsdesk::core
