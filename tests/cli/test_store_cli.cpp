// End-to-end: the store file: refused when it is not ours, private, created once under a race,
// and "busy, try again" when another opsdesk holds it.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli_helpers.hpp"
#include "harness.hpp"

using namespace opsdesk::test;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("cli store");

namespace {

// Writes SQLite has not put into the file yet (a hot journal, or a WAL with frames). An empty
// -wal and a -shm are what any reader of a WAL store leaves.
bool has_sidecars(const fs::path& db) {
  const fs::path wal = db.string() + "-wal";
  return fs::exists(db.string() + "-journal") || (fs::exists(wal) && fs::file_size(wal) > 0);
}

const std::vector<std::vector<std::string>> k_commands = {
    {"ticket", "list"}, {"ticket", "new", "x"}, {"ticket", "export"}, {"audit", "verify"}, {"audit", "log"}};

}  // namespace

TEST_CASE("a store written by a newer opsdesk is refused with 69 and left unchanged") {
  Sandbox s;
  new_ticket(s, {"made by this opsdesk"});
  const auto r = s.sql(on_postgres() ? "UPDATE opsdesk_meta SET value = '99' WHERE key = 'schema_version'"
                                      : "PRAGMA user_version = 99");
  REQUIRE_MESSAGE(r.code == 0, r.err);
  REQUIRE_FALSE(has_sidecars(s.db));
  const auto before = s.store_bytes();
  for (const auto& args : k_commands) {
    CAPTURE(args[1]);
    const auto out = s.run(args);
    CHECK(out.code == 69);
    CHECK_MESSAGE(has(out.err, "newer opsdesk"), out.err);
    CHECK_MESSAGE(has(out.err, s.db.string()), out.err);
  }
  CHECK(s.store_bytes() == before);
  CHECK_FALSE(has_sidecars(s.db));
}

TEST_CASE("a file that is not an opsdesk store is refused with 65 and left unchanged") {
  Sandbox s;
  SUBCASE("another program's database") {
    REQUIRE(s.sql("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (id, body) VALUES (1, 'keep')")
                .code == 0);
  }
  SUBCASE("a text file") {
    SQLITE_ONLY();
    s.write_file(s.db, "ref,title\nINC-2026-000001,not a database\n");
  }
  const auto before = s.store_bytes();
  for (const auto& args : k_commands) {
    CAPTURE(args[1]);
    const auto out = s.run(args);
    CHECK(out.code == 65);
    CHECK_MESSAGE(has(out.err, "not an opsdesk store"), out.err);
  }
  CHECK(s.store_bytes() == before);
  CHECK_FALSE(has_sidecars(s.db));
}

TEST_CASE("ticket new, 20 concurrent processes on a store that does not exist yet") {
  // The race is on creating and migrating the store, and it is timing-dependent: several rounds,
  // each on a new store, so that a lost race shows up in one run of the suite.
  UmaskGuard umask(0);
  for (int round = 0; round < 5; ++round) {
    CAPTURE(round);
    Sandbox s;
    if (!on_postgres()) s.db = s.dir / "new" / "opsdesk.db";  // not even its directory (PostgreSQL: an empty database)
    std::vector<pid_t> pids;
    const std::string out = (s.dir / "result").string();
    for (int i = 0; i < 20; ++i) {
      const pid_t pid = fork();
      REQUIRE(pid >= 0);
      if (pid == 0) {
        const auto r = s.run({"ticket", "new", "concurrent " + std::to_string(i)});
        std::ofstream f(out + std::to_string(i));
        f << r.code << ' ' << r.out << '\n' << r.err;
        f.close();
        _exit(0);
      }
      pids.push_back(pid);
    }
    for (const auto pid : pids) waitpid(pid, nullptr, 0);
    std::set<std::string> refs;
    std::string failures;
    for (int i = 0; i < 20; ++i) {
      const std::string text = file_bytes(out + std::to_string(i));
      std::istringstream f(text);
      int code = -1;
      std::string ref;
      f >> code >> ref;
      if (code == 0) refs.insert(ref);
      else failures += text;
    }
    CHECK_MESSAGE(failures.empty(), failures);
    CHECK(refs.size() == 20);
    const auto verify = s.run({"audit", "verify", "--json"});
    CHECK(verify.code == 0);
    CHECK(verify.json()["checked"] == static_cast<int>(refs.size()) + 1);  // the admin's bootstrap, then tickets
    CHECK(s.run({"ticket", "list", "--json", "--limit", "0"}).json().size() == refs.size());
    if (!on_postgres()) {
      CHECK(file_mode(s.db) == 0600);
      CHECK(file_mode(s.db.parent_path()) == 0700);
    }
    if (!failures.empty()) break;  // one lost race is enough to show
  }
}

TEST_CASE("the store file is private whatever the umask") {
  SQLITE_ONLY();
  Sandbox s;
  UmaskGuard umask(0);
  new_ticket(s, {"x"});
  CHECK(file_mode(s.db) == 0600);
}

