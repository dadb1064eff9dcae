#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <string>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::core;
using namespace std::string_literals;
using opsdesk::test::EnvGuard;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::mode_of;
using opsdesk::test::slurp;
using opsdesk::test::spit;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;
using opsdesk::test::UmaskGuard;

namespace fs = std::filesystem;

TEST_SUITE_BEGIN("core");

namespace {

std::set<std::string> names_in(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.insert(entry.path().filename().string());
  return out;
}

}  // namespace

TEST_CASE("core::write_file_atomic") {
  TempDir dir;
  UmaskGuard umask(0);  // the file must be private even when the umask would allow anything
  const auto path = dir / "report.csv";
  SUBCASE("creates a 0600 file and leaves no temporary file") {
    write_file_atomic(path, "a,b\n1,2\n");
    CHECK(slurp(path) == "a,b\n1,2\n");
    CHECK(mode_of(path) == 0600);
    CHECK(names_in(dir.path) == std::set<std::string>{"report.csv"});
  }
  SUBCASE("replaces the content, also with something shorter") {
    write_file_atomic(path, std::string(100000, 'x'));
    write_file_atomic(path, "short");
    CHECK(slurp(path) == "short");
    CHECK(names_in(dir.path) == std::set<std::string>{"report.csv"});
  }
  SUBCASE("a replaced world-readable file becomes private") {
    spit(path, "old");
    fs::permissions(path, fs::perms(0644));
    write_file_atomic(path, "new");
    CHECK(slurp(path) == "new");
    CHECK(mode_of(path) == 0600);
  }
  SUBCASE("binary content and empty content") {
    const std::string bytes = "\0\xFF\r\n\x01"s;
    write_file_atomic(path, bytes);
    CHECK(slurp(path) == bytes);
    write_file_atomic(path, "");
    CHECK(fs::file_size(path) == 0);
  }
  SUBCASE("a missing directory is an I/O error naming the path; nothing is left") {
    const auto e = thrown([&] { write_file_atomic(dir / "no-such-dir" / "x.txt", "data"); });
    CHECK(kind(e) == "io");
    CHECK_MESSAGE(has(e.what(), "no-such-dir"), std::string(e.what()));
    CHECK(names_in(dir.path).empty());
  }
}

TEST_CASE("core::AtomicFile") {
  TempDir dir;
  UmaskGuard umask(0);
  const auto path = dir / "export.jsonl";
  SUBCASE("dropped without commit leaves nothing") {
    {
      AtomicFile f(path);
      f.write("half of an export\n");
    }
    CHECK(names_in(dir.path).empty());
  }
  SUBCASE("dropped without commit leaves an existing file as it was") {
    spit(path, "the old export\n");
    {
      AtomicFile f(path);
      f.write(std::string(3 << 20, 'y'));  // large enough to have been flushed to the temp file
    }
    CHECK(slurp(path) == "the old export\n");
    CHECK(names_in(dir.path) == std::set<std::string>{"export.jsonl"});
  }
  SUBCASE("many writes, larger than the buffer, committed whole and private") {
    std::string expected;
    {
      AtomicFile f(path);
      for (int i = 0; i < 50000; ++i) {
        const std::string line = "{\"n\":" + std::to_string(i) + ",\"text\":\"数据库连接池耗尽\"}\n";
        f.write(line);
        expected += line;
      }
      f.commit();
    }
    CHECK(slurp(path) == expected);
    CHECK(mode_of(path) == 0600);
    CHECK(names_in(dir.path) == std::set<std::string>{"export.jsonl"});
  }
  SUBCASE("nothing is visible under the final name before commit") {
    AtomicFile f(path);
    f.write("data");
    CHECK_FALSE(fs::exists(path));
    f.commit();
    CHECK(slurp(path) == "data");
  }
}

TEST_CASE("core::make_private_dirs") {
  TempDir dir;
  UmaskGuard umask(0);
  SUBCASE("creates missing parents, each 0700") {
    make_private_dirs(dir / "a" / "b" / "c");
    CHECK(fs::is_directory(dir / "a" / "b" / "c"));
    CHECK(mode_of(dir / "a") == 0700);
    CHECK(mode_of(dir / "a" / "b") == 0700);
    CHECK(mode_of(dir / "a" / "b" / "c") == 0700);
  }
  SUBCASE("an existing directory is left alone") {
    fs::create_directory(dir / "shared");
    fs::permissions(dir / "shared", fs::perms(0755));
    make_private_dirs(dir / "shared");
    CHECK(mode_of(dir / "shared") == 0755);
    make_private_dirs(dir / "shared" / "mine");
    CHECK(mode_of(dir / "shared" / "mine") == 0700);
  }
  SUBCASE("a file in the way is an I/O error") {
    spit(dir / "file", "x");
    const auto e = thrown([&] { make_private_dirs(dir / "file" / "sub"); });
    CHECK(kind(e) == "io");
    CHECK_MESSAGE(has(e.what(), "file"), std::string(e.what()));
  }
  SUBCASE("an empty path does nothing") { CHECK_NOTHROW(make_private_dirs("")); }
}

