// Consistent copies of a live SQLite database: a snapshot taken while another connection
// commits every 20 ms, in memory or through a temporary file; the facts of the copy; copying a
// database back into a live one.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "backup/snapshot.hpp"
#include "core/hash.hpp"
#include "store/db.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using backup::SqliteFacts;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::slurp;
using opsdesk::test::spit;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;
using std::chrono::milliseconds;

namespace fs = std::filesystem;

TEST_SUITE_BEGIN("backup");

namespace {

using Counts = std::vector<std::pair<std::string, std::int64_t>>;

// A WAL database whose invariant is count(items) = totals.n: each commit adds rows and the
// total together, so a copy that is not one consistent state breaks it.
void make_database(const fs::path& path, int rows, int page_size = 4096, bool wal = true) {
  store::SqliteDb db(path, store::Mode::read_write, milliseconds(5000));
  db.exec("PRAGMA page_size = " + std::to_string(page_size));
  if (wal) db.exec("PRAGMA journal_mode = WAL");
  db.exec(R"sql(
    CREATE TABLE items (id INTEGER PRIMARY KEY, payload TEXT NOT NULL);
    CREATE INDEX items_payload ON items(payload);
    CREATE TABLE totals (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
    CREATE TABLE "we""ird" (x);
    CREATE VIEW recent AS SELECT * FROM items ORDER BY id DESC LIMIT 10;
    INSERT INTO totals VALUES (1, 0);
    INSERT INTO "we""ird" VALUES (1), (2);
  )sql");
  store::Transaction tx(db, true);
  db.run("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) "
         "INSERT INTO items (payload) SELECT hex(randomblob(200)) FROM c",
         rows);
  db.run("UPDATE totals SET n = n + ?", rows);
  tx.commit();
}

// Commits five rows every 20 ms on its own connection until stopped.
class Writer {
 public:
  explicit Writer(fs::path path) : m_path(std::move(path)), m_thread([this] { run(); }) {}
  ~Writer() { stop(); }
  void stop() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
  }
  int commits() const { return m_commits; }
  const std::string& problem() const { return m_problem; }

 private:
  void run() {
    try {
      store::SqliteDb db(m_path, store::Mode::read_write, milliseconds(5000));
      while (!m_stop) {
        store::Transaction tx(db, true);
        for (int i = 0; i < 5; ++i) db.run("INSERT INTO items (payload) VALUES (hex(randomblob(200)))");
        db.run("UPDATE totals SET n = n + 5");
        tx.commit();
        ++m_commits;
        std::this_thread::sleep_for(milliseconds(20));
      }
    } catch (const std::exception& e) {
      m_problem = e.what();
    }
  }
  fs::path m_path;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_commits{0};
  std::string m_problem;
  std::thread m_thread;
};

// The schema hash computed here, apart from snapshot.cpp: each statement and a newline, in
// name order.
std::string schema_sha256_of(store::Db& db) {
  core::Sha256 h;
  auto q = db.query("SELECT coalesce(sql, '') FROM sqlite_schema ORDER BY name, type");
  while (q.next()) {
    h.update(q.text(0));
    h.update("\n");
  }
  return h.hex();
}

struct Snapshot {
  SqliteFacts facts;
  std::string bytes;
};

Snapshot take(const fs::path& db, std::int64_t memory_limit, const fs::path& temp_dir, core::Seconds timeout = 30) {
  Snapshot s;
  s.facts = backup::snapshot_sqlite(db, timeout, memory_limit, temp_dir, [&](std::string_view b) { s.bytes.append(b); });
  return s;
}

// The copy, written out, is a sound database that agrees with the facts reported for it.
void check_copy(const Snapshot& s, const fs::path& copy, std::int64_t at_least_rows) {
  REQUIRE(s.facts.page_size > 0);
  CHECK(static_cast<std::int64_t>(s.bytes.size()) == s.facts.page_count * s.facts.page_size);
  fs::remove(copy);
  spit(copy, s.bytes);
  CHECK(backup::integrity_problems(copy).empty());
  CHECK(backup::integrity_problems(copy, true).empty());
  const auto facts = backup::sqlite_facts(copy);
  CHECK(facts.page_count == s.facts.page_count);
  CHECK(facts.page_size == s.facts.page_size);
  CHECK(facts.schema_sha256 == s.facts.schema_sha256);
  CHECK(facts.row_counts == s.facts.row_counts);
  store::SqliteDb db(copy, store::Mode::read_only, milliseconds(1000));
  const auto items = db.one_int("SELECT count(*) FROM items").value_or(-1);
  CHECK(items >= at_least_rows);
  CHECK(db.one_int("SELECT n FROM totals") == items);  // one consistent state
  CHECK(db.one_int("SELECT max(id) FROM items") == items);
  CHECK(s.facts.row_counts == Counts{{"items", items}, {"totals", 1}, {"we\"ird", 2}});
  CHECK(s.facts.schema_sha256 == schema_sha256_of(db));
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  return out;
}

}  // namespace

