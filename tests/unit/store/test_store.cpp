#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "store/db.hpp"
#include "store/store.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::store;
using namespace std::string_literals;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::mode_of;
using opsdesk::test::slurp;
using opsdesk::test::spit;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;
using opsdesk::test::UmaskGuard;

namespace fs = std::filesystem;
using std::chrono::milliseconds;

TEST_SUITE_BEGIN("store");

namespace {

constexpr std::int64_t k_application_id = 0x4f505344;  // "OPSD"

std::unique_ptr<Db> open_writer(const fs::path& path, milliseconds busy = milliseconds(2000)) {
  return open_store({path, true, busy});
}
std::unique_ptr<Db> open_reader(const fs::path& path) { return open_store({path, false, milliseconds(2000)}); }

// A plain SQLite connection, as another program (or the sqlite3 shell) would have.
std::unique_ptr<Db> raw(const fs::path& path) { return std::make_unique<Db>(path, Mode::read_write, milliseconds(2000)); }

bool has_table(Db& db, const std::string& name) {
  return db.one_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", name).value_or(0) > 0;
}

// Writes SQLite has not put into the file yet (a hot journal, or a WAL with frames): none may
// appear when a store is refused. An empty -wal and a -shm are what any WAL reader leaves.
bool has_sidecars(const fs::path& path) {
  const fs::path wal = path.string() + "-wal";
  return fs::exists(path.string() + "-journal") || (fs::exists(wal) && fs::file_size(wal) > 0);
}

}  // namespace

TEST_CASE("store::open_store, a writer creates a private store in WAL mode") {
  TempDir dir;
  UmaskGuard umask(0);
  const auto path = dir / "data" / "opsdesk" / "opsdesk.db";
  {
    auto db = open_writer(path);
    CHECK(fs::is_regular_file(path));
    CHECK(mode_of(path) == 0600);
    CHECK(mode_of(dir / "data") == 0700);
    CHECK(mode_of(dir / "data" / "opsdesk") == 0700);
    CHECK(db->one_text("PRAGMA journal_mode") == "wal");
    CHECK(db->one_int("PRAGMA user_version") == schema_version());
    CHECK(db->one_int("PRAGMA application_id") == k_application_id);
    CHECK(db->one_int("PRAGMA foreign_keys") == 1);
    CHECK(db->one_int("PRAGMA synchronous") == 2);  // FULL
    CHECK(has_table(*db, "tickets"));
    CHECK(has_table(*db, "audit"));
    CHECK_FALSE(db->read_only());
    db->run("INSERT INTO ticket_counters (prefix, year, last) VALUES ('INC', 2026, 7)");
  }
  SUBCASE("opened again, it keeps its data and its version") {
    auto db = open_writer(path);
    CHECK(db->one_int("SELECT last FROM ticket_counters WHERE prefix = 'INC'") == 7);
    CHECK(db->one_int("PRAGMA user_version") == schema_version());
  }
  SUBCASE("a reader reads it and cannot write") {
    auto db = open_reader(path);
    CHECK(db->read_only());
    CHECK(db->one_int("SELECT last FROM ticket_counters WHERE prefix = 'INC'") == 7);
    const auto e = thrown([&] { db->run("DELETE FROM ticket_counters"); });
    CHECK(kind(e) == "io");
    CHECK_MESSAGE(has(e.what(), "read-only"), std::string(e.what()));
  }
  CHECK(schema_version() == static_cast<int>(migrations().size()));
}

TEST_CASE("store::open_store, a reader of a missing file") {
  TempDir dir;
  const auto path = dir / "not-yet" / "opsdesk.db";
  auto db = open_reader(path);
  SUBCASE("gets an empty store of the current schema") {
    CHECK(db->one_int("SELECT count(*) FROM tickets") == 0);
    CHECK(db->one_int("SELECT count(*) FROM audit") == 0);
    CHECK(db->one_int("PRAGMA user_version") == schema_version());
  }
  SUBCASE("which can be written in memory") {
    db->run("INSERT INTO ticket_counters (prefix, year, last) VALUES ('INC', 2026, 1)");
    CHECK(db->one_int("SELECT count(*) FROM ticket_counters") == 1);
  }
  CHECK_FALSE(fs::exists(path));
  CHECK_FALSE(fs::exists(dir / "not-yet"));
}

TEST_CASE("store::open_store, an empty file is a new store") {
  TempDir dir;
  const auto path = dir / "opsdesk.db";
  spit(path, "");
  auto db = open_writer(path);
  CHECK(db->one_int("PRAGMA user_version") == schema_version());
  CHECK(has_table(*db, "tickets"));
}

