// End-to-end: opsdesk backup run|list|show|verify|restore|prune on real files and databases.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli_helpers.hpp"
#include "harness.hpp"
#include "pg_helpers.hpp"

using opsdesk::test::run_program;
using opsdesk::test::Sandbox;
using opsdesk::test::on_postgres;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("cli backup");

namespace {

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

std::string slurp(const fs::path& p) { return opsdesk::test::file_bytes(p); }

void sh(const std::string& script) { REQUIRE(run_program({"/bin/sh", "-c", script}).code == 0); }

// A desk with a repository, a SQLite database, a directory of files and a dump command.
struct Desk : Sandbox {
  fs::path repo, source, files;
  Desk() {
    repo = dir / "repo";
    source = dir / "app.db";
    files = dir / "files";
    sh("sqlite3 '" + source.string() + "' \"PRAGMA journal_mode=WAL; CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT); "
       "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x < 3000) "
       "INSERT INTO t(v) SELECT hex(randomblob(50)) FROM c; CREATE TABLE u(k);\" >/dev/null");
    fs::create_directories(files / "etc" / "app");
    write_file(files / "etc" / "app" / "main.conf", "port = 8080\n");
    write_file(files / "etc" / "app" / "with space 'and quote'.conf", "odd\n");
    write_file(files / "etc" / "app" / "中文名.txt", "名字\n");
    write_file(files / "etc" / "app" / "skip.tmp", "temporary\n");
    fs::create_symlink("main.conf", files / "etc" / "app" / "current");
    ::chmod((files / "etc" / "app" / "main.conf").c_str(), 0640);
    write_config("[backup]\nrepository = \"" + repo.string() + "\"\n[backup.retention]\nkeep_last = 2\n" + targets());
  }
  std::string targets(const std::string& extra = "") const {
    return "[[backup.targets]]\nname = \"db\"\nkind = \"sqlite\"\npath = \"" + source.string() + "\"\n"
           "[[backup.targets]]\nname = \"conf\"\nkind = \"files\"\npaths = [\"" + (files / "etc").string() +
           "\"]\nexclude = [\"*.tmp\"]\n"
           "[[backup.targets]]\nname = \"dump\"\nkind = \"command\"\nargv = [\"sqlite3\", \"" + source.string() + "\", \".dump\"]\n" +
           extra;
  }
  std::string newest(const std::string& target) {
    const auto list = run({"backup", "list", "--target", target, "--json"}).json();
    REQUIRE_FALSE(list.empty());
    return list.back()["id"];
  }
};

}  // namespace

