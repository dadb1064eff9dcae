// Files as a tar archive: modes, times and symlinks kept (never followed), odd names, excludes,
// a SHA-256 per file; extraction that keeps every entry inside its destination.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backup/libarchive.hpp"
#include "backup/tarball.hpp"
#include "core/hash.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using backup::extract_tar;
using backup::FileEntry;
using backup::write_tar;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::slurp;
using opsdesk::test::spit;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;

namespace fs = std::filesystem;

TEST_SUITE_BEGIN("backup");

namespace {

using Strings = std::vector<std::string>;

constexpr std::int64_t k_t0 = 1764000000;  // 2025-11-24

struct Stat {
  unsigned mode = 0;
  std::int64_t mtime = 0;
  bool is_link = false;
};

Stat lstat_of(const fs::path& p) {
  struct stat st {};
  REQUIRE_MESSAGE(::lstat(p.c_str(), &st) == 0, "lstat ", p.string());
  return {static_cast<unsigned>(st.st_mode & 07777), static_cast<std::int64_t>(st.st_mtime), S_ISLNK(st.st_mode)};
}

void set_mtime(const fs::path& p, std::int64_t t) {
  const timespec times[2] = {{t, 123456789}, {t, 123456789}};
  REQUIRE(::utimensat(AT_FDCWD, p.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(gen() & 0xff);
  return out;
}

// A tree with files of several modes, a big file, symlinks (relative, absolute, dangling, to a
// directory), odd names, a FIFO, and things to exclude. Every entry gets its own mtime.
struct Tree {
  TempDir tmp;
  fs::path src = tmp / "src";
  fs::path outside = tmp / "outside.txt";
  std::string prefix;  // how src is named inside the archive: without its leading '/'
  std::map<std::string, std::string> contents;  // relative path -> file content

  Tree() {
    test::UmaskGuard umask(0);
    spit(outside, "OUTSIDE-MARKER-7f3a");
    fs::create_directories(src / "bin");
    fs::create_directories(src / "cache");
    fs::create_directories(src / "mycache");
    fs::create_directories(src / "sub" / "deep");
    file("a.txt", "hello\n", 0640);
    file("app.log", "log line\n", 0644);
    file("big.bin", random_bytes((3u << 20) + 17, 11), 0600);
    file("bin/run.sh", "#!/bin/sh\necho hi\n", 0754);
    file("cache/x.bin", "cached", 0644);
    file("catalog.txt", "not a log", 0644);
    file("empty", "", 0400);
    file("mycache/y.txt", "mine", 0644);
    file("new\nline.txt", "newline in the name", 0644);
    file("sub/deep/y.log", "deep log", 0644);
    file("sub/keep.txt", "keep", 0664);
    file("with space.txt", "spaces", 0644);
    file("数据库 备份.txt", "数据库连接池", 0644);
    fs::create_symlink("a.txt", src / "link");
    fs::create_symlink(outside, src / "abs");
    fs::create_symlink("does/not/exist", src / "dangling");
    fs::create_symlink("sub", src / "dirlink");
    REQUIRE(::mkfifo((src / "fifo").c_str(), 0644) == 0);
    ::chmod((src / "bin").c_str(), 0751);
    ::chmod((src / "sub").c_str(), 0700);
    ::chmod((src / "sub" / "deep").c_str(), 0755);
    ::chmod(src.c_str(), 0750);
    // Times last, deepest first, so that creating entries does not move a directory's time.
    std::int64_t t = k_t0;
    for (const auto& rel : paths()) set_mtime(rel.empty() ? src : src / rel, t += 3600);
    prefix = src.relative_path().string();
  }

  void file(const std::string& rel, const std::string& content, mode_t mode) {
    spit(src / rel, content);
    REQUIRE(::chmod((src / rel).c_str(), mode) == 0);
    contents[rel] = content;
  }

  // Every path under src (relative; "" for src), children before their directory.
  Strings paths() const {
    Strings out;
    for (auto it = fs::recursive_directory_iterator(src); it != fs::recursive_directory_iterator(); ++it)
      out.push_back(it->path().lexically_relative(src).string());
    std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
      return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
    });
    out.push_back("");
    return out;
  }

  std::string stored(const std::string& rel) const { return rel.empty() ? prefix : prefix + "/" + rel; }

  std::vector<FileEntry> tar(std::string& archive, const Strings& exclude = {}) const {
    return write_tar({src.string()}, exclude, [&](std::string_view bytes) { archive.append(bytes); });
  }
};

// The archive's bytes handed out in pieces of `piece`, then an empty piece.
std::function<std::string_view()> pieces(const std::string& archive, std::size_t piece) {
  auto at = std::make_shared<std::size_t>(0);
  return [&archive, piece, at]() -> std::string_view {
    const std::string_view rest = std::string_view(archive).substr(*at);
    const auto n = std::min(piece, rest.size());
    *at += n;
    return rest.substr(0, n);
  };
}

Strings paths_of(const std::vector<FileEntry>& entries, const std::string& prefix) {
  Strings out;
  for (const auto& e : entries) {
    if (e.path == prefix) out.push_back("");
    else {
      REQUIRE_MESSAGE(e.path.starts_with(prefix + "/"), e.path);
      out.push_back(e.path.substr(prefix.size() + 1));
    }
  }
  return out;
}

const FileEntry& entry(const std::vector<FileEntry>& entries, const std::string& path) {
  const auto it = std::find_if(entries.begin(), entries.end(), [&](const FileEntry& e) { return e.path == path; });
  REQUIRE_MESSAGE(it != entries.end(), "no entry ", path);
  return *it;
}

// An archive written entry by entry with libarchive, for archives write_tar would never make.
struct Crafted {
  std::string path;
  unsigned type = AE_IFREG;
  std::string content;
  std::string link;
  unsigned mode = 0644;
};

std::string craft(const std::vector<Crafted>& entries) {
  const auto& la = backup::libarchive();
  std::string out;
  archive* a = la.archive_write_new();
  la.archive_write_set_format_pax_restricted(a);
  auto on_write = [](archive*, void* self, const void* buf, std::size_t n) -> la_ssize_t {
    static_cast<std::string*>(self)->append(static_cast<const char*>(buf), n);
    return static_cast<la_ssize_t>(n);
  };
  REQUIRE(la.archive_write_open2(a, &out, nullptr, on_write, nullptr, nullptr) == ARCHIVE_OK);
  for (const auto& c : entries) {
    archive_entry* e = la.archive_entry_new();
    la.archive_entry_set_pathname_utf8(e, c.path.c_str());
    la.archive_entry_set_filetype(e, c.type);
    la.archive_entry_set_perm(e, c.mode);
    la.archive_entry_set_mtime(e, k_t0, 0);
    if (c.type == AE_IFLNK) la.archive_entry_set_symlink_utf8(e, c.link.c_str());
    if (c.type == AE_IFREG) la.archive_entry_set_size(e, static_cast<la_int64_t>(c.content.size()));
    REQUIRE(la.archive_write_header(a, e) == ARCHIVE_OK);
    if (!c.content.empty()) la.archive_write_data(a, c.content.data(), c.content.size());
    la.archive_entry_free(e);
  }
  REQUIRE(la.archive_write_close(a) == ARCHIVE_OK);
  la.archive_free(a);
  return out;
}

}  // namespace

