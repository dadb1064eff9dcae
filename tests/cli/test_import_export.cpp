// End-to-end: ticket export|import round trips, failed imports, and ticket list's filters and formats.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "harness.hpp"

using namespace opsdesk::test;
namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

TEST_SUITE_BEGIN("cli import export");

namespace {

// Everything a failed import must leave as it was: every ticket with its history, and the audit log.
std::string state_of(const Sandbox& s) {
  return must(s, {"ticket", "export"}).out + "\n--\n" + must(s, {"audit", "log", "--json", "--limit", "0"}).out;
}

// A fresh sandbox on the same clock, to import into.
struct Target : Sandbox {
  Target() { env["OPSDESK_NOW"] = k_now; }
};

}  // namespace

TEST_CASE("ticket export then import into an empty store exports the same bytes") {
  Sandbox s;
  const FilledDesk desk(s);
  const auto jsonl = must(s, {"ticket", "export"}).out;
  const auto csv = must(s, {"ticket", "export", "--format", "csv"}).out;
  REQUIRE(json_lines(jsonl).size() == 5);
  REQUIRE(has(jsonl, "数据库连接池耗尽"));

  SUBCASE("JSONL from a file") {
    Target t;
    t.write_file("tickets.jsonl", jsonl);
    const auto r = t.run({"ticket", "import", (t.dir / "tickets.jsonl").string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(has(r.out, "imported 5 tickets"));
    CHECK(must(t, {"ticket", "export"}).out == jsonl);
    CHECK(must(t, {"ticket", "export", "--format", "csv"}).out == csv);
  }
  SUBCASE("CSV from a file") {
    Target t;
    t.write_file("tickets.csv", csv);
    REQUIRE(must(t, {"ticket", "import", (t.dir / "tickets.csv").string()}).code == 0);
    CHECK(must(t, {"ticket", "export", "--format", "csv"}).out == csv);
    CHECK(must(t, {"ticket", "export"}).out == jsonl);
  }
  SUBCASE("JSONL from standard input") {
    Target t;
    const auto r = t.run({"ticket", "import", "-", "--json"}, jsonl);
    REQUIRE_MESSAGE(r.code == 0, r.err);
    const auto j = r.json();
    CHECK(j["count"] == 5);
    CHECK(j["first"] == desk.a);
    CHECK(j["last"] == desk.e);
    CHECK(must(t, {"ticket", "export"}).out == jsonl);
  }
  SUBCASE("CSV from standard input, sniffed or named") {
    Target t;
    REQUIRE(must(t, {"ticket", "import", "-"}, csv).code == 0);
    CHECK(must(t, {"ticket", "export", "--format", "csv"}).out == csv);
    Target u;
    REQUIRE(must(u, {"ticket", "import", "-", "--format", "csv"}, csv).code == 0);
    CHECK(must(u, {"ticket", "export"}).out == jsonl);
  }
  SUBCASE("the copy works like the original") {
    Target t;
    must(t, {"ticket", "import", "-"}, jsonl);
    const auto show = must(t, {"ticket", "show", desk.a, "--json"}).json();
    CHECK(show["work_logged"] == "1h30m");
    REQUIRE(show["links"].size() == 1);
    CHECK(show["links"][0]["to"] == desk.c);
    CHECK(show["pending_reason"] == "customer");
    // references continue after the imported ones
    CHECK(new_ticket(t, {"after the import"}) == new_ticket(s, {"after the export"}));
    CHECK(must(t, {"audit", "verify"}).code == 0);
  }
}

TEST_CASE("ticket import, a bad row exits 65 naming the line and field, and changes nothing") {
  Sandbox s;
  const FilledDesk desk(s);
  const auto before = state_of(s);
  SUBCASE("JSONL") {
    s.write_file("bad.jsonl", "{\"title\":\"fine\"}\n{\"title\":\"bad\",\"priority\":\"critical\"}\n{\"title\":\"never\"}\n");
    const auto r = s.run({"ticket", "import", (s.dir / "bad.jsonl").string()});
    CHECK(r.code == 65);
    CHECK(r.out.empty());
    CHECK_MESSAGE(has(r.err, "bad.jsonl:2"), r.err);
    CHECK_MESSAGE(has(r.err, "priority"), r.err);
    CHECK_MESSAGE(has(r.err, "critical"), r.err);
  }
  SUBCASE("CSV with a multi-line field before the bad row") {
    s.write_file("bad.csv", "title,description,created_at\nfine,\"two\nlines\",\nbad,,yesterday at noon\nnever,,\n");
    const auto r = s.run({"ticket", "import", (s.dir / "bad.csv").string()});
    CHECK(r.code == 65);
    CHECK_MESSAGE(has(r.err, "bad.csv:4"), r.err);
    CHECK_MESSAGE(has(r.err, "created_at"), r.err);
  }
  SUBCASE("an unknown field, from standard input") {
    const auto r = s.run({"ticket", "import", "-"}, "{\"title\":\"fine\"}\n{\"title\":\"x\",\"colour\":\"red\"}\n");
    CHECK(r.code == 65);
    CHECK_MESSAGE(has(r.err, "<stdin>:2"), r.err);
    CHECK_MESSAGE(has(r.err, "colour"), r.err);
  }
  SUBCASE("a reference that already exists") {
    const auto r = s.run({"ticket", "import", "-"}, must(s, {"ticket", "export", "--type", "problem"}).out);
    CHECK(r.code == 65);
    CHECK_MESSAGE(has(r.err, desk.c), r.err);
    CHECK_MESSAGE(has(r.err, "already exists"), r.err);
  }
  SUBCASE("the whole export again") {
    const auto r = s.run({"ticket", "import", "-"}, must(s, {"ticket", "export"}).out);
    CHECK(r.code == 65);
    CHECK_MESSAGE(has(r.err, "<stdin>:1"), r.err);
    CHECK_MESSAGE(has(r.err, "already exists"), r.err);
  }
  SUBCASE("invalid JSON") {
    const auto r = s.run({"ticket", "import", "-", "--format", "jsonl"}, "{\"title\":\"fine\"}\n{\"title\": \"cut\n");
    CHECK(r.code == 65);
    CHECK_MESSAGE(has(r.err, "<stdin>:2"), r.err);
  }
  CHECK(state_of(s) == before);
}

TEST_CASE("ticket import killed with kill -9 half-way: all of it or none, and the store works on") {
  Sandbox s;
  new_ticket(s, {"before"});
  std::string lines;
  for (int i = 0; i < 20000; ++i) lines += "{\"title\":\"bulk " + std::to_string(i) + "\",\"priority\":\"low\"}\n";
  s.write_file("bulk.jsonl", lines);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // opsdesk itself, so that the kill reaches it
    for (const auto& [k, v] : s.env) {
      if (v.empty()) ::unsetenv(k.c_str());
      else ::setenv(k.c_str(), v.c_str(), 1);
    }
    ::setenv("OPSDESK_USER", s.actor.c_str(), 1);
    const std::string db = s.db.string(), config = s.config.string(), file = (s.dir / "bulk.jsonl").string();
    ::execl(OPSDESK_BIN, OPSDESK_BIN, "--db", db.c_str(), "--config", config.c_str(), "ticket", "import", file.c_str(),
            static_cast<char*>(nullptr));
    _exit(127);
  }
  ::usleep(250000);
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  const auto count = s.run({"ticket", "list", "--status", "all", "--limit", "0", "--json"}).json().size();
  CAPTURE(WIFSIGNALED(status));
  CHECK((count == 1 || count == 20001));
  CHECK(s.run({"audit", "verify"}).code == 0);
  const auto next = new_ticket(s, {"after"});
  CHECK(next == (count == 1 ? "INC-2026-000002" : "INC-2026-020002"));
  CHECK(s.run({"audit", "verify"}).code == 0);
}

TEST_CASE("ticket import, files that cannot be read") {
  Sandbox s;
  auto r = s.run({"ticket", "import", (s.dir / "missing.jsonl").string()});
  CHECK(r.code == 66);
  CHECK(has(r.err, "missing.jsonl"));
  r = s.run({"ticket", "import", s.dir.string()});
  CHECK(r.code == 74);
  r = s.run({"ticket", "import", "-", "--format", "xml"}, "{}");
  CHECK(r.code == 64);
  CHECK_FALSE(fs::exists(s.db));
}

TEST_CASE("ticket export --output writes a private file, whole") {
  Sandbox s;
  const FilledDesk desk(s);
  UmaskGuard umask(0);
  const auto expected = must(s, {"ticket", "export"}).out;
  const auto path = s.dir / "out.jsonl";
  SUBCASE("a new file") {
    const auto r = s.run({"ticket", "export", "--output", path.string()});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    CHECK(r.out.empty());
    CHECK(file_bytes(path) == expected);
    CHECK(file_mode(path) == 0600);
  }
  SUBCASE("replacing a world-readable file") {
    s.write_file(path, "old");
    fs::permissions(path, fs::perms(0644));
    REQUIRE(must(s, {"ticket", "export", "-o", path.string(), "--format", "csv"}).code == 0);
    CHECK(file_bytes(path) == must(s, {"ticket", "export", "--format", "csv"}).out);
    CHECK(file_mode(path) == 0600);
  }
  SUBCASE("into a missing directory: I/O error, nothing written") {
    const auto r = s.run({"ticket", "export", "-o", (s.dir / "no" / "out.jsonl").string()});
    CHECK(r.code == 74);
    CHECK(has(r.err, "out.jsonl"));
    CHECK_FALSE(fs::exists(s.dir / "no"));
  }
  SUBCASE("filtered") {
    REQUIRE(must(s, {"ticket", "export", "-o", path.string(), "--status", "open"}).code == 0);
    const auto lines = json_lines(file_bytes(path));
    CHECK(refs_of(nlohmann::ordered_json(lines)) == Strings{desk.a, desk.c, desk.d});
  }
}

TEST_CASE("ticket list, filters") {
  Sandbox s;
  const FilledDesk desk(s);
  auto list = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"ticket", "list", "--json"});
    return refs_of(must(s, args).json());
  };
  SUBCASE("--status") {
    CHECK(list({}) == Strings{desk.d, desk.c, desk.a});  // open ones, newest first
    CHECK(list({"--status", "open"}) == Strings{desk.d, desk.c, desk.a});
    CHECK(list({"--status", "all"}) == Strings{desk.e, desk.d, desk.c, desk.b, desk.a});
    CHECK(list({"--status", "closed,cancelled"}) == Strings{desk.e, desk.b});
    CHECK(list({"--status", "pending"}) == Strings{desk.a});
    CHECK(list({"--status", " Pending, CLOSED"}) == Strings{desk.b, desk.a});  // as typed
    const auto r = s.run({"ticket", "list", "--status", "pendng"});
    CHECK(r.code == 64);
    CHECK_MESSAGE(has(r.err, "did you mean pending?"), r.err);
  }
  SUBCASE("--type and --priority") {
    CHECK(list({"--type", "problem"}) == Strings{desk.c});
    CHECK(list({"--type", "incident,change", "--status", "all"}) == Strings{desk.e, desk.d, desk.a});
    CHECK(list({"--priority", "urgent"}) == Strings{desk.a});
    CHECK(list({"--priority", "low"}).empty());  // b is closed
    CHECK(list({"--priority", "low,high", "--status", "all"}) == Strings{desk.e, desk.b});
    CHECK(s.run({"ticket", "list", "--type", "incidnet"}).code == 64);
    CHECK(s.run({"ticket", "list", "--priority", "p1"}).code == 64);
  }
  SUBCASE("--assignee and --system") {
    CHECK(list({"--assignee", "li"}) == Strings{desk.a});
    CHECK(list({"--assignee", "wang"}).empty());
    CHECK(list({"--system", "erp"}) == Strings{desk.c, desk.a});
    CHECK(list({"--system", "ERP"}).empty());
    CHECK(list({"--system", "office", "--status", "all"}) == Strings{desk.b});
  }
  SUBCASE("--search, in titles and descriptions, wildcards taken literally") {
    const auto cpu = new_ticket(s, {"100% CPU on app_01"});
    CHECK(list({"--search", "连接池"}) == Strings{desk.a});
    CHECK(list({"--search", "third line"}) == Strings{desk.a});  // in the description
    CHECK(list({"--search", "LAPTOP", "--status", "all"}) == Strings{desk.b});
    CHECK(list({"--search", "16\" screen", "--status", "all"}) == Strings{desk.b});
    CHECK(list({"--search", "%", "--status", "all"}) == Strings{cpu});
    CHECK(list({"--search", "app_", "--status", "all"}) == Strings{cpu});
    CHECK(list({"--search", "p_0", "--status", "all"}) == Strings{cpu});
    CHECK(list({"--search", "a_p", "--status", "all"}).empty());
    CHECK(list({"--search", "nothing like this"}).empty());
  }
  SUBCASE("--since is inclusive, --until exclusive") {
    CHECK(list({"--since", "-1h", "--status", "all"}) == Strings{desk.e, desk.d, desk.c});
    CHECK(list({"--until", "-1h", "--status", "all"}) == Strings{desk.b, desk.a});
    CHECK(list({"--since", "-2h30m", "--until", "-30m", "--status", "all"}) == Strings{desk.c, desk.b});
    CHECK(list({"--since", "2026-11-25T04:30:00Z", "--status", "all"}) == Strings{desk.e, desk.d, desk.c, desk.b});
    const auto r = s.run({"ticket", "list", "--since", "last tuesday"});
    CHECK(r.code == 64);
    CHECK(has(r.err, "--since"));
  }
  SUBCASE("--sort") {
    CHECK(list({"--status", "all", "--sort", "created"}) == Strings{desk.e, desk.d, desk.c, desk.b, desk.a});
    CHECK(list({"--status", "all", "--sort", "ref"}) == Strings{desk.a, desk.b, desk.c, desk.d, desk.e});
    CHECK(list({"--status", "all", "--sort", "priority"}) == Strings{desk.a, desk.e, desk.d, desk.c, desk.b});
    CHECK(list({"--status", "all", "--sort", "updated"}).front() == desk.e);
    const auto r = s.run({"ticket", "list", "--sort", "age"});
    CHECK(r.code == 64);
    CHECK(has(r.err, "created, updated, priority, ref"));
  }
  SUBCASE("--limit") {
    CHECK(list({"--status", "all", "--limit", "2"}) == Strings{desk.e, desk.d});
    CHECK(list({"--status", "all", "-L", "1", "--sort", "ref"}) == Strings{desk.a});
    CHECK(list({"--status", "all", "--limit", "0"}).size() == 5);
    CHECK(s.run({"ticket", "list", "--limit", "-1"}).code == 64);
    CHECK(s.run({"ticket", "list", "--limit", "many"}).code == 64);
  }
}