TEST_CASE("core::create_private_file") {
  TempDir dir;
  UmaskGuard umask(0);
  const auto path = dir / "opsdesk.db";
  SUBCASE("creates an empty 0600 file once") {
    CHECK(create_private_file(path));
    CHECK(fs::file_size(path) == 0);
    CHECK(mode_of(path) == 0600);
    CHECK_FALSE(create_private_file(path));
  }
  SUBCASE("an existing file is neither truncated nor made private") {
    spit(path, "keep me");
    fs::permissions(path, fs::perms(0640));
    CHECK_FALSE(create_private_file(path));
    CHECK(slurp(path) == "keep me");
    CHECK(mode_of(path) == 0640);
  }
  SUBCASE("a missing directory is an I/O error") {
    CHECK(kind(thrown([&] { create_private_file(dir / "missing" / "x.db"); })) == "io");
  }
}

TEST_CASE("core::read_file") {
  TempDir dir;
  SUBCASE("a missing file is not_found naming it") {
    const auto e = thrown([&] { read_file(dir / "nope.toml"); });
    CHECK(kind(e) == "not_found");
    CHECK_MESSAGE(has(e.what(), "nope.toml"), std::string(e.what()));
  }
  SUBCASE("the whole file, bytes as they are") {
    const std::string bytes = "line\r\n\0数据\xFF"s + std::string(200000, 'z');
    spit(dir / "data", bytes);
    CHECK(read_file(dir / "data") == bytes);
  }
  SUBCASE("an empty file") {
    spit(dir / "empty", "");
    CHECK(read_file(dir / "empty").empty());
  }
  SUBCASE("a directory is an I/O error") { CHECK(kind(thrown([&] { read_file(dir.path); })) == "io"); }
}

TEST_CASE("core::InputFile") {
  TempDir dir;
  SUBCASE("a regular file") {
    const std::string text = "{\"title\":\"数据库\"}\n{\"title\":\"b\"}\n";
    spit(dir / "in.jsonl", text);
    InputFile f(dir / "in.jsonl");
    CHECK(f.view() == text);
  }
  SUBCASE("an empty file") {
    spit(dir / "empty.csv", "");
    InputFile f(dir / "empty.csv");
    CHECK(f.view().empty());
  }
  SUBCASE("a device is read to its end") {
    InputFile f("/dev/null");
    CHECK(f.view().empty());
  }
  SUBCASE("a missing file is not_found") {
    const auto e = thrown([&] { InputFile f(dir / "missing.jsonl"); });
    CHECK(kind(e) == "not_found");
    CHECK_MESSAGE(has(e.what(), "missing.jsonl"), std::string(e.what()));
  }
  SUBCASE("a directory is an I/O error") {
    const auto e = thrown([&] { InputFile f(dir.path); });
    CHECK(kind(e) == "io");
    CHECK_MESSAGE(has(e.what(), "directory"), std::string(e.what()));
  }
}

TEST_CASE("core::expand_home and the XDG directories") {
  TempDir dir;
  EnvGuard home("HOME", dir.path.string());
  SUBCASE("expand_home") {
    CHECK(expand_home("~") == dir.path);
    CHECK(expand_home("~/desk/opsdesk.db") == dir.path / "desk/opsdesk.db");
    CHECK(expand_home("/srv/opsdesk.db") == fs::path("/srv/opsdesk.db"));
    CHECK(expand_home("relative.db") == fs::path("relative.db"));
    CHECK(expand_home("~other/x") == fs::path("~other/x"));
  }
  SUBCASE("set XDG variables are used") {
    EnvGuard config("XDG_CONFIG_HOME", "/xdg/config");
    EnvGuard data("XDG_DATA_HOME", "/xdg/data");
    CHECK(xdg_config_home() == fs::path("/xdg/config"));
    CHECK(xdg_data_home() == fs::path("/xdg/data"));
  }
  SUBCASE("unset or relative XDG variables fall back to HOME") {
    EnvGuard config("XDG_CONFIG_HOME", std::nullopt);
    EnvGuard data("XDG_DATA_HOME", "relative/data");
    CHECK(xdg_config_home() == dir.path / ".config");
    CHECK(xdg_data_home() == dir.path / ".local/share");
  }
  SUBCASE("no HOME is a config error") {
    EnvGuard no_home("HOME", std::nullopt);
    EnvGuard config("XDG_CONFIG_HOME", std::nullopt);
    CHECK(kind(thrown([] { xdg_config_home(); })) == "config");
  }
}

TEST_SUITE_END();