TEST_CASE("backup::write_tar") {
  Tree tree;
  std::string archive;
  SUBCASE("walks directories in name order, stores symlinks as links, skips a FIFO") {
    const auto entries = tree.tar(archive);
    CHECK(paths_of(entries, tree.prefix) ==
          Strings{"", "a.txt", "abs", "app.log", "big.bin", "bin", "bin/run.sh", "cache", "cache/x.bin",
                  "catalog.txt", "dangling", "dirlink", "empty", "link", "mycache", "mycache/y.txt", "new\nline.txt",
                  "sub", "sub/deep", "sub/deep/y.log", "sub/keep.txt", "with space.txt", "数据库 备份.txt"});
    for (const auto& e : entries) {
      CAPTURE(e.path);
      const std::string rel = e.path == tree.prefix ? "" : e.path.substr(tree.prefix.size() + 1);
      const auto st = lstat_of(rel.empty() ? tree.src : tree.src / rel);
      CHECK(e.mode == st.mode);
      CHECK(e.mtime == st.mtime);
      if (e.type == "file") {
        REQUIRE(tree.contents.count(rel) == 1);
        CHECK(e.size == static_cast<std::int64_t>(tree.contents[rel].size()));
        CHECK(e.sha256 == core::sha256_hex(tree.contents[rel]));
        CHECK(e.link.empty());
      } else {
        CHECK(e.sha256.empty());
        CHECK(e.size == 0);
      }
    }
    CHECK(entry(entries, tree.stored("")).type == "dir");
    CHECK(entry(entries, tree.stored("")).mode == 0750);
    CHECK(entry(entries, tree.stored("bin")).mode == 0751);
    CHECK(entry(entries, tree.stored("bin/run.sh")).mode == 0754);
    CHECK(entry(entries, tree.stored("empty")).mode == 0400);
    CHECK(entry(entries, tree.stored("empty")).sha256 ==
          "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(entry(entries, tree.stored("a.txt")).sha256 ==
          "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    // The times set above, not the time of the test: src got the last one.
    CHECK(entry(entries, tree.stored("")).mtime == k_t0 + 3600 * static_cast<std::int64_t>(tree.paths().size()));
    const auto& abs = entry(entries, tree.stored("abs"));
    CHECK(abs.type == "symlink");
    CHECK(abs.link == tree.outside.string());
    CHECK(entry(entries, tree.stored("link")).link == "a.txt");
    CHECK(entry(entries, tree.stored("dangling")).link == "does/not/exist");
    CHECK(entry(entries, tree.stored("dirlink")).type == "symlink");
    CHECK(entry(entries, tree.stored("dirlink")).link == "sub");
    // Not followed: the file outside is not in the archive.
    CHECK_FALSE(has(archive, "OUTSIDE-MARKER"));
  }
  SUBCASE("excludes: a name glob, a whole-path glob, a directory") {
    const auto entries = tree.tar(archive, {"*.log", "cache/", "*/sub/deep", "with*"});
    CHECK(paths_of(entries, tree.prefix) ==
          Strings{"", "a.txt", "abs", "big.bin", "bin", "bin/run.sh", "catalog.txt", "dangling", "dirlink", "empty",
                  "link", "mycache", "mycache/y.txt", "new\nline.txt", "sub", "sub/keep.txt", "数据库 备份.txt"});
    CHECK_FALSE(has(archive, "log line"));
    CHECK_FALSE(has(archive, "cached"));
  }
  SUBCASE("an exact name excludes files and directories of that name anywhere") {
    const auto entries = tree.tar(archive, {"y.txt", "bin"});
    CHECK(paths_of(entries, tree.prefix) ==
          Strings{"", "a.txt", "abs", "app.log", "big.bin", "cache", "cache/x.bin", "catalog.txt", "dangling",
                  "dirlink", "empty", "link", "mycache", "new\nline.txt", "sub", "sub/deep", "sub/deep/y.log",
                  "sub/keep.txt", "with space.txt", "数据库 备份.txt"});
  }
  SUBCASE("globs in paths expand; a path given twice is stored once") {
    const auto entries = write_tar({(tree.src / "*.txt").string(), (tree.src / "a.txt").string()}, {},
                                   [&](std::string_view b) { archive.append(b); });
    CHECK(paths_of(entries, tree.prefix) ==
          Strings{"a.txt", "catalog.txt", "new\nline.txt", "with space.txt", "数据库 备份.txt"});
  }
  SUBCASE("a path that matches nothing") {
    const auto missing = (tree.src / "nope*").string();
    const auto e = thrown([&] { write_tar({missing}, {}, [](std::string_view) {}); });
    CHECK(kind(e) == "not_found");
    CHECK(std::string(e.what()) == "nothing matches " + missing);
    CHECK(kind(thrown([&] { write_tar({(tree.src / "absent").string()}, {}, [](std::string_view) {}); })) ==
          "not_found");
  }
}

TEST_CASE("backup::extract_tar round trip") {
  Tree tree;
  std::string archive;
  const auto written = tree.tar(archive);
  TempDir dest;
  std::size_t piece = 1;
  SUBCASE("fed in 10000-byte pieces") { piece = 10000; }
  SUBCASE("fed in one piece") { piece = archive.size(); }
  SUBCASE("fed in 511-byte pieces") { piece = 511; }
  const auto extracted = extract_tar(pieces(archive, piece), dest.path);
  REQUIRE(extracted.size() == written.size());
  for (std::size_t i = 0; i < written.size(); ++i) {
    const auto& w = written[i];
    const auto& x = extracted[i];
    CAPTURE(w.path);
    CHECK(x.path == w.path);
    CHECK(x.type == w.type);
    CHECK(x.size == w.size);
    CHECK(x.mode == w.mode);
    CHECK(x.mtime == w.mtime);
    CHECK(x.sha256 == w.sha256);
    CHECK(x.link == w.link);
  }
  // On disk: contents, modes, times and links as they were.
  for (const auto& rel : tree.paths()) {
    if (rel == "fifo") {
      CHECK_FALSE(fs::exists(fs::symlink_status(dest / tree.stored(rel))));
      continue;
    }
    CAPTURE(rel);
    const auto there = dest / tree.stored(rel);
    const auto was = lstat_of(rel.empty() ? tree.src : tree.src / rel);
    const auto now = lstat_of(there);
    CHECK(now.is_link == was.is_link);
    CHECK(now.mtime == was.mtime);
    if (!now.is_link) CHECK(now.mode == was.mode);
    if (tree.contents.count(rel)) CHECK(slurp(there) == tree.contents[rel]);
  }
  CHECK(fs::read_symlink(dest / tree.stored("abs")) == tree.outside);
  CHECK(fs::read_symlink(dest / tree.stored("link")) == "a.txt");
  CHECK(fs::read_symlink(dest / tree.stored("dangling")) == "does/not/exist");
  CHECK(fs::is_symlink(dest / tree.stored("dirlink")));
  CHECK(slurp(tree.outside) == "OUTSIDE-MARKER-7f3a");
}

TEST_CASE("backup::extract_tar, a read-only directory as an ordinary user") {
  // Its mode may be set only after its contents are written: root would not notice, so the
  // extraction runs in a child process as nobody when the tests run as root.
  TempDir tmp;
  const auto src = tmp / "src";
  fs::create_directories(src / "ro" / "inner");
  spit(src / "ro" / "inner" / "f.txt", "inside");
  spit(src / "ro" / "g.txt", "beside");
  ::chmod((src / "ro" / "inner").c_str(), 0500);
  ::chmod((src / "ro").c_str(), 0555);
  std::string archive;
  write_tar({(src / "ro").string()}, {}, [&](std::string_view b) { archive.append(b); });
  TempDir dest;
  const auto ro = dest / src.relative_path() / "ro";
  struct Writable {  // so that the temp dirs can go whatever happens
    std::vector<fs::path> dirs;
    ~Writable() {
      for (const auto& d : dirs) ::chmod(d.c_str(), 0755);
    }
  } writable{{src / "ro", src / "ro" / "inner", ro, ro / "inner"}};
  const bool root = ::geteuid() == 0;
  if (root) REQUIRE(::chown(dest.path.c_str(), 65534, 65534) == 0);
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string result = "ok";
    if (root && (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)) result = "cannot drop root";
    else {
      try {
        extract_tar(pieces(archive, 4096), dest.path);
      } catch (const std::exception& e) {
        result = e.what();
      }
    }
    const auto n = ::write(fds[1], result.data(), result.size());
    ::_exit(n == static_cast<ssize_t>(result.size()) ? 0 : 1);
  }
  ::close(fds[1]);
  std::string result;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) result.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  REQUIRE(result == "ok");
  CHECK(slurp(ro / "g.txt") == "beside");
  CHECK(slurp(ro / "inner" / "f.txt") == "inside");
  CHECK(lstat_of(ro).mode == 0555);
  CHECK(lstat_of(ro / "inner").mode == 0500);
}