TEST_CASE("read commands on a missing store answer and create nothing") {
  Sandbox s;
  if (!on_postgres()) s.db = s.dir / "later" / "opsdesk.db";
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"ticket", "list", "--json"}, {"ticket", "export"}, {"audit", "verify"}, {"audit", "log"}}) {
    CAPTURE(args[1]);
    CHECK(s.run(args).code == 0);
  }
  CHECK(s.run({"ticket", "show", "INC-2026-000001"}).code == 66);
  CHECK_FALSE(fs::exists(s.dir / "later"));
  if (on_postgres()) CHECK(s.sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").out == "0\n");
}

TEST_CASE("a store held by another writer: exit 75, try again") {
  Sandbox s;
  new_ticket(s, {"first"});
  s.write_config("[store]\nbusy_timeout = \"1s\"\n");
  // sqlite3 takes the write lock and keeps it for a few seconds.
  const pid_t holder = fork();
  REQUIRE(holder >= 0);
  if (holder == 0) {
    if (on_postgres())  // the desk's write lock, as every writing opsdesk takes it
      s.sql("BEGIN; SELECT pg_advisory_xact_lock(1330664260, 1); SELECT pg_sleep(4); ROLLBACK");
    else
      run_program({SQLITE3_BIN, s.db.string()},
                  "BEGIN IMMEDIATE;\nINSERT INTO ticket_counters (prefix, year, last) VALUES ('ZZZ', 1, 1);\n"
                  ".shell sleep 4\nROLLBACK;\n");
    _exit(0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const auto start = std::chrono::steady_clock::now();
  const auto r = s.run({"ticket", "new", "second"});
  const auto waited = std::chrono::steady_clock::now() - start;
  const auto reader = s.run({"ticket", "list", "--json"});
  waitpid(holder, nullptr, 0);
  CHECK(r.code == 75);
  CHECK_MESSAGE(has(r.err, "busy"), r.err);
  CHECK_MESSAGE(has(r.err, "try again"), r.err);
  CHECK(waited >= std::chrono::milliseconds(900));  // it waited busy_timeout first
  CHECK(reader.code == 0);                          // readers are not held up
  CHECK(reader.json().size() == 1);
  CHECK(s.run({"ticket", "new", "third"}).code == 0);  // and once it is free, all is well
  CHECK(s.run({"audit", "verify"}).code == 0);
}

TEST_CASE("a PostgreSQL store URL: a password is refused and never printed; no server is 69") {
  Sandbox s;
  const auto bare = [&](const std::vector<std::string>& args) {  // no --db: the config decides
    std::vector<std::string> argv = {OPSDESK_BIN, "--config", s.config.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto env = s.env;
    env["OPSDESK_USER"] = s.actor;
    return run_program(argv, "", env, s.dir);
  };
  s.db = "postgresql://desk:s3cret@127.0.0.1:1/opsdesk";
  auto r = s.run({"ticket", "list"});
  CHECK(r.code == 64);
  CHECK_MESSAGE(has(r.err, "carries a password"), r.err);
  CHECK_FALSE(has(r.err, "s3cret"));
  s.db = "postgresql://desk@127.0.0.1:1/opsdesk";  // nothing listens on port 1
  for (const auto& args : k_commands) {
    CAPTURE(args[1]);
    r = s.run(args);
    CHECK(r.code == 69);
    CHECK_MESSAGE(has(r.err, "cannot connect to the store postgresql://desk@127.0.0.1:1/opsdesk"), r.err);
  }
  s.write_config("[store]\nurl = \"postgresql://desk:s3cret@127.0.0.1:1/opsdesk\"\n");
  r = bare({"ticket", "list"});
  CHECK(r.code == 78);
  CHECK_MESSAGE(has(r.err, "password"), r.err);
  CHECK_FALSE(has(r.err, "s3cret"));
  s.write_config("[store]\nurl = \"postgresql://desk@127.0.0.1:1/opsdesk\"\npath = \"desk.db\"\n");
  CHECK(bare({"ticket", "list"}).code == 78);  // one or the other
  s.write_file("pw", "s3cret\n");
  fs::permissions(s.dir / "pw", fs::perms(0644));
  s.write_config("[store]\nurl = \"postgresql://desk@127.0.0.1:1/opsdesk\"\npassword_file = \"" + (s.dir / "pw").string() +
                 "\"\n");
  r = bare({"ticket", "list"});
  CHECK(r.code == 78);
  CHECK_MESSAGE(has(r.err, "chmod 600"), r.err);
  fs::permissions(s.dir / "pw", fs::perms(0600));
  r = bare({"ticket", "list"});
  CHECK(r.code == 69);
  CHECK_FALSE(has(r.err, "s3cret"));
  r = bare({"config", "show"});
  CHECK(r.code == 0);
  CHECK_FALSE(has(r.out, "s3cret"));
}

TEST_SUITE_END();