TEST_CASE("store::open_store, a store written by a newer opsdesk is refused and left as it was") {
  TempDir dir;
  const auto path = dir / "opsdesk.db";
  SUBCASE("a WAL store") {
    {
      auto db = open_writer(path);
      db->run("INSERT INTO ticket_counters (prefix, year, last) VALUES ('INC', 2026, 3)");
      db->exec("PRAGMA user_version = 99");
    }
  }
  SUBCASE("a store in rollback-journal mode (as a copy or a restored backup may be)") {
    {
      auto db = open_writer(path);
      db->run("INSERT INTO ticket_counters (prefix, year, last) VALUES ('INC', 2026, 3)");
    }
    auto db = raw(path);
    db->exec("PRAGMA journal_mode = DELETE");
    db->exec("PRAGMA user_version = 99");
    REQUIRE(db->one_text("PRAGMA journal_mode") == "delete");
  }
  REQUIRE_FALSE(has_sidecars(path));
  const std::string before = slurp(path);
  for (const bool write : {true, false}) {
    CAPTURE(write);
    const auto e = thrown([&] { open_store({path, write, milliseconds(2000)}); });
    CHECK(kind(e) == "unavailable");
    CHECK_MESSAGE(has(e.what(), "newer opsdesk"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "99"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), path.string()), std::string(e.what()));
    CHECK_MESSAGE(slurp(path) == before, "the store file changed");
  }
}

TEST_CASE("store::open_store, a file that is not an opsdesk store is refused and left as it was") {
  TempDir dir;
  const auto path = dir / "other.db";
  SUBCASE("another program's SQLite database") {
    auto db = raw(path);
    db->exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep')");
  }
  SUBCASE("another program's SQLite database with its own user_version") {
    auto db = raw(path);
    db->exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('keep');"
             "PRAGMA user_version = 3");
  }
  SUBCASE("a text file") { spit(path, "ref,title\nINC-2026-000001,not a database\n"); }
  const std::string before = slurp(path);
  for (const bool write : {true, false}) {
    CAPTURE(write);
    const auto e = thrown([&] { open_store({path, write, milliseconds(2000)}); });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), "not an opsdesk store"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), path.string()), std::string(e.what()));
    CHECK_MESSAGE(slurp(path) == before, "the file changed");
    CHECK_FALSE(has_sidecars(path));
  }
}

TEST_CASE("store::open_store, writers racing to create a new store") {
  // What 20 cron jobs or engineers do on a new desk. Timing-dependent, so many rounds; a child
  // reports a failure as a line in its own file.
  TempDir dir;
  std::string failures;
  int lost_rounds = 0;
  for (int round = 0; round < 25 && lost_rounds < 2; ++round) {
    const auto path = dir / ("round" + std::to_string(round)) / "opsdesk.db";
    std::vector<pid_t> pids;
    for (int i = 0; i < 20; ++i) {
      const pid_t pid = ::fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        std::mt19937 rng(static_cast<unsigned>(::getpid()));
        ::usleep(static_cast<useconds_t>(rng() % 2000));
        int code = 0;
        try {
          auto db = open_writer(path, milliseconds(10000));
          Transaction tx(*db, true);
          db->run("INSERT INTO ticket_counters (prefix, year, last) VALUES ('INC', 2026, 1) "
                  "ON CONFLICT (prefix, year) DO UPDATE SET last = last + 1");
          tx.commit();
        } catch (const Error& e) {
          const std::string line = "round " + std::to_string(round) + ": " + kind_name(e.kind()) + ": " + e.what() + "\n";
          spit(dir / ("failed-" + std::to_string(round) + "-" + std::to_string(i)), line);
          code = 1;
        } catch (const std::exception& e) {
          spit(dir / ("failed-" + std::to_string(round) + "-" + std::to_string(i)), std::string(e.what()) + "\n");
          code = 1;
        }
        ::_exit(code);
      }
      pids.push_back(pid);
    }
    int failed = 0;
    for (const auto pid : pids) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
    }
    if (failed == 0) {
      auto db = open_reader(path);
      CHECK(db->one_int("SELECT last FROM ticket_counters") == 20);
      continue;
    }
    ++lost_rounds;
    for (int i = 0; i < 20; ++i) {
      const auto file = dir / ("failed-" + std::to_string(round) + "-" + std::to_string(i));
      if (fs::exists(file)) failures += slurp(file);
    }
  }
  CHECK_MESSAGE(failures.empty(), failures);
}