TEST_CASE("backup::extract_tar keeps every entry inside the destination") {
  TempDir tmp;
  const auto dest = tmp / "dest";
  const auto victim = tmp / "victim";
  fs::create_directories(dest);
  fs::create_directories(victim);
  ::chmod(victim.c_str(), 0750);
  set_mtime(victim, k_t0 - 86400);
  const auto extract = [&](const std::vector<Crafted>& entries) {
    const std::string archive = craft(entries);
    return extract_tar(pieces(archive, 4096), dest);
  };
  SUBCASE("a plain archive made here extracts (the crafting is sound)") {
    const auto entries = extract({{"d", AE_IFDIR, "", "", 0755}, {"d/f.txt", AE_IFREG, "content", "", 0640}});
    REQUIRE(entries.size() == 2);
    CHECK(slurp(dest / "d" / "f.txt") == "content");
    CHECK(entries[1].sha256 == core::sha256_hex("content"));
  }
  SUBCASE("unsafe paths") {
    for (const std::string name : {"../evil.txt", "/tmp/evil-opsdesk-unit.txt", "a/../../evil.txt", ".."}) {
      CAPTURE(name);
      const auto e = thrown([&] { extract({{name, AE_IFREG, "evil", "", 0644}}); });
      CHECK(kind(e) == "data");
      CHECK(std::string(e.what()) == "the archive holds an unsafe path: " + name);
    }
    CHECK_FALSE(fs::exists(tmp / "evil.txt"));
    CHECK_FALSE(fs::exists("/tmp/evil-opsdesk-unit.txt"));
  }
  SUBCASE("a file through a planted symlink") {
    const auto e = thrown([&] {
      extract({{"link", AE_IFLNK, "", victim.string(), 0777}, {"link/evil.txt", AE_IFREG, "evil", "", 0644}});
    });
    CHECK(kind(e) == "data");
    CHECK(has(e.what(), "the archive would write through the symlink"));
    CHECK(fs::is_empty(victim));
  }
  SUBCASE("a file over a planted symlink is not written through it") {
    spit(victim / "target.txt", "original");
    const auto e = thrown([&] {
      extract({{"link", AE_IFLNK, "", (victim / "target.txt").string(), 0777}, {"link", AE_IFREG, "evil", "", 0666}});
    });
    CHECK(kind(e) == "io");
    CHECK(slurp(victim / "target.txt") == "original");
  }
  SUBCASE("a directory over a planted symlink changes nothing outside") {
    std::string refusal = "nothing";
    try {
      extract({{"link", AE_IFLNK, "", victim.string(), 0777}, {"link", AE_IFDIR, "", "", 0777}});
    } catch (const Error& e) {
      refusal = kind(e) + ": " + e.what();
    }
    CHECK(lstat_of(victim).mode == 0750);
    CHECK(lstat_of(victim).mtime == k_t0 - 86400);
    CHECK(refusal == "data: the archive would write through the symlink " + (dest / "link").string());
  }
  SUBCASE("a directory over a file of that name") {
    const auto e = thrown([&] { extract({{"x", AE_IFREG, "file", "", 0644}, {"x", AE_IFDIR, "", "", 0755}}); });
    CHECK(kind(e) == "io");
    CHECK(std::string(e.what()) == "cannot create " + (dest / "x").string() + ": File exists");
    CHECK(slurp(dest / "x") == "file");
  }
  SUBCASE("a directory given twice is fine") {
    CHECK(extract({{"d", AE_IFDIR, "", "", 0700}, {"d", AE_IFDIR, "", "", 0755}}).size() == 2);
    CHECK(lstat_of(dest / "d").mode == 0755);
  }
}

TEST_SUITE_END();
