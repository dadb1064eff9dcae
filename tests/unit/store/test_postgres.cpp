// The PostgreSQL backend: the pure parts always; the rest against a live server, in the
// "unit-pg:" run that ctest starts with a throwaway cluster ($OPSDESK_TEST_PG).
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include "core/error.hpp"
#include "core/pq.hpp"
#include "store/copy.hpp"
#include "store/postgres.hpp"
#include "store/store.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::store;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::thrown;
using std::chrono::milliseconds;

TEST_SUITE_BEGIN("store");

TEST_CASE("store::numbered_placeholders: ? outside quotes and comments becomes $n") {
  CHECK(numbered_placeholders("SELECT ? , ?") == "SELECT $1 , $2");
  CHECK(numbered_placeholders("WHERE a = '?' AND b = ?") == "WHERE a = '?' AND b = $1");
  CHECK(numbered_placeholders("WHERE a = 'it''s ?' AND \"we?ird\" = ?") == "WHERE a = 'it''s ?' AND \"we?ird\" = $1");
  CHECK(numbered_placeholders("SELECT ? -- why?\n, ?") == "SELECT $1 -- why?\n, $2");
  CHECK(numbered_placeholders("no parameters") == "no parameters");
  CHECK(numbered_placeholders("'unterminated ?") == "'unterminated ?");
  int n = -1;
  CHECK(numbered_placeholders("SELECT '$1', ? WHERE x = ? -- ?", &n) == "SELECT '$1', $1 WHERE x = $2 -- ?");
  CHECK(n == 2);
}

TEST_CASE("store::is_postgres_url, redact_url, url_carries_password") {
  CHECK(is_postgres_url("postgresql://desk@db/opsdesk"));
  CHECK(is_postgres_url("postgres://db/opsdesk"));
  CHECK_FALSE(is_postgres_url("/var/lib/opsdesk/opsdesk.db"));
  CHECK_FALSE(is_postgres_url("postgresql.db"));
  CHECK(redact_url("postgresql://desk:s3cret@db:5432/opsdesk") == "postgresql://desk:***@db:5432/opsdesk");
  CHECK(redact_url("postgresql://desk@db/opsdesk?password=s3cret&sslmode=require") ==
        "postgresql://desk@db/opsdesk?password=***&sslmode=require");
  CHECK(redact_url("postgresql://desk@/opsdesk?host=/run/postgresql") == "postgresql://desk@/opsdesk?host=/run/postgresql");
  CHECK(url_carries_password("postgresql://desk:s3cret@db/opsdesk"));
  CHECK(url_carries_password("postgresql://desk@db/opsdesk?password=x"));
  CHECK_FALSE(url_carries_password("postgresql://desk@db:5432/opsdesk"));
  CHECK_FALSE(url_carries_password("postgresql://db/opsdesk?host=/tmp/a:b"));
}

namespace {

// A new database on the test server, dropped at the end; empty name when there is no server.
struct TestDatabase {
  std::string url;
  std::string name;
  TestDatabase() {
    const char* server = std::getenv("OPSDESK_TEST_PG");
    if (!server || !*server) return;
    std::random_device rd;
    name = "u_" + std::to_string(rd()) + std::to_string(rd());
    admin().exec("CREATE DATABASE " + name);
    url = at(name);
  }
  ~TestDatabase() {
    if (!name.empty()) admin().exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }
  static std::string at(const std::string& db) { return core::url_with_database(std::getenv("OPSDESK_TEST_PG"), db); }
  static PgDb admin() { return PgDb(at("postgres"), Mode::read_write, milliseconds(5000)); }
};

#define NEEDS_SERVER(db)                                                    \
  TestDatabase db;                                                          \
  if (db.url.empty()) {                                                     \
    MESSAGE("no PostgreSQL server ($OPSDESK_TEST_PG): runs in the unit-pg run"); \
    return;                                                                 \
  }

std::unique_ptr<Db> open(const std::string& url, bool write, milliseconds busy = milliseconds(2000)) {
  return open_store({url, write, busy, {}});
}

}  // namespace