TEST_CASE("store::Db::query, binding") {
  Db db(":memory:", Mode::read_write, milliseconds(0));
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v)");
  auto type_of = [&](std::int64_t id) { return db.one_text("SELECT typeof(v) FROM t WHERE id = ?", id).value_or("?"); };

  SUBCASE("integers, booleans and reals") {
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 1, 42);
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 2, std::numeric_limits<std::int64_t>::max());
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 3, std::numeric_limits<std::int64_t>::min());
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 4, true);
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 5, 2.5);
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 6, std::optional<std::int64_t>(-9));
    CHECK(type_of(1) == "integer");
    CHECK(db.one_int("SELECT v FROM t WHERE id = 1") == 42);
    CHECK(db.one_int("SELECT v FROM t WHERE id = 2") == std::numeric_limits<std::int64_t>::max());
    CHECK(db.one_int("SELECT v FROM t WHERE id = 3") == std::numeric_limits<std::int64_t>::min());
    CHECK(type_of(4) == "integer");
    CHECK(db.one_int("SELECT v FROM t WHERE id = 4") == 1);
    CHECK(type_of(5) == "real");
    CHECK(type_of(6) == "integer");
    CHECK(db.one_int("SELECT v FROM t WHERE id = 6") == -9);
  }
  SUBCASE("every kind of string is stored as TEXT, not as a BLOB") {
    const std::string s = "std::string";
    const std::string_view sv = "string_view";
    const char* c_string = "literal";
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 1, c_string);
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 2, s);
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 3, sv);
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 4, std::optional<std::string>("optional"));
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 5, "数据库连接池耗尽"s);
    for (std::int64_t id = 1; id <= 5; ++id) {
      CAPTURE(id);
      CHECK(type_of(id) == "text");
    }
    CHECK(db.one_text("SELECT v FROM t WHERE id = 3") == "string_view");
    CHECK(db.one_text("SELECT v FROM t WHERE id = 5") == "数据库连接池耗尽");
    CHECK(db.one_int("SELECT length(v) FROM t WHERE id = 5") == 8);  // characters: it is text
    CHECK(db.one_int("SELECT count(*) FROM t WHERE v = 'string_view'") == 1);
    CHECK(db.one_int("SELECT count(*) FROM t WHERE v LIKE '%连接%'") == 1);
  }
  SUBCASE("a string with a NUL byte keeps all its bytes") {
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 1, "a\0b"s);
    CHECK(type_of(1) == "text");
    CHECK(db.one_text("SELECT v FROM t WHERE id = 1") == "a\0b"s);
  }
  SUBCASE("null from nullptr and from an empty optional") {
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 1, nullptr);
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 2, std::optional<std::string>());
    db.run("INSERT INTO t (id, v) VALUES (?, ?)", 3, std::optional<std::int64_t>());
    for (std::int64_t id = 1; id <= 3; ++id) {
      CAPTURE(id);
      CHECK(type_of(id) == "null");
    }
    auto q = db.query("SELECT v FROM t WHERE id = 1");
    REQUIRE(q.next());
    CHECK(q.is_null(0));
    CHECK_FALSE(q.opt_text(0));
    CHECK_FALSE(q.opt_int64(0));
  }
  SUBCASE("run-time parameters") {
    const std::vector<Param> params = {nullptr, std::int64_t{5}, 1.5, "five"s};
    db.run("INSERT INTO t (id, v) VALUES (1, 0), (2, 0), (3, 0), (4, 0)");
    auto q = db.query_with("SELECT typeof(?), typeof(?), typeof(?), typeof(?)", params);
    REQUIRE(q.next());
    CHECK(q.text(0) == "null");
    CHECK(q.text(1) == "integer");
    CHECK(q.text(2) == "real");
    CHECK(q.text(3) == "text");
  }
  SUBCASE("run counts the rows it changed; one_int and one_text find nothing as nullopt") {
    db.run("INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b'), (3, NULL)");
    CHECK(db.run("UPDATE t SET v = 'x' WHERE id < ?", 3) == 2);
    CHECK(db.run("DELETE FROM t WHERE id = ?", 99) == 0);
    CHECK_FALSE(db.one_int("SELECT id FROM t WHERE id = 99"));
    CHECK_FALSE(db.one_text("SELECT v FROM t WHERE id = 3"));
    CHECK(db.one_text("SELECT v FROM t WHERE id = 1") == "x");
  }
  SUBCASE("bad SQL is an opsdesk::Error") {
    CHECK_THROWS_AS(db.exec("SELEC 1"), opsdesk::Error);
    CHECK_THROWS_AS(db.query("SELECT nope FROM t"), opsdesk::Error);
    db.run("INSERT INTO t (id, v) VALUES (1, 'a')");
    CHECK_THROWS_AS(db.run("INSERT INTO t (id, v) VALUES (1, 'again')"), opsdesk::Error);
    // the connection is usable after a failed statement
    CHECK(db.run("INSERT INTO t (id, v) VALUES (?, ?)", 2, "b"s) == 1);
  }
}