TEST_CASE("backup run: every kind, then a deep verify of each") {
  Desk d;
  auto r = d.run({"backup", "run"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(has(r.out, "db: "));
  const auto list = d.run({"backup", "list", "--json"}).json();
  CHECK(list.size() == 3);
  for (const auto& b : list) {
    CHECK(fs::exists(d.repo / b["artifact"].get<std::string>()));
    CHECK(fs::exists(d.repo / (b["id"].get<std::string>() + ".json")));
    struct stat st {};
    ::stat((d.repo / b["artifact"].get<std::string>()).c_str(), &st);
    CHECK((st.st_mode & 0777) == 0600);
  }
  r = d.run({"backup", "verify", "--all", "--deep"});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(has(r.out, "integrity_check ok"));
  const auto show = d.run({"backup", "show", d.newest("db"), "--json"}).json();
  CHECK(show["manifest"]["sqlite"]["row_counts"]["t"] == 3000);
  CHECK(show["verified_deep"] == true);
}

TEST_CASE("backup run: a SQLite database written every 20 ms is snapshotted consistently") {
  Desk d;
  const std::string writer = "while true; do sqlite3 '" + d.source.string() +
                             "' \"INSERT INTO t(v) VALUES ('live')\" 2>/dev/null; sleep 0.02; done";
  const pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", writer.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::usleep(300000);
  const auto r = d.run({"backup", "run", "db"});
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
  sh("pkill -f \"INSERT INTO t(v) VALUES ('live')\" || true");
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto id = d.newest("db");
  CHECK(d.run({"backup", "verify", id, "--deep"}).code == 0);
  const auto restored = d.dir / "restored.db";
  REQUIRE(d.run({"backup", "restore", id, "--to", restored.string()}).code == 0);
  const auto check = run_program({"sqlite3", restored.string(), "PRAGMA integrity_check; SELECT count(*) >= 3000 FROM t;"});
  CHECK(check.out == "ok\n1\n");
}

TEST_CASE("backup: files keep modes, symlinks and odd names, excludes apply") {
  Desk d;
  REQUIRE(d.run({"backup", "run", "conf"}).code == 0);
  const auto to = d.dir / "out";
  REQUIRE(d.run({"backup", "restore", d.newest("conf"), "--to", to.string()}).code == 0);
  const auto base = to / d.files.relative_path() / "etc" / "app";
  CHECK(slurp(base / "main.conf") == "port = 8080\n");
  CHECK(slurp(base / "with space 'and quote'.conf") == "odd\n");
  CHECK(slurp(base / "中文名.txt") == "名字\n");
  CHECK_FALSE(fs::exists(base / "skip.tmp"));
  CHECK(fs::is_symlink(base / "current"));
  CHECK(fs::read_symlink(base / "current") == "main.conf");
  struct stat st {};
  ::stat((base / "main.conf").c_str(), &st);
  CHECK((st.st_mode & 0777) == 0640);
}

TEST_CASE("backup: a failing dump command is recorded as failed and leaves nothing") {
  Desk d;
  d.write_config("[backup]\nrepository = \"" + d.repo.string() + "\"\n" +
                 "[[backup.targets]]\nname = \"pg\"\nkind = \"command\"\n"
                 "argv = [\"sh\", \"-c\", \"echo partial dump; echo 'pg_dump: connection refused' >&2; exit 1\"]\n");
  const auto r = d.run({"backup", "run"});
  CHECK(r.code == 1);
  CHECK(has(r.err, "pg_dump: connection refused"));
  CHECK(d.run({"backup", "list", "--json"}).json().empty());
  const auto all = d.run({"backup", "list", "--all", "--json"}).json();
  REQUIRE(all.size() == 1);
  CHECK(all[0]["status"] == "failed");
  for (const auto& e : fs::directory_iterator(d.repo)) FAIL("left in the repository: " << e.path());
  // The id `backup run` reports for a failed run is the one it is stored under.
  const auto again = d.run({"backup", "run", "--json", "id,status"});
  CHECK(again.code == 1);
  const auto id = again.json()[0]["id"].get<std::string>();
  CHECK(has(id, "-failed-"));
  const auto shown = d.run({"backup", "show", id, "--json"});
  CHECK_MESSAGE(shown.code == 0, shown.err);
  CHECK(shown.json()["status"] == "failed");
}

TEST_CASE("backup run, verify and prune check --json FIELDS before doing anything") {
  Desk d;
  auto r = d.run({"backup", "run", "db", "--json", "id,nope"});
  CHECK(r.code == 64);
  CHECK(has(r.err, "nope"));
  CHECK(d.run({"backup", "list", "--all", "--json"}).json().empty());
  REQUIRE(d.run({"backup", "run", "db"}).code == 0);
  CHECK(d.run({"backup", "verify", "--latest", "--json", "oops"}).code == 64);
  CHECK(d.run({"backup", "prune", "--json", "oops"}).code == 64);
  r = d.run({"backup", "verify", "--latest", "--json", "ok"});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(r.json() == nlohmann::ordered_json::array({{{"ok", true}}}));
}

TEST_CASE("backup: encrypted round trip, a wrong key refused, a missing key fails closed") {
  Desk d;
  const auto key = d.dir / "backup.key";
  REQUIRE(d.run({"backup", "key", "--output", key.string()}).code == 0);
  CHECK(d.run({"backup", "key", "--output", key.string()}).code == 1);  // never overwritten
  d.write_config("[backup]\nrepository = \"" + d.repo.string() + "\"\nkey_file = \"" + key.string() + "\"\n" +
                 "[[backup.targets]]\nname = \"secret\"\nkind = \"sqlite\"\nencrypt = true\npath = \"" + d.source.string() + "\"\n");
  REQUIRE(d.run({"backup", "run"}).code == 0);
  const auto b = d.run({"backup", "list", "--json"}).json()[0];
  CHECK(b["encrypted"] == true);
  CHECK(slurp(d.repo / b["artifact"].get<std::string>()).starts_with("OPSDESK-ENC1\n"));
  CHECK(d.run({"backup", "verify", b["id"], "--deep"}).code == 0);
  SUBCASE("a wrong key") {
    sh("cp '" + key.string() + "' '" + key.string() + ".good'");
    REQUIRE(d.run({"backup", "key", "--output", (d.dir / "other.key").string()}).code == 0);
    sh("cp '" + (d.dir / "other.key").string() + "' '" + key.string() + "'");
    const auto r = d.run({"backup", "verify", b["id"], "--deep"});
    CHECK(r.code == 1);
    CHECK(has(r.err, "wrong key"));
    CHECK(d.run({"backup", "restore", b["id"], "--to", (d.dir / "x.db").string()}).code == 65);
    CHECK_FALSE(fs::exists(d.dir / "x.db"));
  }
  SUBCASE("no key file") {
    fs::remove(key);
    const auto r = d.run({"backup", "run"});
    CHECK(r.code == 1);
    CHECK(has(r.err, "key"));
    CHECK(d.run({"backup", "list", "--json"}).json().size() == 1);
  }
}

TEST_CASE("backup restore: never into the repository, only inside backup.restore_roots when set") {
  Desk d;
  REQUIRE(d.run({"backup", "run", "db", "conf"}).code == 0);
  const auto db = d.newest("db");
  const auto conf = d.newest("conf");
  auto r = d.run({"backup", "restore", db, "--to", (d.repo / "x.db").string()});
  CHECK(r.code == 1);
  CHECK_MESSAGE(has(r.err, "inside the backup repository"), r.err);
  CHECK_FALSE(fs::exists(d.repo / "x.db"));

  fs::create_directories(d.dir / "restore");
  fs::create_directories(d.dir / "elsewhere");
  d.write_config("[backup]\nrepository = \"" + d.repo.string() + "\"\nrestore_roots = [\"" + (d.dir / "restore").string() +
                 "\"]\n[backup.retention]\nkeep_last = 2\n" + d.targets());
  r = d.run({"backup", "restore", db, "--to", (d.dir / "elsewhere" / "x.db").string()});
  CHECK(r.code == 77);
  CHECK_MESSAGE(has(r.err, "outside backup.restore_roots"), r.err);
  CHECK_FALSE(fs::exists(d.dir / "elsewhere" / "x.db"));
  r = d.run({"backup", "restore", conf, "--to", (d.dir / "restore" / ".." / "elsewhere" / "c").string()});
  CHECK(r.code == 77);
  CHECK_FALSE(fs::exists(d.dir / "elsewhere" / "c"));
  r = d.run({"backup", "restore", db, "--to", (d.dir / "restore" / "x.db").string()});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(fs::exists(d.dir / "restore" / "x.db"));
  r = d.run({"backup", "restore", conf, "--to", (d.dir / "restore" / "conf").string()});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(fs::exists(d.dir / "restore" / "conf"));
  // A relative root is a config error naming the key.
  d.write_config("[backup]\nrestore_roots = [\"restore\"]\n");
  r = d.run({"config", "check"});
  CHECK(r.code == 78);
  CHECK(has(r.err, "restore_roots"));
}

TEST_CASE("backup restore: the guards") {
  Desk d;
  REQUIRE(d.run({"backup", "run", "db"}).code == 0);
  const auto id = d.newest("db");
  const auto target = d.dir / "r.db";
  d.write_file(target, "precious");
  auto r = d.run({"backup", "restore", id, "--to", target.string()});
  CHECK(r.code == 1);
  CHECK(has(r.err, "--force"));
  CHECK(slurp(target) == "precious");
  fs::create_symlink(d.dir, d.dir / "link");
  r = d.run({"backup", "restore", id, "--to", (d.dir / "link" / "x.db").string()});
  CHECK(r.code == 1);
  CHECK(has(r.err, "symlink"));
  fs::create_symlink(target, d.dir / "file-link");
  CHECK(d.run({"backup", "restore", id, "--to", (d.dir / "file-link").string(), "--force"}).code == 1);
  CHECK(d.run({"backup", "restore", id, "--to", (d.dir / "no" / "such" / "x.db").string()}).code == 1);
  CHECK(d.run({"backup", "restore", "db-19990101T000000Z", "--to", (d.dir / "y.db").string()}).code == 66);
  REQUIRE(d.run({"backup", "restore", id, "--to", target.string(), "--force"}).code == 0);
  CHECK(run_program({"sqlite3", target.string(), "SELECT count(*) FROM t"}).out == "3000\n");
  SUBCASE("in place, after a safety backup") {
    sh("sqlite3 '" + d.source.string() + "' 'DELETE FROM t WHERE id > 10'");
    r = d.run({"backup", "restore", id, "--in-place"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(has(r.out, "safety backup"));
    CHECK(run_program({"sqlite3", d.source.string(), "SELECT count(*) FROM t"}).out == "3000\n");
    const auto safety = d.newest("db");
    CHECK(d.run({"backup", "show", safety, "--json"}).json()["manifest"]["sqlite"]["row_counts"]["t"] == 10);
  }
}

TEST_CASE("backup verify: a damaged artifact is caught") {
  Desk d;
  REQUIRE(d.run({"backup", "run", "dump"}).code == 0);
  const auto b = d.run({"backup", "list", "--json"}).json()[0];
  const auto artifact = d.repo / b["artifact"].get<std::string>();
  {
    // Flip the byte (writing a fixed one left the file unchanged when it was already that byte).
    std::fstream f(artifact, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    const char was = static_cast<char>(f.get());
    f.seekp(100);
    f.put(static_cast<char>(~was));
  }
  auto r = d.run({"backup", "verify", b["id"]});
  CHECK(r.code == 1);
  CHECK(has(r.err, "SHA-256"));
  CHECK(d.run({"backup", "list", "--json"}).json()[0]["verify_status"] == "corrupt");
}

TEST_CASE("backup prune: restic's rules, the reasons, and the newest verified backup kept") {
  Desk d;
  for (const char* when : {"2026-11-20T01:00:00Z", "2026-11-21T01:00:00Z", "2026-11-22T01:00:00Z", "2026-11-23T01:00:00Z"})
    REQUIRE(d.run_env({{"OPSDESK_NOW", when}}, {"backup", "run", "dump"}).code == 0);
  const auto list = d.run({"backup", "list", "--json"}).json();
  REQUIRE(d.run({"backup", "verify", list[0]["id"], "--deep"}).code == 0);  // the oldest is verified
  auto r = d.run({"backup", "prune", "--dry-run"});
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "kept because: last 1"));
  CHECK(has(r.out, "kept because: newest verified"));
  CHECK(has(r.out, "would remove 1 of 4"));
  CHECK(d.run({"backup", "list", "--json"}).json().size() == 4);
  r = d.run({"backup", "prune"});
  CHECK(has(r.out, "removed 1 of 4"));
  CHECK(d.run({"backup", "list", "--json"}).json().size() == 3);
  CHECK_FALSE(fs::exists(d.repo / (list[1]["id"].get<std::string>() + ".json")));
  d.write_config("[backup]\nrepository = \"" + d.repo.string() + "\"\n" + d.targets());
  r = d.run({"backup", "prune"});
  CHECK(r.code == 78);
  CHECK(has(r.err, "empty"));
}

TEST_CASE("backup list --rescan: the index is rebuilt from the manifests, half-written backups never show") {
  Desk d;
  REQUIRE(d.run({"backup", "run"}).code == 0);
  d.write_file(d.repo / ".db-20261125T000000Z.zst.tmp-abc123", "half");  // what a crash leaves
  d.write_file(d.repo / "db-20261125T010000Z.zst", "no manifest");       // an artifact without its manifest
  if (on_postgres()) {  // the store is lost: a new, empty one
    REQUIRE(d.sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public").code == 0);
  } else {
    fs::remove(d.db);
    fs::remove(d.db.string() + "-wal");
    fs::remove(d.db.string() + "-shm");
  }
  CHECK(d.run({"backup", "list", "--json"}).json().empty());
  const auto r = d.run({"backup", "list", "--rescan", "--json"});
  REQUIRE(r.code == 0);
  CHECK(r.json().size() == 3);
  CHECK(d.run({"backup", "verify", "--all"}).code == 0);
}

TEST_CASE("backup: overlapping runs are locked out, a locked database times out with 69") {
  Desk d;
  d.write_config("[backup]\nrepository = \"" + d.repo.string() + "\"\n" +
                 "[[backup.targets]]\nname = \"slow\"\nkind = \"command\"\nargv = [\"sh\", \"-c\", \"sleep 2; echo done\"]\n"
                 "[[backup.targets]]\nname = \"locked\"\nkind = \"sqlite\"\ntimeout = \"1s\"\npath = \"" +
                 (d.dir / "rollback.db").string() + "\"\n");
  const pid_t pid = fork();
  if (pid == 0) {
    const auto r = d.run({"backup", "run", "slow"});
    _exit(r.code);
  }
  ::usleep(500000);
  auto r = d.run({"backup", "run", "slow"});
  CHECK(r.code == 75);
  CHECK(has(r.err, "another backup run"));
  int status = 0;
  ::waitpid(pid, &status, 0);
  CHECK(WEXITSTATUS(status) == 0);
  sh("sqlite3 '" + (d.dir / "rollback.db").string() + "' 'CREATE TABLE x(y)'");
  const std::string holder = "(echo 'BEGIN EXCLUSIVE; INSERT INTO x VALUES (1);'; sleep 4) | sqlite3 '" +
                             (d.dir / "rollback.db").string() + "'";
  const pid_t lock = fork();
  if (lock == 0) {
    execl("/bin/sh", "sh", "-c", holder.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  ::usleep(500000);
  r = d.run({"backup", "run", "locked"});
  CHECK(r.code == 69);
  CHECK(has(r.err, "no consistent snapshot"));
  ::waitpid(lock, nullptr, 0);
}

TEST_CASE("backup: a backup_freshness check reads the last verified backup") {
  Desk d;
  d.write_config("[backup]\nrepository = \"" + d.repo.string() + "\"\n" + d.targets() +
                 "[[checks]]\nname = \"db-backup\"\nsystem = \"erp\"\ntype = \"backup_freshness\"\ntarget = \"db\"\n"
                 "critical = \"~:86400\"\n");
  auto r = d.run({"inspect", "run"});
  CHECK(r.code == 2);
  CHECK(has(r.out, "no verified backup"));
  REQUIRE(d.run({"backup", "run", "db"}).code == 0);
  REQUIRE(d.run({"backup", "verify", "--latest", "--deep"}).code == 0);
  r = d.run({"inspect", "run", "--all"});
  CHECK_MESSAGE(r.code == 0, r.out);
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cli backup");

TEST_CASE("backup run and ticket export onto a full file system: exit 74, a clear message, no partial file") {
  Desk d;
  const auto small = d.dir / "small";
  fs::create_directories(small);
  // A 256 KiB tmpfs made for the test; without the right to mount one, the test says so.
  if (run_program({"mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", small.string()}).code != 0) {
    MESSAGE("cannot mount a tmpfs here (not root?): the full-disk case was not run");
    return;
  }
  struct Unmount {
    fs::path p;
    ~Unmount() { run_program({"umount", p.string()}); }
  } unmount{small};
  sh("sqlite3 '" + (d.dir / "big.db").string() + "' \"CREATE TABLE t(x); WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
     "SELECT i+1 FROM c WHERE i < 3000) INSERT INTO t SELECT randomblob(1000) FROM c;\"");
  d.write_config("[backup]\nrepository = \"" + small.string() + "\"\n[[backup.targets]]\nname = \"big\"\nkind = \"sqlite\"\npath = \"" +
                 (d.dir / "big.db").string() + "\"\n");
  auto r = d.run({"backup", "run"});
  CHECK(r.code == 74);
  CHECK(has(r.err, "No space left on device"));
  CHECK(fs::is_empty(small));
  CHECK(d.run({"backup", "list", "--json"}).json().empty());
  for (int i = 0; i < 150; ++i) REQUIRE(d.run({"ticket", "new", "t" + std::to_string(i), "--description", std::string(2000, 'x')}).code == 0);
  r = d.run({"ticket", "export", "--output", (small / "tickets.jsonl").string()});
  CHECK(r.code == 74);
  CHECK(has(r.err, "No space left on device"));
  CHECK(fs::is_empty(small));
}

TEST_SUITE_END();

TEST_SUITE_BEGIN("cli backup");

namespace {

using opsdesk::test::PgDatabase;

// A desk whose one target is the postgres database `url` (after `extra` keys of the target).
void postgres_target(const Sandbox& d, const std::string& url, const std::string& extra = "") {
  d.write_config("[backup]\nrepository = \"" + (d.dir / "repo").string() + "\"\n[[backup.targets]]\nname = \"erp\"\n"
                 "kind = \"postgres\"\n" + extra + "url = \"" + url + "\"\n");
}

// What a database holds, to compare two: each table's row count and a hash of its rows.
std::string fingerprint(const PgDatabase& db) {
  return db.sql("SELECT count(*), md5(string_agg(v, ',' ORDER BY id)) FROM t") + db.sql("SELECT count(*) FROM u") +
         db.sql("SELECT * FROM w");
}

}  // namespace

TEST_CASE("backup, a postgres target: run, verify, verify --deep, restore into an empty database") {
  POSTGRES_ONLY();
  Sandbox d;
  PgDatabase src(d, "src");
  src.sql("CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL); "
          "INSERT INTO t (v) SELECT md5(i::text) || ' 中文, \"quoted\"' FROM generate_series(1, 3000) i; "
          "CREATE TABLE u (k int REFERENCES t (id)); INSERT INTO u VALUES (1), (2); "
          "CREATE VIEW w AS SELECT count(*) AS n FROM t");
  postgres_target(d, src.url);
  auto r = d.run({"backup", "run"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto list = d.run({"backup", "list", "--json"}).json();
  REQUIRE(list.size() == 1);
  const std::string id = list[0]["id"];
  CHECK(list[0]["kind"] == "postgres");
  const auto manifest = d.run({"backup", "show", id, "--json"}).json()["manifest"];
  CHECK(manifest["postgres"]["database"] == src.url);
  CHECK(manifest["postgres"]["tables"] == 2);
  CHECK(has(manifest["postgres"]["server_version"].get<std::string>(), "."));

  r = d.run({"backup", "verify", id});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK_MESSAGE(has(r.out, "pg_restore reads its table of contents"), r.out);
  r = d.run({"backup", "verify", id, "--deep"});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK_MESSAGE(has(r.out, "restore drill ok: 2 tables"), r.out);
  CHECK(d.run({"backup", "show", id, "--json"}).json()["verified_deep"] == true);
  CHECK(opsdesk::test::drill_databases_left() == 0);

  PgDatabase dst(d, "dst");
  r = d.run({"backup", "restore", id, "--to", dst.url, "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.json()["to"] == dst.url);
  CHECK(fingerprint(dst) == fingerprint(src));
  CHECK(has(fingerprint(dst), "3000|"));

  SUBCASE("a database that is not empty any more: refused without --force, replaced with it") {
    r = d.run({"backup", "restore", id, "--to", dst.url});
    CHECK(r.code == 1);
    CHECK_MESSAGE(has(r.err, "is not empty"), r.err);
    CHECK(has(r.err, "--force"));
    dst.sql("DELETE FROM u; DELETE FROM t WHERE id > 10");
    r = d.run({"backup", "restore", id, "--to", dst.url, "--force"});
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK(fingerprint(dst) == fingerprint(src));
  }
  SUBCASE("--to a path, or a URL with a password: 64, nothing restored") {
    PgDatabase other(d, "other");
    r = d.run({"backup", "restore", id, "--to", (d.dir / "erp.dump").string()});
    CHECK(r.code == 64);
    CHECK(has(r.err, "--to postgresql://"));
    CHECK_FALSE(fs::exists(d.dir / "erp.dump"));
    const auto with_password = "postgresql://someone:s3cret@" + other.url.substr(other.url.find('@') + 1);
    r = d.run({"backup", "restore", id, "--to", with_password});
    CHECK(r.code == 64);
    CHECK(has(r.err, "password"));
    CHECK_FALSE(has(r.err, "s3cret"));
    CHECK(other.sql("SELECT count(*) FROM pg_class WHERE relname = 't'") == "0\n");
  }
}

TEST_CASE("backup, a postgres target: restore --in-place takes a safety backup first") {
  POSTGRES_ONLY();
  Sandbox d;
  PgDatabase src(d, "src");
  src.sql("CREATE TABLE t (id serial PRIMARY KEY, v text NOT NULL); INSERT INTO t (v) SELECT i::text FROM generate_series(1, 500) i");
  postgres_target(d, src.url);
  REQUIRE(d.run({"backup", "run"}).code == 0);
  const std::string id = d.run({"backup", "list", "--json"}).json()[0]["id"];
  src.sql("DELETE FROM t WHERE id > 10; CREATE TABLE added_later (x int)");
  const auto r = d.run({"backup", "restore", id, "--in-place"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(has(r.out, "safety backup"));
  CHECK(src.sql("SELECT count(*) FROM t") == "500\n");
  CHECK(src.sql("SELECT count(*) FROM added_later") == "0\n");  // objects the backup does not hold stay
  const auto list = d.run({"backup", "list", "--json"}).json();
  REQUIRE(list.size() == 2);
  CHECK(d.run({"backup", "show", list[1]["id"], "--json"}).json()["manifest"]["postgres"]["tables"] == 2);
}

TEST_CASE("backup verify --deep, a postgres drill that fails still drops its scratch database") {
  POSTGRES_ONLY();
  Sandbox d;
  PgDatabase src(d, "src");
  src.sql("CREATE TABLE t (id int); CREATE TABLE u (id int)");
  postgres_target(d, src.url);
  REQUIRE(d.run({"backup", "run"}).code == 0);
  const std::string id = d.run({"backup", "list", "--json"}).json()[0]["id"];
  // The store's copy of the manifest now claims another table count than the dump holds.
  REQUIRE(d.sql("UPDATE backups SET manifest = replace(manifest, '\"tables\":2', '\"tables\":5')").code == 0);
  const auto r = d.run({"backup", "verify", id, "--deep"});
  CHECK(r.code == 1);
  CHECK_MESSAGE(has(r.err, "restored 2 tables, 5 recorded"), r.err);
  CHECK(d.run({"backup", "list", "--json"}).json()[0]["verify_status"] == "corrupt");
  CHECK(opsdesk::test::drill_databases_left() == 0);
}

TEST_CASE("backup, a postgres url that carries a password is refused: 78") {
  Sandbox d;
  for (const std::string url : {"postgresql://backup:s3cret@db.example/erp", "postgresql://backup@db.example/erp?password=s3cret"}) {
    CAPTURE(url);
    postgres_target(d, url);
    for (const auto& args : {std::vector<std::string>{"backup", "run"}, std::vector<std::string>{"config", "check"}}) {
      const auto r = d.run(args);
      CHECK(r.code == 78);
      CHECK_MESSAGE(has(r.err, "backup.targets[\"erp\"].url: carries a password"), r.err);
      CHECK_FALSE(has(r.err, "s3cret"));
    }
  }
  CHECK_FALSE(fs::exists(d.dir / "repo"));
}

TEST_CASE("backup, a postgres server that is not there: 69, a clear message, nothing in the repository") {
  Sandbox d;
  const std::string url = "postgresql://backup@/erp?host=" + (d.dir / "no-server").string();
  postgres_target(d, url, "timeout = \"5s\"\n");
  const auto r = d.run({"backup", "run"});
  CHECK(r.code == 69);
  CHECK_MESSAGE(has(r.err, "backup of erp failed: cannot connect to " + url + ": connection to server"), r.err);
  CHECK(has(r.err, "No such file or directory"));
  const auto all = d.run({"backup", "list", "--all", "--json"}).json();
  REQUIRE(all.size() == 1);
  CHECK(all[0]["status"] == "failed");
  CHECK(fs::is_empty(d.dir / "repo"));
}

TEST_SUITE_END();
