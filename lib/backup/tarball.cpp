#include "backup/tarball.hpp"

#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <set>

#include "backup/libarchive.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/strings.hpp"

namespace opsdesk::backup {

namespace fs = std::filesystem;

namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const {
    if (a) libarchive().archive_free(a);
  }
};
struct EntryDeleter {
  void operator()(archive_entry* e) const { libarchive().archive_entry_free(e); }
};

[[noreturn]] void archive_error(archive* a, std::string_view doing) {
  throw Error(ErrorKind::io, fmt::format("cannot {}: {}", doing, libarchive().archive_error_string(a) ? libarchive().archive_error_string(a) : "?"));
}

bool excluded(const std::string& path, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns) {
    if (::fnmatch(p.c_str(), path.c_str(), 0) == 0) return true;
    for (const auto& part : core::split(path, '/')) {
      if (!part.empty() && ::fnmatch(p.c_str(), part.c_str(), 0) == 0) return true;
    }
    // "cache/" excludes a directory named cache.
    if (p.ends_with('/') && ("/" + path + "/").find("/" + p) != std::string::npos) return true;
  }
  return false;
}

class TarWriter {
 public:
  TarWriter(const std::vector<std::string>& exclude, const std::function<void(std::string_view)>& sink)
      : m_exclude(exclude), m_sink(sink), m_archive(libarchive().archive_write_new()) {
    libarchive().archive_write_set_format_pax_restricted(m_archive.get());
    libarchive().archive_write_set_bytes_in_last_block(m_archive.get(), 1);
    if (libarchive().archive_write_open2(m_archive.get(), this, nullptr, &TarWriter::on_write, nullptr, nullptr) != ARCHIVE_OK)
      archive_error(m_archive.get(), "start the archive");
  }

  void add(const fs::path& path) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) throw Error(ErrorKind::io, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    std::string name = path.lexically_normal().string();
    while (name.size() > 1 && name.back() == '/') name.pop_back();
    if (excluded(name, m_exclude) || !m_seen.insert(name).second) return;
    std::string stored = name;
    while (stored.starts_with("/")) stored.erase(0, 1);
    if (stored.empty()) stored = ".";
    FileEntry e;
    e.path = stored;
    e.mode = st.st_mode & 07777;
    e.mtime = st.st_mtime;
    std::unique_ptr<archive_entry, EntryDeleter> entry(libarchive().archive_entry_new());
    libarchive().archive_entry_set_pathname_utf8(entry.get(), stored.c_str());
    libarchive().archive_entry_set_perm(entry.get(), static_cast<mode_t>(e.mode));
    libarchive().archive_entry_set_mtime(entry.get(), st.st_mtime, st.st_mtim.tv_nsec);
    libarchive().archive_entry_set_uid(entry.get(), st.st_uid);
    libarchive().archive_entry_set_gid(entry.get(), st.st_gid);
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 256, '\0');
      const auto n = ::readlink(path.c_str(), target.data(), target.size());
      target.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
      e.type = "symlink";
      e.link = target;
      libarchive().archive_entry_set_filetype(entry.get(), AE_IFLNK);
      libarchive().archive_entry_set_symlink_utf8(entry.get(), target.c_str());
      header(entry.get(), name);
    } else if (S_ISDIR(st.st_mode)) {
      e.type = "dir";
      libarchive().archive_entry_set_filetype(entry.get(), AE_IFDIR);
      header(entry.get(), name);
      m_entries.push_back(e);
      std::vector<fs::path> children;
      std::error_code ec;
      for (const auto& child : fs::directory_iterator(path, ec)) children.push_back(child.path());
      if (ec) throw Error(ErrorKind::io, fmt::format("cannot read the directory {}: {}", name, ec.message()));
      std::sort(children.begin(), children.end());
      for (const auto& c : children) add(c);
      return;
    } else if (S_ISREG(st.st_mode)) {
      e.type = "file";
      e.size = st.st_size;
      libarchive().archive_entry_set_filetype(entry.get(), AE_IFREG);
      libarchive().archive_entry_set_size(entry.get(), st.st_size);
      header(entry.get(), name);
      e.sha256 = copy_file(path, st.st_size);
    } else {
      return;  // sockets, devices and pipes are not backed up
    }
    m_entries.push_back(e);
  }

  std::vector<FileEntry> finish() {
    if (libarchive().archive_write_close(m_archive.get()) != ARCHIVE_OK) archive_error(m_archive.get(), "finish the archive");
    return std::move(m_entries);
  }

 private:
  static la_ssize_t on_write(archive*, void* self, const void* buf, std::size_t n) {
    static_cast<TarWriter*>(self)->m_sink({static_cast<const char*>(buf), n});
    return static_cast<la_ssize_t>(n);
  }

  void header(archive_entry* e, const std::string& name) {
    if (libarchive().archive_write_header(m_archive.get(), e) != ARCHIVE_OK) archive_error(m_archive.get(), "archive " + name);
  }

  std::string copy_file(const fs::path& path, std::int64_t size) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) throw Error(ErrorKind::io, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
    core::Sha256 hash;
    std::vector<char> buf(1 << 20);
    std::int64_t left = size;
    while (left > 0) {
      const ssize_t n = ::read(fd, buf.data(), static_cast<std::size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size()))));
      if (n <= 0) break;  // shrank while being read: pad below, as tar must
      hash.update({buf.data(), static_cast<std::size_t>(n)});
      libarchive().archive_write_data(m_archive.get(), buf.data(), static_cast<std::size_t>(n));
      left -= n;
    }
    ::close(fd);
    if (left > 0) {
      std::fill(buf.begin(), buf.end(), '\0');
      while (left > 0) {
        const auto n = static_cast<std::size_t>(std::min<std::int64_t>(left, static_cast<std::int64_t>(buf.size())));
        hash.update({buf.data(), n});
        libarchive().archive_write_data(m_archive.get(), buf.data(), n);
        left -= static_cast<std::int64_t>(n);
      }
    }
    return hash.hex();
  }

  const std::vector<std::string>& m_exclude;
  const std::function<void(std::string_view)>& m_sink;
  std::unique_ptr<archive, ArchiveDeleter> m_archive;
  std::vector<FileEntry> m_entries;
  std::set<std::string> m_seen;
};

