// End-to-end: `store copy` moves a desk to a new store — SQLite to SQLite, and on the
// PostgreSQL run also PostgreSQL to SQLite and back — with everything kept and verified, and
// refuses what it must without writing anything.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "harness.hpp"

using namespace opsdesk::test;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("cli store copy");

namespace {

// What a desk holds, as its users can see it: every ticket with its history, the audit log,
// the accounts, the knowledge base.
std::string contents(const Sandbox& s) {
  std::string out;
  for (const auto& args : std::vector<std::vector<std::string>>{{"ticket", "export", "--format", "jsonl"},
                                                                {"audit", "log", "--json", "--limit", "0"},
                                                                {"account", "list", "--json"},
                                                                {"kb", "list", "--json"},
                                                                {"downtime", "list", "--json"}}) {
    const auto r = s.run(args);
    REQUIRE_MESSAGE(r.code == 0, r.err);
    out += r.out;
  }
  return out;
}

void fill(Sandbox& s) {
  FilledDesk desk(s);
  must(s, {"kb", "add", "--title", "连接池耗尽", "--symptoms", "timeouts", "--fix", "raise the pool size"});
  must(s, {"downtime", "add", "--system", "erp", "--start", "2026-11-26T01:00:00Z", "--end", "2026-11-26T02:00:00Z",
           "--reason", "patching"});
}

// `from` copied into `to` (whose store does not exist yet); the copy must hold the same desk.
void copy_and_compare(const Sandbox& from, Sandbox& to) {
  to.env["OPSDESK_NOW"] = k_now;
  const auto r = from.run({"store", "copy", "--to", to.db.string(), "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto j = r.json();
  CHECK(j["tables"]["tickets"] == 5);
  CHECK(j["tables"]["kb_articles"] == 1);
  CHECK(j["audit_entries"].get<int>() > 10);
  CHECK(contents(to) == contents(from));
  CHECK(to.run({"audit", "verify"}).code == 0);
}

}  // namespace

TEST_CASE("store copy: the whole desk moves to a new store, and work goes on there") {
  Sandbox s;
  fill(s);
  Sandbox to;
  copy_and_compare(s, to);
  // References and ids continue after the copied ones (the desk has two incidents).
  const auto next = new_ticket(to, {"after the move"});
  CHECK(next == "INC-2026-000003");
  CHECK(to.run({"ticket", "comment", next, "works"}).code == 0);
  CHECK(to.run({"kb", "search", "pool"}).out.find("连接池耗尽") != std::string::npos);
  CHECK(to.run({"audit", "verify"}).code == 0);
  CHECK(s.run({"audit", "verify"}).code == 0);  // the source is untouched

  if (on_postgres()) {  // PostgreSQL → a SQLite file → another PostgreSQL database
    Sandbox lite;
    lite.db = lite.dir / "lite.db";
    copy_and_compare(s, lite);
    Sandbox back;
    copy_and_compare(lite, back);
    CHECK(new_ticket(back, {"back on the server"}) == "INC-2026-000003");
  }
}

TEST_CASE("store copy refuses a store that already holds a desk, and leaves it as it was") {
  Sandbox s;
  fill(s);
  Sandbox to;
  new_ticket(to, {"already here"});
  const auto before = to.store_bytes();
  const auto r = s.run({"store", "copy", "--to", to.db.string()});
  CHECK(r.code == 1);
  CHECK_MESSAGE(has(r.err, "already holds a desk"), r.err);
  CHECK(to.store_bytes() == before);
}

TEST_CASE("store copy of a desk whose audit chain is broken writes nothing") {
  Sandbox s;
  fill(s);
  REQUIRE(s.sql("UPDATE audit SET actor = 'mallory' WHERE id = 3").code == 0);
  Sandbox to;
  const auto r = s.run({"store", "copy", "--to", to.db.string()});
  CHECK(r.code == 1);
  CHECK_MESSAGE(has(r.err, "audit chain"), r.err);
  CHECK_MESSAGE(has(r.err, "nothing was written"), r.err);
  if (on_postgres()) {
    CHECK(to.run({"ticket", "list", "--json"}).json().empty());  // an empty desk, as a new one
    CHECK(to.sql("SELECT count(*) FROM audit").out == "0\n");
  } else {
    CHECK_FALSE(fs::exists(to.db));  // the file it had made is gone
  }
}

TEST_CASE("store copy: what it refuses before any work") {
  Sandbox s;
  new_ticket(s, {"x"});
  Sandbox to;
  CHECK(s.run({"store", "copy", "--to", s.db.string()}).code == 64);
  CHECK(s.run({"store", "copy", "--from", (s.dir / "missing.db").string(), "--to", to.db.string()}).code == 66);
  CHECK(s.run({"store", "copy", "--to", to.db.string(), "--json", "rowz"}).code == 64);
  must(s, {"account", "add", "zhou", "--role", "viewer"});
  const auto r = s.run_as("zhou", {"store", "copy", "--to", to.db.string()});
  CHECK(r.code == 77);
  CHECK(to.run({"ticket", "list", "--json"}).json().empty());
  if (!on_postgres()) CHECK_FALSE(fs::exists(to.db));
}

TEST_SUITE_END();