TEST_CASE("backup::snapshot_sqlite of a WAL database while another connection commits every 20 ms") {
  TempDir dir;
  const auto path = dir / "live.db";
  const auto temp = dir / "temp";
  fs::create_directories(temp);
  make_database(path, 10000);  // about 8 MB with its index
  std::int64_t memory_limit = 0;
  SUBCASE("copied in memory") { memory_limit = std::int64_t{1} << 30; }
  SUBCASE("copied through a temporary file") { memory_limit = 1; }
  CAPTURE(memory_limit);

  Writer writer(path);
  const auto start = std::chrono::steady_clock::now();
  while (writer.commits() < 2 && std::chrono::steady_clock::now() - start < std::chrono::seconds(10))
    std::this_thread::sleep_for(milliseconds(5));
  // Snapshots one after another until the writer has committed 10 more times meanwhile.
  const int commits_before = writer.commits();
  int snapshots = 0;
  std::int64_t rows_seen = 10000;
  while ((writer.commits() < commits_before + 10 || snapshots < 3) &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(60)) {
    const auto s = take(path, memory_limit, temp);
    ++snapshots;
    CAPTURE(snapshots);
    check_copy(s, dir / "copy.db", rows_seen);
    rows_seen = s.facts.row_counts.at(0).second;  // never goes back
    CHECK(listing(temp).empty());  // no temporary file left behind
  }
  writer.stop();
  CHECK(writer.problem() == "");
  CHECK(snapshots >= 3);
  CHECK(writer.commits() >= commits_before + 10);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(60));
  // The last copy is behind the live database, never ahead of it.
  store::SqliteDb live(path, store::Mode::read_only, milliseconds(1000));
  CHECK(live.one_int("SELECT count(*) FROM items").value_or(0) >= rows_seen);
  CHECK(live.one_int("SELECT count(*) FROM items") == live.one_int("SELECT n FROM totals"));
}

TEST_CASE("backup::snapshot_sqlite, other page sizes and journal modes") {
  TempDir dir;
  const auto path = dir / "db";
  SUBCASE("8 KiB pages, in memory") {
    make_database(path, 500, 8192);
    const auto s = take(path, std::int64_t{1} << 30, dir.path);
    CHECK(s.facts.page_size == 8192);
    check_copy(s, dir / "copy.db", 500);
  }
  SUBCASE("8 KiB pages, through a file") {
    make_database(path, 500, 8192);
    const auto s = take(path, 1, dir.path);
    CHECK(s.facts.page_size == 8192);
    check_copy(s, dir / "copy.db", 500);
  }
  SUBCASE("a rollback-journal database") {
    make_database(path, 500, 4096, false);
    const auto s = take(path, 1, dir.path);
    check_copy(s, dir / "copy.db", 500);
    CHECK(s.facts.row_counts.at(0) == std::pair<std::string, std::int64_t>{"items", 500});
  }
}