// A relative path with no "..", or nullopt.
std::optional<fs::path> safe_relative(std::string_view name) {
  fs::path p(name);
  if (p.is_absolute()) return std::nullopt;
  fs::path out;
  for (const auto& part : p) {
    if (part == "..") return std::nullopt;
    if (part == "." || part.empty()) continue;
    out /= part;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

// No component between `dir` and `target` may be a symlink (an archive could plant one).
void check_no_symlink(const fs::path& dir, const fs::path& relative) {
  fs::path at = dir;
  for (const auto& part : relative.parent_path()) {
    at /= part;
    struct stat st {};
    if (::lstat(at.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
      throw Error(ErrorKind::data, fmt::format("the archive would write through the symlink {}", at.string()));
  }
}

}  // namespace

std::vector<FileEntry> write_tar(const std::vector<std::string>& paths, const std::vector<std::string>& exclude,
                                 const std::function<void(std::string_view)>& sink) {
  TarWriter writer(exclude, sink);
  for (const auto& pattern : paths) {
    glob_t g{};
    const int rc = ::glob(pattern.c_str(), GLOB_NOCHECK, nullptr, &g);
    std::vector<std::string> found(g.gl_pathv, g.gl_pathv + (rc == 0 ? g.gl_pathc : 0));
    ::globfree(&g);
    std::sort(found.begin(), found.end());
    bool any = false;
    for (const auto& f : found) {
      struct stat st {};
      if (::lstat(f.c_str(), &st) != 0) continue;
      writer.add(f);
      any = true;
    }
    if (!any) throw Error(ErrorKind::not_found, fmt::format("nothing matches {}", pattern));
  }
  return writer.finish();
}

std::vector<FileEntry> extract_tar(const std::function<std::string_view()>& source, const fs::path& dir) {
  struct Reader {
    const std::function<std::string_view()>& source;
    std::string_view chunk;
  } reader{source, {}};
  std::unique_ptr<archive, ArchiveDeleter> a(libarchive().archive_read_new());
  libarchive().archive_read_support_format_tar(a.get());
  auto on_read = [](archive*, void* self, const void** buf) -> la_ssize_t {
    auto* r = static_cast<Reader*>(self);
    r->chunk = r->source();
    *buf = r->chunk.data();
    return static_cast<la_ssize_t>(r->chunk.size());
  };
  if (libarchive().archive_read_open(a.get(), &reader, nullptr, on_read, nullptr) != ARCHIVE_OK) archive_error(a.get(), "read the archive");
  std::vector<FileEntry> out;
  // Directories' modes and times are set after their contents: a read-only one must take its
  // files first, and writing them would move its time.
  struct DirStat {
    fs::path path;
    std::int64_t mtime;
    mode_t mode;
  };
  std::vector<DirStat> dirs;
  archive_entry* entry = nullptr;
  while (true) {
    const int rc = libarchive().archive_read_next_header(a.get(), &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) archive_error(a.get(), "read the archive");
    const char* raw_name = libarchive().archive_entry_pathname_utf8(entry);
    if (!raw_name) raw_name = libarchive().archive_entry_pathname(entry);
    const std::string name = raw_name ? raw_name : "";
    if (name == ".") continue;
    const auto rel = safe_relative(name);
    if (!rel) throw Error(ErrorKind::data, fmt::format("the archive holds an unsafe path: {}", name));
    check_no_symlink(dir, *rel);
    const fs::path target = dir / *rel;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    FileEntry e;
    e.path = rel->string();
    e.mode = static_cast<std::uint32_t>(libarchive().archive_entry_perm(entry));
    e.mtime = libarchive().archive_entry_mtime(entry);
    const auto type = libarchive().archive_entry_filetype(entry);
    if (type == AE_IFDIR) {
      e.type = "dir";
      if (::mkdir(target.c_str(), 0700) != 0 && errno != EEXIST)
        throw Error(ErrorKind::io, fmt::format("cannot create {}: {}", target.string(), std::strerror(errno)));
      // What is already there must be a directory: chmod and the times would follow a symlink
      // that an earlier entry planted under this name out of `dir`.
      struct stat st {};
      if (::lstat(target.c_str(), &st) != 0 || S_ISLNK(st.st_mode))
        throw Error(ErrorKind::data, fmt::format("the archive would write through the symlink {}", target.string()));
      if (!S_ISDIR(st.st_mode))
        throw Error(ErrorKind::io, fmt::format("cannot create {}: {}", target.string(), std::strerror(EEXIST)));
      dirs.push_back({target, e.mtime, static_cast<mode_t>(e.mode)});
    } else if (type == AE_IFLNK) {
      e.type = "symlink";
      const char* link = libarchive().archive_entry_symlink_utf8(entry);
      if (!link) link = libarchive().archive_entry_symlink(entry);
      e.link = link ? link : "";
      if (::symlink(e.link.c_str(), target.c_str()) != 0)
        throw Error(ErrorKind::io, fmt::format("cannot create the symlink {}: {}", target.string(), std::strerror(errno)));
      const timespec times[2] = {{e.mtime, 0}, {e.mtime, 0}};
      ::utimensat(AT_FDCWD, target.c_str(), times, AT_SYMLINK_NOFOLLOW);
    } else if (type == AE_IFREG) {
      e.type = "file";
      const int fd = ::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0) throw Error(ErrorKind::io, fmt::format("cannot create {}: {}", target.string(), std::strerror(errno)));
      core::Sha256 hash;
      const void* buf = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      int r = 0;
      while ((r = libarchive().archive_read_data_block(a.get(), &buf, &size, &offset)) == ARCHIVE_OK) {
        hash.update({static_cast<const char*>(buf), size});
        if (::pwrite(fd, buf, size, offset) != static_cast<ssize_t>(size)) {
          const int err = errno;
          ::close(fd);
          throw Error(ErrorKind::io, fmt::format("cannot write {}: {}", target.string(), std::strerror(err)));
        }
        e.size += static_cast<std::int64_t>(size);
      }
      if (r != ARCHIVE_EOF) {
        ::close(fd);
        archive_error(a.get(), "read " + name);
      }
      ::fchmod(fd, static_cast<mode_t>(e.mode));
      const timespec times[2] = {{e.mtime, 0}, {e.mtime, 0}};
      ::futimens(fd, times);
      ::close(fd);
      e.sha256 = hash.hex();
    } else {
      continue;
    }
    out.push_back(std::move(e));
  }
  std::set<fs::path> done;  // a directory listed twice: its last entry counts
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    if (!done.insert(it->path).second) continue;
    ::chmod(it->path.c_str(), it->mode);
    const timespec times[2] = {{it->mtime, 0}, {it->mtime, 0}};
    ::utimensat(AT_FDCWD, it->path.c_str(), times, 0);
  }
  return out;
}

}  // namespace opsdesk::backup