TEST_CASE("ticket list, output formats") {
  Sandbox s;
  const FilledDesk desk(s);
  SUBCASE("--format jsonl: one object per line, the same as --json") {
    const auto r = must(s, {"ticket", "list", "--status", "all", "--format", "jsonl"});
    const auto lines = json_lines(r.out);
    REQUIRE(lines.size() == 5);
    const auto doc = must(s, {"ticket", "list", "--status", "all", "--json"}).json();
    for (std::size_t i = 0; i < lines.size(); ++i) CHECK(lines[i] == doc[i]);
  }
  SUBCASE("--format csv: a header, then a quoted row per ticket") {
    const auto r = must(s, {"ticket", "list", "--status", "all", "--format", "csv", "--sort", "ref"});
    CHECK(r.out.starts_with("ref,type,title,description,status,priority,"));
    CHECK(has(r.out, desk.b + ",request,\"New laptop, 16\"\" screen\","));
    CHECK(has(r.out, "\"第一行\n\"\"quoted\"\", with a comma\r\n third line \""));
  }
  SUBCASE("--format tsv") {
    const auto lines = lines_of(must(s, {"ticket", "list", "--format", "tsv"}).out);
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0].starts_with("ref\ttype\ttitle\t"));
    CHECK(lines[1].starts_with(desk.d + "\tchange\tRaise max_connections\t"));
    CHECK(lines[3].starts_with(desk.a + "\tincident\t"));
  }
  SUBCASE("--format csv on no tickets prints no rows (at most the header)") {
    const auto lines = lines_of(must(s, {"ticket", "list", "--format", "csv", "--system", "none"}).out);
    CHECK(lines.size() <= 1);
    if (!lines.empty()) CHECK(lines[0].starts_with("ref,type,title,"));
  }
  SUBCASE("an unknown --format exits 64") {
    const auto r = s.run({"ticket", "list", "--format", "xml"});
    CHECK(r.code == 64);
    CHECK(has(r.err, "xml"));
  }
  SUBCASE("--json FIELDS keeps those fields in that order") {
    for (const auto& args : std::vector<Strings>{{"--json", "priority,ref"}, {"--json=priority,ref"}}) {
      Strings full = {"ticket", "list"};
      full.insert(full.end(), args.begin(), args.end());
      const auto j = must(s, full).json();
      REQUIRE(j.size() == 3);
      for (const auto& t : j) {
        REQUIRE(t.size() == 2);
        CHECK(t.begin().key() == "priority");
        CHECK(std::next(t.begin()).key() == "ref");
      }
    }
  }
  SUBCASE("an unknown --json field exits 64 listing the available ones") {
    const auto r = s.run({"ticket", "list", "--json", "ref,prioriti"});
    CHECK(r.code == 64);
    CHECK(r.out.empty());
    CHECK_MESSAGE(has(r.err, "prioriti"), r.err);
    CHECK_MESSAGE(has(r.err, "did you mean priority?"), r.err);
    CHECK_MESSAGE(has(r.err, "created_at"), r.err);
  }
  SUBCASE("--json with no tickets is an empty array") {
    const auto j = must(s, {"ticket", "list", "--json", "--system", "none"}).json();
    CHECK(j.is_array());
    CHECK(j.empty());
  }
  SUBCASE("the table") {
    const auto r = must(s, {"ticket", "list"});
    CHECK(has(r.out, "REF"));
    CHECK(has(r.out, desk.a));
    CHECK(has(r.out, "数据库连接池耗尽"));
    CHECK_FALSE(has(r.out, desk.b));
    CHECK_FALSE(has(r.out, "\x1b["));  // no colour when not on a terminal
  }
}

TEST_CASE("ticket list --json with an unknown field exits 64 on an empty desk too") {
  // A script must not work on a new desk and break once tickets exist.
  Sandbox s;
  const auto r = s.run({"ticket", "list", "--json", "ref,prioriti"});
  CHECK(r.code == 64);
  CHECK_MESSAGE(has(r.err, "prioriti"), r.err);
}

TEST_SUITE_END();