TEST_CASE("store::Db::query, nested use of the same SQL") {
  Db db(":memory:", Mode::read_write, milliseconds(0));
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c')");
  const std::string all = "SELECT id FROM t ORDER BY id";
  SUBCASE("a cursor inside a cursor of the same statement") {
    std::vector<std::pair<std::int64_t, std::int64_t>> pairs;
    auto outer = db.query(all);
    while (outer.next()) {
      auto inner = db.query(all);
      while (inner.next()) pairs.emplace_back(outer.int64(0), inner.int64(0));
    }
    REQUIRE(pairs.size() == 9);
    CHECK(pairs.front() == std::pair<std::int64_t, std::int64_t>{1, 1});
    CHECK(pairs[4] == std::pair<std::int64_t, std::int64_t>{2, 2});
    CHECK(pairs.back() == std::pair<std::int64_t, std::int64_t>{3, 3});
  }
  SUBCASE("with different parameters") {
    const std::string by_id = "SELECT v FROM t WHERE id = ?";
    auto outer = db.query(by_id, 1);
    REQUIRE(outer.next());
    {
      auto inner = db.query(by_id, 3);
      REQUIRE(inner.next());
      CHECK(inner.text(0) == "c");
    }
    CHECK(outer.text(0) == "a");
    CHECK(db.one_text(by_id, 2) == "b");
  }
  SUBCASE("an abandoned cursor does not leave the statement half-way") {
    {
      auto q = db.query(all);
      REQUIRE(q.next());
      REQUIRE(q.next());
    }
    auto q = db.query(all);
    REQUIRE(q.next());
    CHECK(q.int64(0) == 1);
  }
  SUBCASE("a moved cursor keeps its place") {
    auto q = db.query(all);
    REQUIRE(q.next());
    auto moved = std::move(q);
    REQUIRE(moved.next());
    CHECK(moved.int64(0) == 2);
  }
}

TEST_CASE("store::Transaction") {
  TempDir dir;
  const auto path = dir / "opsdesk.db";
  auto db = open_writer(path);
  auto count = [&] { return db->one_int("SELECT count(*) FROM ticket_counters").value_or(-1); };
  auto insert = [&](int year) {
    db->run("INSERT INTO ticket_counters (prefix, year, last) VALUES ('INC', ?, 1)", year);
  };
  SUBCASE("rolls back unless committed") {
    {
      Transaction tx(*db, true);
      insert(2026);
      CHECK(tx.active());
      CHECK(count() == 1);
    }
    CHECK(count() == 0);
  }
  SUBCASE("committed work stays") {
    {
      Transaction tx(*db, true);
      insert(2026);
      tx.commit();
      CHECK_FALSE(tx.active());
    }
    CHECK(count() == 1);
  }
  SUBCASE("an exception on the way out rolls back") {
    try {
      Transaction tx(*db, true);
      insert(2026);
      throw std::runtime_error("the command failed half-way");
    } catch (const std::runtime_error&) {
    }
    CHECK(count() == 0);
    Transaction tx(*db, true);  // and the connection is usable again
    insert(2027);
    tx.commit();
    CHECK(count() == 1);
  }
  SUBCASE("a read transaction is one snapshot") {
    auto reader = open_reader(path);
    Transaction rtx(*reader, false);
    CHECK(reader->one_int("SELECT count(*) FROM ticket_counters") == 0);
    insert(2026);
    CHECK(count() == 1);
    CHECK(reader->one_int("SELECT count(*) FROM ticket_counters") == 0);
  }
}

TEST_CASE("store::Transaction, a busy store is Error busy") {
  TempDir dir;
  const auto path = dir / "opsdesk.db";
  auto first = open_writer(path);
  auto second = open_writer(path, milliseconds(150));
  Transaction held(*first, true);
  first->run("INSERT INTO ticket_counters (prefix, year, last) VALUES ('INC', 2026, 1)");

  const auto start = std::chrono::steady_clock::now();
  const auto e = thrown([&] { Transaction tx(*second, true); });
  const auto waited = std::chrono::steady_clock::now() - start;
  CHECK(kind(e) == "busy");
  CHECK_MESSAGE(has(e.what(), "try again"), std::string(e.what()));
  CHECK(waited >= milliseconds(100));  // it waited for its turn first
  CHECK(waited < std::chrono::seconds(10));

  SUBCASE("readers are not blocked by the writer") {
    Transaction rtx(*second, false);
    CHECK(second->one_int("SELECT count(*) FROM ticket_counters") == 0);
  }
  SUBCASE("once the writer commits, the next writer gets its turn") {
    held.commit();
    Transaction tx(*second, true);
    CHECK(second->one_int("SELECT count(*) FROM ticket_counters") == 1);
    tx.commit();
  }
}

TEST_SUITE_END();