TEST_CASE("postgres: a writer makes the schema in an empty database; a reader of one creates nothing") {
  NEEDS_SERVER(t);
  {
    auto reader = open(t.url, false);
    CHECK(reader->backend() == Backend::sqlite);  // the empty in-memory store
    CHECK(reader->one_int("SELECT count(*) FROM tickets") == 0);
  }
  CHECK_FALSE(store_exists({t.url, false, milliseconds(2000), {}}));
  auto db = open(t.url, true);
  CHECK(db->backend() == Backend::postgres);
  CHECK(stored_schema_version(*db) == schema_version());
  CHECK(store_exists({t.url, false, milliseconds(2000), {}}));
  // Integer columns are 64-bit: epoch seconds past 2038 and sizes past 2 GiB.
  CHECK(db->one_text("SELECT data_type FROM information_schema.columns WHERE table_name = 'backups' AND "
                     "column_name = 'size'") == "bigint");
  auto again = open(t.url, false);
  CHECK(again->backend() == Backend::postgres);
}

TEST_CASE("postgres: parameters, new ids, nested cursors and SQLite-like values") {
  NEEDS_SERVER(t);
  auto db = open(t.url, true);
  Transaction tx(*db, true);
  const auto id = db->insert("INSERT INTO downtime (system, start_at, end_at, reason, created_by, created_at) "
                             "VALUES (?, ?, ?, ?, ?, ?)",
                             "erp", std::int64_t{4'000'000'000}, std::int64_t{4'000'003'600}, "it's '?'", "wang", 1);
  CHECK(id == 1);
  CHECK(db->insert("INSERT INTO downtime (system, start_at, end_at, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)",
                   nullptr, 1, 2, "second", "wang", 1) == 2);
  CHECK(db->one_text("SELECT reason FROM downtime WHERE id = ?", id) == "it's '?'");
  CHECK(db->one_int("SELECT start_at FROM downtime WHERE id = ?", id) == 4'000'000'000);
  // Booleans read as 1/0 and numerics cut to integers, as SQLite gives them.
  CHECK(db->one_int("SELECT start_at > 0 FROM downtime WHERE id = ?", id) == 1);
  CHECK(db->one_int("SELECT EXISTS (SELECT 1 FROM downtime WHERE system IS NULL)") == 1);
  CHECK(db->one_int("SELECT avg(end_at - start_at) FROM downtime") == 1800);
  // The same SQL used again while its first cursor is open.
  int outer = 0, inner = 0;
  auto q = db->query("SELECT id FROM downtime ORDER BY id");
  while (q.next()) {
    ++outer;
    auto r = db->query("SELECT id FROM downtime ORDER BY id");
    while (r.next()) ++inner;
  }
  CHECK(outer == 2);
  CHECK(inner == 4);
  CHECK(db->run("UPDATE downtime SET reason = ? WHERE id > ?", "x", 0) == 2);
  // A stream reads past its batches, with other queries running between its rows.
  for (int i = 0; i < 4500; ++i)
    db->run("INSERT INTO downtime (system, start_at, end_at, reason, created_by, created_at) VALUES ('x', ?, ?, 'r', 'w', 1)",
            i, i + 1);
  std::int64_t seen = 0, last = 0;
  bool ordered = true;
  auto s = db->stream("SELECT id FROM downtime WHERE system = ? ORDER BY id", {std::string("x")});
  while (s.next()) {
    ordered = ordered && s.int64(0) > last;
    last = s.int64(0);
    seen += db->one_int("SELECT count(*) FROM downtime WHERE id = ?", last).value_or(0);
  }
  CHECK(seen == 4500);
  CHECK(ordered);
  tx.commit();
}

TEST_CASE("postgres: errors map to the exit codes of DESIGN.md") {
  NEEDS_SERVER(t);
  auto db = open(t.url, true);
  // A unique key: bad data (65).
  db->run("INSERT INTO accounts (name, role, created_at, updated_at) VALUES ('li', 'engineer', 1, 1)");
  auto e = thrown([&] { db->run("INSERT INTO accounts (name, role, created_at, updated_at) VALUES ('li', 'viewer', 1, 1)"); });
  CHECK(kind(e) == "data");
  // No such database, no server: unavailable (69), the message names the store.
  e = thrown([&] { open(TestDatabase::at("no_such_db"), true); });
  CHECK(kind(e) == "unavailable");
  CHECK_MESSAGE(has(e.what(), "no_such_db"), e.what());
  e = thrown([&] { open("postgresql://nobody@/x?host=/nonexistent-dir", false); });
  CHECK(kind(e) == "unavailable");
  // A password on the command line is refused before any connection.
  e = thrown([&] { open("postgresql://desk:s3cret@127.0.0.1:1/x", false); });
  CHECK(kind(e) == "usage");
  CHECK_FALSE(has(e.what(), "s3cret"));
  // A reader may not write.
  auto reader = open(t.url, false);
  e = thrown([&] { reader->run("DELETE FROM accounts"); });
  CHECK(kind(e) != "");
  CHECK(db->one_int("SELECT count(*) FROM accounts") == 1);
}

TEST_CASE("postgres: one writer at a time, across connections; the next waits busy_timeout, then busy (75)") {
  NEEDS_SERVER(t);
  auto first = open(t.url, true);
  auto second = open(t.url, true, milliseconds(300));
  Transaction holding(*first, true);
  const auto start = std::chrono::steady_clock::now();
  const auto e = thrown([&] { Transaction waiting(*second, true); });
  CHECK(kind(e) == "busy");
  CHECK(std::chrono::steady_clock::now() - start >= milliseconds(250));
  // A reader is not held up.
  auto reader = open(t.url, false);
  CHECK(reader->one_int("SELECT count(*) FROM tickets") == 0);
  holding.commit();
  Transaction now_free(*second, true);
  now_free.commit();
  // Session locks (cron run locks): one holder.
  PgDb a(t.url, Mode::read_only, milliseconds(1000));
  PgDb b(t.url, Mode::read_only, milliseconds(1000));
  CHECK(a.try_session_lock(7));
  CHECK_FALSE(b.try_session_lock(7));
  CHECK(b.try_session_lock(8));
}

TEST_CASE("postgres: copy_desk into PostgreSQL and back to SQLite, ids and counters kept") {
  NEEDS_SERVER(t);
  opsdesk::test::TempDir dir;
  auto lite = open_store({dir / "a.db", true, milliseconds(2000), {}});
  lite->run("INSERT INTO accounts (name, role, created_at, updated_at) VALUES ('wang', 'admin', 1, 1)");
  lite->run("INSERT INTO accounts (id, name, role, created_at, updated_at) VALUES (10, 'li', 'engineer', 1, 1)");
  auto pg = open(t.url, true);
  const auto copied = copy_desk(*lite, *pg, {});
  std::int64_t accounts = 0;
  for (const auto& c : copied)
    if (c.table == "accounts") accounts = c.rows;
  CHECK(accounts == 2);
  CHECK(pg->one_int("SELECT id FROM accounts WHERE name = 'li'") == 10);
  // The next id follows the copied ones.
  CHECK(pg->insert("INSERT INTO accounts (name, role, created_at, updated_at) VALUES ('zhou', 'viewer', 1, 1)") == 11);
  // Into a store that holds a desk: refused, nothing changed.
  const auto e = thrown([&] { copy_desk(*lite, *pg, {}); });
  CHECK(kind(e) == "failed");
  CHECK(pg->one_int("SELECT count(*) FROM accounts") == 3);
  // A failing check rolls the whole copy back.
  auto back = open_store({dir / "b.db", true, milliseconds(2000), {}});
  CHECK_THROWS(copy_desk(*pg, *back, [](Db&) { throw Error(ErrorKind::failed, "no"); }));
  CHECK(back->one_int("SELECT count(*) FROM accounts") == 0);
  CHECK(back->one_int("SELECT count(*) FROM role_permissions") > 0);  // the defaults are back too
  copy_desk(*pg, *back, {});
  CHECK(back->one_int("SELECT count(*) FROM accounts") == 3);
}

TEST_SUITE_END();
