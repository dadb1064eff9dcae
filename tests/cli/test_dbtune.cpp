// End-to-end: opsdesk db-tune analyze|apply|undo|clean-temp|optimize|history on real SQLite files.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_helpers.hpp"
#include "harness.hpp"

using opsdesk::test::has;
using opsdesk::test::run_program;
using opsdesk::test::Sandbox;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("cli db-tune");

namespace {

void sh(const std::string& script) { REQUIRE(run_program({"/bin/sh", "-c", script}).code == 0); }

// A desk with one target database that has one of each problem.
struct Shop : Sandbox {
  fs::path target;
  Shop() {
    target = dir / "shop.db";
    write_file(dir / "plant.sql", R"sql(
CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, city TEXT);
CREATE TABLE orders(id INTEGER PRIMARY KEY, customer_id INTEGER, status TEXT, total REAL, created_at INTEGER);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 2000) INSERT INTO customers SELECT x, 'n' || x, 'c' || (x % 20) FROM c;
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 20000) INSERT INTO orders SELECT x, x % 2000 + 1, CASE x % 10 WHEN 0 THEN 'open' ELSE 'closed' END, x, 1700000000 + x FROM c;
CREATE INDEX orders_customer ON orders(customer_id);
CREATE INDEX orders_customer_again ON orders(customer_id);
CREATE INDEX orders_status_id ON orders(status, id);
CREATE TABLE tmp_import(a, b);
INSERT INTO tmp_import VALUES (1, 'one'), (2, 'two');
CREATE TABLE "tmp_odd ""name""; x"(v);
INSERT INTO "tmp_odd ""name""; x" VALUES ('kept in the backup');
CREATE TABLE temp_used(x);
CREATE VIEW v_used AS SELECT * FROM temp_used;
)sql");
    sh("sqlite3 '" + target.string() + "' < '" + (dir / "plant.sql").string() + "'");
    configure("");
  }
  void configure(const std::string& extra) const {
    write_config("[backup]\nrepository = \"" + (dir / "repo").string() + "\"\n[dbtune]\ntimeout = \"1s\"\n" + extra +
                 "[[dbtune.targets]]\nname = \"shop\"\nsystem = \"shop\"\npath = \"" + target.string() + "\"\n");
  }
  std::string q(const std::string& sql) const {
    auto r = run_program({"sqlite3", target.string(), sql});
    REQUIRE(r.code == 0);
    while (!r.out.empty() && r.out.back() == '\n') r.out.pop_back();
    return r.out;
  }
};

}  // namespace

TEST_CASE("db-tune analyze reports each planted problem and changes nothing") {
  Shop s;
  const auto before = opsdesk::test::file_bytes(s.target);
  const auto r = s.run({"db-tune", "analyze", "shop"});
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "duplicate-index:orders_customer_again"));
  CHECK(has(r.out, "rowid-suffix-index:orders_status_id"));
  CHECK(has(r.out, "temp-table:tmp_import"));
  CHECK(has(r.out, "stats:orders"));
  CHECK(has(r.out, "kept") == false);
  const auto j = s.run({"db-tune", "analyze", "shop", "--json"}).json();
  std::vector<std::string> ids;
  for (const auto& f : j["findings"]) ids.push_back(f["id"]);
  CHECK(std::find(ids.begin(), ids.end(), "temp-table:temp_used") != ids.end());
  for (const auto& f : j["findings"])
    if (f["id"] == "temp-table:temp_used") {
      CHECK(f["applicable"] == false);
      CHECK(f["details"]["dependants"][0] == "v_used");
    }
  CHECK(opsdesk::test::file_bytes(s.target) == before);
}

TEST_CASE("db-tune analyze: unknown target, no targets, missing file, not a database") {
  Shop s;
  auto r = s.run({"db-tune", "analyze", "shpo"});
  CHECK(r.code == 66);
  CHECK(has(r.err, "did you mean \"shop\""));
  s.write_config("");
  r = s.run({"db-tune", "analyze", "shop"});
  CHECK(r.code == 66);
  CHECK(has(r.err, "[[dbtune.targets]]"));
  s.configure("");
  fs::remove(s.target);
  r = s.run({"db-tune", "analyze", "shop"});
  CHECK(r.code == 66);
  s.write_file(s.target, "this is not a database, just text that is long enough to have a header.............\n");
  r = s.run({"db-tune", "analyze", "shop"});
  CHECK(r.code == 65);
  CHECK(has(r.err, "not a SQLite database"));
}