TEST_CASE("backup::snapshot_sqlite, failures") {
  TempDir dir;
  SUBCASE("a missing database") {
    const auto e = thrown([&] { take(dir / "missing.db", 1 << 20, dir.path); });
    CHECK(kind(e) == "not_found");
    CHECK(std::string(e.what()) == "the database " + (dir / "missing.db").string() + " does not exist");
  }
  SUBCASE("a file that is not a database") {
    spit(dir / "notes.txt", std::string(8192, 'x'));
    const auto e = thrown([&] { take(dir / "notes.txt", 1 << 20, dir.path); });
    CHECK(kind(e) == "data");
    CHECK(std::string(e.what()) == (dir / "notes.txt").string() + " is not a SQLite database");
  }
  SUBCASE("a rollback-journal database locked by a writer for longer than the timeout") {
    const auto path = dir / "locked.db";
    make_database(path, 100, 4096, false);
    store::SqliteDb holder(path, store::Mode::read_write, milliseconds(1000));
    holder.exec("BEGIN EXCLUSIVE");
    holder.run("UPDATE totals SET n = n");
    const auto start = std::chrono::steady_clock::now();
    const auto e = thrown([&] { take(path, 1, dir.path, 1); });
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(kind(e) == "unavailable");
    CHECK(has(e.what(), "no consistent snapshot of " + path.string() + " within 1s"));
    CHECK(took >= milliseconds(900));
    CHECK(took < std::chrono::seconds(20));
    holder.exec("ROLLBACK");
    CHECK(take(path, 1, dir.path).facts.row_counts.at(0).second == 100);
    CHECK(listing(dir.path).size() == 1);  // still only the database: no temporary file left
  }
}

TEST_CASE("backup::copy_sqlite") {
  TempDir dir;
  const auto from = dir / "from.db";
  const auto to = dir / "to.db";
  make_database(from, 300);
  {
    store::SqliteDb other(to, store::Mode::read_write, milliseconds(1000));
    other.exec("PRAGMA journal_mode = WAL; CREATE TABLE unrelated (a, b); INSERT INTO unrelated VALUES (1, 2);");
  }
  SUBCASE("replaces the content of a live database; its open connections see the new content") {
    store::SqliteDb reader(to, store::Mode::read_only, milliseconds(1000));
    CHECK(reader.one_int("SELECT count(*) FROM unrelated") == 1);
    backup::copy_sqlite(from, to, 5);
    const auto a = backup::sqlite_facts(from);
    const auto b = backup::sqlite_facts(to);
    CHECK(b.page_count == a.page_count);
    CHECK(b.schema_sha256 == a.schema_sha256);
    CHECK(b.row_counts == a.row_counts);
    CHECK(b.row_counts == Counts{{"items", 300}, {"totals", 1}, {"we\"ird", 2}});
    CHECK(reader.one_int("SELECT n FROM totals") == 300);
    CHECK(reader.one_int("SELECT count(*) FROM sqlite_schema WHERE name = 'unrelated'") == 0);
    CHECK(backup::integrity_problems(to).empty());
  }
  SUBCASE("waits for a writer, and gives up after the timeout") {
    store::SqliteDb holder(to, store::Mode::read_write, milliseconds(1000));
    holder.exec("BEGIN IMMEDIATE");
    const auto start = std::chrono::steady_clock::now();
    const auto e = thrown([&] { backup::copy_sqlite(from, to, 1); });
    CHECK(kind(e) == "unavailable");
    CHECK(has(e.what(), "within 1s"));
    CHECK(std::chrono::steady_clock::now() - start >= milliseconds(900));
    holder.exec("ROLLBACK");
    CHECK(backup::sqlite_facts(to).row_counts == Counts{{"unrelated", 1}});
  }
  SUBCASE("a missing destination is not created") {
    const auto e = thrown([&] { backup::copy_sqlite(from, dir / "absent.db", 1); });
    CHECK(kind(e) == "unavailable");
    CHECK(has(e.what(), "cannot open " + (dir / "absent.db").string()));
    CHECK_FALSE(fs::exists(dir / "absent.db"));
  }
}

TEST_CASE("backup::sqlite_facts and integrity_problems") {
  TempDir dir;
  const auto path = dir / "db";
  make_database(path, 50);
  const auto f = backup::sqlite_facts(path);
  CHECK(f.page_size == 4096);
  CHECK(f.row_counts == Counts{{"items", 50}, {"totals", 1}, {"we\"ird", 2}});
  store::SqliteDb db(path, store::Mode::read_write, milliseconds(1000));
  CHECK(f.schema_sha256 == schema_sha256_of(db));
  CHECK(f.page_count == db.one_int("PRAGMA page_count"));
  db.exec("CREATE TABLE later (x)");
  CHECK(backup::sqlite_facts(path).schema_sha256 != f.schema_sha256);
  CHECK(backup::integrity_problems(path).empty());
}

TEST_SUITE_END();
