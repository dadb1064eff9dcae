// PostgreSQL targets without a server: what an unreachable one gives, a file that is no dump,
// and the guards restore applies before it touches anything. (Against a real server they run
// end to end in tests/cli/test_backup.cpp, under the "cli-pg:" prefix.)
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "backup/backup.hpp"
#include "backup/pgdump.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::spit;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;

namespace fs = std::filesystem;

TEST_SUITE_BEGIN("backup");

namespace {

// A URL of database `name` on a server that is not there (an empty socket directory).
std::string nowhere(const TempDir& dir, const std::string& name = "erp") {
  return "postgresql://nobody@/" + name + "?host=" + dir.path.string();
}

}  // namespace

TEST_CASE("backup::dump_postgres, a server that is not there") {
  TempDir dir;
  std::string sunk;
  const auto e = thrown([&] { backup::dump_postgres(nowhere(dir), 10, [&](std::string_view c) { sunk += c; }); });
  CHECK(kind(e) == "unavailable");
  CHECK_MESSAGE(has(e.what(), "cannot connect to " + nowhere(dir)), e.what());
  CHECK(sunk.empty());
}

TEST_CASE("backup::relations_in and backup::drill_postgres, a server that is not there") {
  TempDir dir;
  CHECK(kind(thrown([&] { backup::relations_in(nowhere(dir), 10); })) == "unavailable");
  CHECK(kind(thrown([&] { backup::drill_postgres(nowhere(dir), dir / "x.pgdump", 10); })) == "unavailable");
  SUBCASE("a URL that names its database by dbname= is refused before anything is made") {
    const auto e = thrown([&] { backup::drill_postgres(nowhere(dir) + "&dbname=erp", dir / "x.pgdump", 10); });
    CHECK(kind(e) == "config");
  }
}

TEST_CASE("backup::list_dump, a file that is no dump") {
  TempDir dir;
  spit(dir / "junk.pgdump", "not a PostgreSQL archive\n");
  const auto e = thrown([&] { backup::list_dump(dir / "junk.pgdump", 10); });
  CHECK(kind(e) == "failed");
  CHECK_MESSAGE(has(e.what(), "pg_restore exited with 1: pg_restore: error:"), e.what());
}

TEST_CASE("backup::restore, a postgres backup goes only into a database, other kinds never") {
  TempDir dir;
  config::Config config;
  backup::Backup b;
  b.id = "erp-20261125T021000Z";
  b.target = "erp";
  b.kind = "postgres";
  b.status = "ok";
  b.repository = dir.path.string();
  auto restore = [&](const backup::Backup& which, const std::string& to) {
    return thrown([&] { backup::restore(config, which, {to, false, false}, 0, [](const backup::Backup&) {}); });
  };
  SUBCASE("a path") {
    const auto e = restore(b, (dir / "erp.db").string());
    CHECK(kind(e) == "usage");
    CHECK_MESSAGE(has(e.what(), "--to postgresql://"), e.what());
  }
  SUBCASE("a URL with a password, which is not repeated") {
    const auto e = restore(b, "postgresql://backup:s3cret@db.example/erp");
    CHECK(kind(e) == "usage");
    CHECK_MESSAGE(has(e.what(), "password"), e.what());
    CHECK_FALSE(has(e.what(), "s3cret"));
  }
  SUBCASE("a sqlite backup into a URL") {
    b.kind = "sqlite";
    CHECK(kind(restore(b, "postgresql://db.example/erp")) == "usage");
  }
  SUBCASE("into a server that is not there: 69, nothing else tried") {
    const auto e = restore(b, nowhere(dir));
    CHECK(kind(e) == "unavailable");
    CHECK(fs::is_empty(dir.path));
  }
}

TEST_SUITE_END();