TEST_CASE("db-tune analyze --workload proposes the index a statement needs, from stdin too") {
  Shop s;
  const std::string workload = "-- hot path\nSELECT * FROM orders WHERE status = ? AND created_at > ? ORDER BY created_at;\n"
                               "SELECT name FROM customers WHERE city = 'c1';\n";
  s.write_file(s.dir / "work.sql", workload);
  const auto j = s.run({"db-tune", "analyze", "shop", "--workload", (s.dir / "work.sql").string(), "--json"}).json();
  std::vector<std::string> ids;
  for (const auto& f : j["findings"]) ids.push_back(f["id"]);
  CHECK(std::find(ids.begin(), ids.end(), "missing-index:orders(\"status\", \"created_at\")") != ids.end());
  CHECK(std::find(ids.begin(), ids.end(), "missing-index:customers(\"city\")") != ids.end());
  REQUIRE(j["workload"].size() == 2);
  CHECK(j["workload"][0]["line"] == 2);
  CHECK(has(j["workload"][0]["plan_after"][0].get<std::string>(), "USING INDEX orders_status_created_at"));
  const auto piped = s.run({"db-tune", "analyze", "shop", "--workload", "-", "--json"}, workload).json();
  CHECK(piped["workload"].size() == 2);
  // A statement the schema cannot prepare is reported, not fatal.
  const auto bad = s.run({"db-tune", "analyze", "shop", "--workload", "-", "--json"}, "SELECT * FROM nowhere;").json();
  CHECK(has(bad["workload"][0]["error"].get<std::string>(), "no such table"));
  CHECK(s.run({"db-tune", "analyze", "shop", "--workload", "-"}, "-- nothing\n").code == 65);
}

TEST_CASE("db-tune apply: backup first, change ticket, action recorded, undo puts it back") {
  Shop s;
  auto r = s.run({"db-tune", "apply", "shop", "--finding", "duplicate-index:orders_customer_again"});
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "backup shop-"));
  CHECK(s.q("SELECT count(*) FROM sqlite_schema WHERE name = 'orders_customer_again'") == "0");
  const auto history = s.run({"db-tune", "history", "--json"}).json();
  REQUIRE(history.size() == 1);
  CHECK(history[0]["status"] == "applied");
  const std::string change = history[0]["change_ref"];
  CHECK(change.rfind("CHG-", 0) == 0);
  const auto ticket = s.run({"ticket", "show", change, "--json"}).json();
  CHECK(ticket["status"] == "implemented");
  CHECK(s.run({"backup", "list", "--json"}).json().size() == 1);
  CHECK(s.run({"audit", "log", "--json"}).out.find("dbtune.apply") != std::string::npos);
  r = s.run({"db-tune", "undo", std::to_string(history[0]["id"].get<int>())});
  REQUIRE(r.code == 0);
  CHECK(s.q("SELECT count(*) FROM sqlite_schema WHERE name = 'orders_customer_again'") == "1");
  CHECK(s.run({"db-tune", "history", "--json"}).json()[0]["status"] == "undone");
  r = s.run({"db-tune", "undo", "1"});
  CHECK(r.code == 1);
  CHECK(has(r.err, "undone"));
  CHECK(s.run({"db-tune", "undo", "99"}).code == 66);
}

TEST_CASE("db-tune apply refuses unknown findings, advice and a missing choice, changing nothing") {
  Shop s;
  const auto before = opsdesk::test::file_bytes(s.target);
  auto r = s.run({"db-tune", "apply", "shop", "--finding", "duplicate-index:orders_customer_agian"});
  CHECK(r.code == 64);
  CHECK(has(r.err, "did you mean \"duplicate-index:orders_customer_again\""));
  r = s.run({"db-tune", "apply", "shop", "--finding", "temp-table:temp_used"});
  CHECK(r.code == 1);
  CHECK(has(r.err, "advice"));
  CHECK(s.run({"db-tune", "apply", "shop"}).code == 64);
  r = s.run({"db-tune", "apply", "shop", "--all-safe", "--dry-run"});
  CHECK(r.code == 0);
  CHECK(has(r.out, "dry run"));
  CHECK(opsdesk::test::file_bytes(s.target) == before);
  CHECK(s.run({"backup", "list", "--json"}).json().empty());
  CHECK(s.run({"db-tune", "history", "--json"}).json().empty());
}

TEST_CASE("db-tune apply needs dbtune.apply: a viewer gets 77 and nothing changes") {
  Shop s;
  REQUIRE(s.run({"account", "add", "zhao", "--role", "viewer"}).code == 0);
  const auto before = opsdesk::test::file_bytes(s.target);
  const auto r = s.run_as("zhao", {"db-tune", "apply", "shop", "--all-safe"});
  CHECK(r.code == 77);
  CHECK(has(r.err, "dbtune.apply"));
  CHECK(opsdesk::test::file_bytes(s.target) == before);
  CHECK(s.run({"db-tune", "history", "--json"}).json().empty());
}

TEST_CASE("db-tune clean-temp: a dry run by default, --apply drops what nothing depends on and undo brings rows back") {
  Shop s;
  auto r = s.run({"db-tune", "clean-temp", "shop"});
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "would drop"));
  CHECK(has(r.out, "kept: used by v_used"));
  CHECK(s.q("SELECT count(*) FROM tmp_import") == "2");
  r = s.run({"db-tune", "clean-temp", "shop", "--apply", "--json"});
  REQUIRE(r.code == 0);
  const auto j = r.json();
  CHECK(s.q("SELECT count(*) FROM sqlite_schema WHERE name IN ('tmp_import', 'tmp_odd \"name\"; x')") == "0");
  CHECK(s.q("SELECT count(*) FROM sqlite_schema WHERE name = 'temp_used'") == "1");
  int odd = 0;
  for (const auto& x : j)
    if (x["object"] == "tmp_odd \"name\"; x") odd = x["action"].get<int>();
  REQUIRE(odd > 0);
  REQUIRE(s.run({"db-tune", "undo", std::to_string(odd)}).code == 0);
  CHECK(s.q("SELECT v FROM \"tmp_odd \"\"name\"\"; x\"") == "kept in the backup");
}

TEST_CASE("db-tune optimize: VACUUM after a mass delete gives the space back, --dry-run changes nothing") {
  Shop s;
  s.q("CREATE TABLE junk(x); INSERT INTO junk SELECT randomblob(2000) FROM orders; DELETE FROM junk;");
  const auto size = fs::file_size(s.target);
  auto r = s.run({"db-tune", "optimize", "shop", "--dry-run"});
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "would run"));
  CHECK(fs::file_size(s.target) == size);
  r = s.run({"db-tune", "optimize", "shop", "--json"});
  REQUIRE(r.code == 0);
  CHECK(fs::file_size(s.target) < size / 2);
  CHECK(s.q("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'orders'") != "0");
  CHECK(s.q("PRAGMA integrity_check") == "ok");
}

TEST_CASE("db-tune apply on a database another process is writing: exit 75, nothing half-done") {
  Shop s;
  // A writer holds the write lock for 5 s.
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execlp("sqlite3", "sqlite3", s.target.c_str(), "BEGIN IMMEDIATE; INSERT INTO tmp_import VALUES (3, 'x'); "
             "SELECT 1 FROM (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 30000000) SELECT x FROM c) "
             "WHERE x = 0; COMMIT;", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::usleep(300 * 1000);
  const auto r = s.run({"db-tune", "apply", "shop", "--finding", "duplicate-index:orders_customer_again"});
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(r.code == 75);
  CHECK(has(r.err, "busy"));
  CHECK(s.q("SELECT count(*) FROM sqlite_schema WHERE name = 'orders_customer_again'") == "1");
  for (const auto& a : s.run({"db-tune", "history", "--json"}).json()) CHECK(a["status"] != "applied");
}

TEST_SUITE_END();
