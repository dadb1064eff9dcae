// End-to-end: SLA clocks and the service processes (downtime, pauses, extensions by role,
// change and release gates, sign-off, surveys, the knowledge base).
#include <doctest/doctest.h>

#include <string>

#include "harness.hpp"

using opsdesk::test::new_ticket;
using opsdesk::test::Sandbox;

TEST_SUITE_BEGIN("cli process");

namespace {

// A desk with an engineer (wang, admin), a customer (chen) and a manager (li), at a fixed time.
struct Desk : Sandbox {
  Desk() {
    env["OPSDESK_NOW"] = "2026-11-25T10:00:00Z";
    REQUIRE(run({"ticket", "cancel", new_ticket(*this, {"seed"})}).code == 0);  // makes wang admin; runs no clock
    REQUIRE(run({"account", "add", "chen", "--role", "customer"}).code == 0);
    REQUIRE(run({"account", "add", "li", "--role", "manager"}).code == 0);
  }
  void at(const std::string& when) { env["OPSDESK_NOW"] = when; }
  nlohmann::ordered_json clock(const std::string& ref, const std::string& name) {
    const auto j = run({"ticket", "sla", ref, "--json"}).json();
    for (const auto& c : j["clocks"])
      if (c["clock"] == name) return c;
    FAIL("no clock " << name);
    return {};
  }
};

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("an incident during planned downtime: its clocks start when the window ends") {
  Desk d;
  REQUIRE(d.run({"downtime", "add", "--start", "2026-11-25T09:00:00Z", "--end", "2026-11-25T11:00:00Z", "--system",
                 "erp", "--reason", "database upgrade"})
              .code == 0);
  const auto inc = new_ticket(d, {"ERP down", "--system", "erp", "--priority", "urgent"});
  const auto other = new_ticket(d, {"mail down", "--system", "mail", "--priority", "urgent"});
  d.at("2026-11-25T11:20:00Z");
  auto c = d.clock(inc, "response");
  CHECK(c["start"] == "2026-11-25T11:00:00Z");
  CHECK(c["elapsed_seconds"] == 1200);
  CHECK(c["state"] == "running");
  CHECK(d.clock(other, "response")["state"] == "breached");  // another system: 80 minutes
  SUBCASE("a window added afterwards moves the clocks of tickets already open") {
    const auto late = new_ticket(d, {"mail slow", "--system", "mail", "--at", "2026-11-25T11:10:00Z"});
    REQUIRE(d.run({"downtime", "add", "--start", "2026-11-25T11:00:00Z", "--end", "2026-11-25T11:15:00Z", "--system",
                   "mail", "--reason", "relay restart"})
                .code == 0);
    CHECK(d.clock(late, "response")["start"] == "2026-11-25T11:15:00Z");
    const auto list = d.run({"downtime", "list", "--json"}).json();
    CHECK(list.size() == 2);
    REQUIRE(d.run({"downtime", "remove", "2"}).code == 0);
    CHECK(d.clock(late, "response")["start"] == "2026-11-25T11:10:00Z");
  }
  SUBCASE("bad windows") {
    CHECK(d.run({"downtime", "add", "--start", "12:00", "--end", "11:00", "--reason", "x"}).code == 65);
    CHECK(d.run({"downtime", "add", "--start", "10:00", "--end", "11:00"}).code == 64);
    CHECK(d.run({"downtime", "remove", "99"}).code == 66);
    CHECK(d.run_as("chen", {"downtime", "add", "--start", "10:00", "--end", "11:00", "--reason", "x"}).code == 77);
  }
}

TEST_CASE("pending for the customer pauses the resolution clock, for a vendor it does not") {
  Desk d;
  const auto a = new_ticket(d, {"waits for customer", "--priority", "urgent"});
  const auto b = new_ticket(d, {"waits for vendor", "--priority", "urgent"});
  REQUIRE(d.run({"ticket", "ack", a}).code == 0);
  REQUIRE(d.run({"ticket", "ack", b}).code == 0);
  d.at("2026-11-25T11:00:00Z");
  REQUIRE(d.run({"ticket", "pend", a, "--reason", "customer"}).code == 0);
  REQUIRE(d.run({"ticket", "pend", b, "--reason", "vendor"}).code == 0);
  d.at("2026-11-25T15:00:00Z");
  CHECK(d.clock(a, "resolution")["state"] == "paused");
  CHECK(d.clock(a, "resolution")["elapsed_seconds"] == 3600);
  CHECK(d.clock(b, "resolution")["elapsed_seconds"] == 5 * 3600);
  REQUIRE(d.run({"ticket", "resume", a}).code == 0);
  d.at("2026-11-25T16:00:00Z");
  const auto c = d.clock(a, "resolution");
  CHECK(c["state"] == "running");
  CHECK(c["elapsed_seconds"] == 2 * 3600);
  CHECK(c["paused_seconds"] == 4 * 3600);
  CHECK(c["deadline"] == "2026-11-25T22:00:00Z");
}

TEST_CASE("ticket list --breached, --at-risk, --due-within") {
  Desk d;
  const auto late = new_ticket(d, {"not acknowledged", "--priority", "high"});
  const auto fine = new_ticket(d, {"acknowledged", "--priority", "high"});
  REQUIRE(d.run({"ticket", "ack", fine}).code == 0);
  d.at("2026-11-25T10:25:00Z");
  auto refs = [&](const std::vector<std::string>& args) {
    std::vector<std::string> all = {"ticket", "list", "--json", "ref"};
    all.insert(all.end(), args.begin(), args.end());
    std::vector<std::string> out;
    for (const auto& t : d.run(all).json()) out.push_back(t["ref"]);
    return out;
  };
  CHECK(refs({"--at-risk"}) == std::vector<std::string>{late});
  CHECK(refs({"--due-within", "10m"}) == std::vector<std::string>{late});
  CHECK(refs({"--breached"}).empty());
  d.at("2026-11-25T10:31:00Z");
  CHECK(refs({"--breached"}) == std::vector<std::string>{late});  // past its deadline, not yet written as breached
  CHECK(refs({"--at-risk"}).empty());
  REQUIRE(d.run({"ticket", "ack", late}).code == 0);
  REQUIRE(d.run({"ticket", "resolve", late, "--resolution", "done"}).code == 0);
  REQUIRE(d.run({"ticket", "close", late}).code == 0);
  CHECK(refs({"--breached"}) == std::vector<std::string>{late});  // a breach stays, closed or not
  CHECK(refs({"--breached", "--status", "open"}).empty());
}

TEST_CASE("an extension: requested by the engineer, decided by the customer only") {
  Desk d;
  const auto inc = new_ticket(d, {"needs a vendor patch", "--priority", "high"});
  REQUIRE(d.run({"ticket", "ack", inc}).code == 0);
  auto r = d.run({"ticket", "extend", inc, "--by", "4h", "--reason", "vendor patch due tomorrow"});
  REQUIRE(r.code == 0);
  CHECK(has(r.out, "requested"));
  CHECK(d.clock(inc, "resolution")["target_seconds"] == 8 * 3600);
  SUBCASE("the engineer and the manager may not approve it") {
    r = d.run({"ticket", "extension", "approve", inc});
    CHECK(r.code == 77);
    CHECK(has(r.err, "sla.extend.approve"));
    CHECK(has(r.err, "customer"));
    CHECK(d.run_as("li", {"ticket", "extension", "approve", inc}).code == 77);
    CHECK(d.clock(inc, "resolution")["target_seconds"] == 8 * 3600);
  }
  SUBCASE("the customer approves it") {
    REQUIRE(d.run_as("chen", {"ticket", "extension", "approve", inc}).code == 0);
    CHECK(d.clock(inc, "resolution")["target_seconds"] == 12 * 3600);
    CHECK(d.run_as("chen", {"ticket", "extension", "approve", inc}).code == 1);  // nothing left to decide
    const auto log = d.run({"audit", "log", "--object", inc, "--json"}).json();
    CHECK(log.back()["action"] == "ticket.extension.approve");
    CHECK(log.back()["actor"] == "chen");
  }
  SUBCASE("the customer rejects it") {
    REQUIRE(d.run_as("chen", {"ticket", "extension", "reject", inc}).code == 0);
    CHECK(d.clock(inc, "resolution")["target_seconds"] == 8 * 3600);
  }
  SUBCASE("a low-priority extension is granted at once") {
    const auto low = new_ticket(d, {"printer", "--priority", "low"});
    r = d.run({"ticket", "extend", low, "--by", "1d", "--reason", "parts on order"});
    CHECK(r.code == 0);
    CHECK(has(r.out, "granted"));
    CHECK(d.clock(low, "resolution")["target_seconds"] == 2 * 86400);
  }
  SUBCASE("bad requests") {
    CHECK(d.run({"ticket", "extend", inc, "--by", "0m", "--reason", "x"}).code == 65);
    CHECK(d.run({"ticket", "extend", inc, "--by", "4x", "--reason", "x"}).code == 64);
    CHECK(d.run({"ticket", "extend", inc, "--by", "1h", "--reason", "again"}).code == 1);  // one open at a time
    CHECK(d.run_as("chen", {"ticket", "extend", inc, "--by", "1h", "--reason", "x"}).code == 77);
  }
}

TEST_CASE("a change: the approval gate, and its window becomes downtime") {
  Desk d;
  const auto chg = new_ticket(d, {"Upgrade the ERP database", "--type", "change", "--system", "erp"});
  CHECK(d.run({"ticket", "show", chg, "--json"}).json()["status"] == "draft");
  auto r = d.run({"ticket", "submit", chg});
  CHECK(r.code == 1);
  CHECK(has(r.err, "--rollback-plan"));
  REQUIRE(d.run({"ticket", "set", chg, "--risk", "medium", "--plan", "stop, upgrade, start", "--rollback-plan",
                 "restore the snapshot", "--window-start", "2026-11-28T14:00:00Z", "--window-end",
                 "2026-11-28T16:00:00Z"})
              .code == 0);
  CHECK(d.run({"ticket", "implement", chg}).code == 1);  // not approved
  REQUIRE(d.run({"ticket", "submit", chg}).code == 0);
  CHECK(d.run({"ticket", "implement", chg}).code == 1);  // still not approved
  r = d.run({"ticket", "approve", chg});                 // wang is admin, not an approver
  CHECK(r.code == 77);
  CHECK(has(r.err, "change.approve"));
  REQUIRE(d.run_as("chen", {"ticket", "approve", chg}).code == 0);
  const auto windows = d.run({"downtime", "list", "--json"}).json();
  REQUIRE(windows.size() == 1);
  CHECK(windows[0]["system"] == "erp");
  CHECK(windows[0]["source"] == chg);
  CHECK(windows[0]["start"] == "2026-11-28T14:00:00Z");
  CHECK(d.run({"ticket", "set", chg, "--window-end", "2026-11-28T18:00:00Z"}).code == 1);  // approved: frozen
  REQUIRE(d.run({"ticket", "implement", chg}).code == 0);
  REQUIRE(d.run({"ticket", "review", chg, "--note", "went as planned"}).code == 0);
  CHECK(d.run({"ticket", "show", chg, "--json"}).json()["status"] == "reviewed");
  SUBCASE("a rejected change leaves no downtime") {
    const auto other = new_ticket(d, {"risky", "--type", "change", "--system", "mail"});
    REQUIRE(d.run({"ticket", "set", other, "--risk", "high", "--plan", "p", "--rollback-plan", "r", "--window-start",
                   "2026-11-29T14:00:00Z", "--window-end", "2026-11-29T15:00:00Z"})
                .code == 0);
    REQUIRE(d.run({"ticket", "submit", other}).code == 0);
    REQUIRE(d.run_as("chen", {"ticket", "reject", other, "--note", "not before the audit"}).code == 0);
    CHECK(d.run({"downtime", "list", "--json"}).json().size() == 1);
  }
}

TEST_CASE("a release: refused unless every linked change is approved, implemented and tested") {
  Desk d;
  const auto chg = new_ticket(d, {"new report module", "--type", "change", "--system", "erp"});
  REQUIRE(d.run({"ticket", "set", chg, "--risk", "low", "--plan", "deploy", "--rollback-plan", "redeploy old",
                 "--window-start", "2026-11-26T20:00:00Z", "--window-end", "2026-11-26T21:00:00Z"})
              .code == 0);
  const auto rel = new_ticket(d, {"release 4.2", "--type", "release", "--system", "erp"});
  REQUIRE(d.run({"ticket", "submit", rel}).code == 0);
  REQUIRE(d.run_as("chen", {"ticket", "approve", rel}).code == 0);
  auto r = d.run({"ticket", "release", rel});
  CHECK(r.code == 1);
  CHECK(has(r.err, "no changes are linked"));
  REQUIRE(d.run({"ticket", "link", rel, "--to", chg, "--kind", "implements"}).code == 0);
  r = d.run({"ticket", "release", rel});
  CHECK(r.code == 1);
  CHECK(has(r.err, chg + " is draft"));
  REQUIRE(d.run({"ticket", "submit", chg}).code == 0);
  REQUIRE(d.run_as("chen", {"ticket", "approve", chg}).code == 0);
  REQUIRE(d.run({"ticket", "implement", chg}).code == 0);
  r = d.run({"ticket", "release", rel});
  CHECK(r.code == 1);
  CHECK(has(r.err, "no test evidence"));
  REQUIRE(d.run({"ticket", "set", chg, "--test-evidence", "staging run 2026-11-24: all green"}).code == 0);
  REQUIRE(d.run({"ticket", "release", rel}).code == 0);
  CHECK(d.run({"ticket", "show", rel, "--json"}).json()["status"] == "released");
}

TEST_CASE("the service record: signed by both parties, stale after an edit") {
  Desk d;
  const auto inc = new_ticket(d, {"mail bounces", "--priority", "high", "--system", "mail"});
  CHECK(d.run({"ticket", "sign", inc}).code == 1);  // not resolved yet
  REQUIRE(d.run({"ticket", "log-work", inc, "45m", "--note", "relay logs"}).code == 0);
  REQUIRE(d.run({"ticket", "resolve", inc, "--resolution", "relay certificate renewed"}).code == 0);
  CHECK(d.run({"ticket", "list", "--unsigned", "--json", "ref"}).json().size() == 1);
  REQUIRE(d.run({"ticket", "sign", inc}).code == 0);
  CHECK(d.run({"ticket", "sign", inc}).code == 1);  // once per party
  REQUIRE(d.run_as("chen", {"ticket", "sign", inc}).code == 0);
  CHECK(d.run({"ticket", "list", "--unsigned", "--json", "ref"}).json().empty());
  auto record = d.run({"ticket", "record", inc, "--format", "markdown"});
  REQUIRE(record.code == 0);
  CHECK(has(record.out, "# Service record " + inc));
  CHECK(has(record.out, "relay certificate renewed"));
  CHECK(has(record.out, "45m of work"));
  CHECK(has(record.out, "customer: chen"));
  CHECK_FALSE(has(record.out, "STALE"));
  REQUIRE(d.run({"ticket", "comment", inc, "also renewed the backup relay"}).code == 0);
  record = d.run({"ticket", "record", inc, "--format", "markdown"});
  CHECK(has(record.out, "STALE"));
  CHECK(d.run({"ticket", "list", "--unsigned", "--json", "ref"}).json().size() == 1);
  const auto html = d.run({"ticket", "record", inc, "--format", "html"});
  CHECK(has(html.out, "<!doctype html>"));
  CHECK(has(html.out, "class=\"stale\""));
  CHECK(d.run({"ticket", "record", inc, "--format", "pdf"}).code == 64);
}

TEST_CASE("satisfaction surveys: the customer scores a resolved ticket 1 to 5") {
  Desk d;
  const auto inc = new_ticket(d, {"slow VPN"});
  CHECK(d.run_as("chen", {"ticket", "survey", inc, "--score", "5"}).code == 1);  // not resolved
  REQUIRE(d.run({"ticket", "resolve", inc, "--resolution", "MTU fixed"}).code == 0);
  CHECK(d.run_as("chen", {"ticket", "survey", inc, "--score", "6"}).code == 65);
  CHECK(d.run_as("chen", {"ticket", "survey", inc, "--score", "0"}).code == 65);
  CHECK(d.run({"ticket", "survey", inc, "--score", "5"}).code == 77);  // the engineer does not rate himself
  CHECK(d.run_as("chen", {"ticket", "survey", inc, "--score", "4", "--comment", "quick"}).code == 0);
  const auto events = d.run({"ticket", "show", inc, "--json"}).json()["events"];
  CHECK(events.back()["kind"] == "survey");
  CHECK(events.back()["data"]["score"] == 4);
}

TEST_CASE("on-site work: arrival and emergency measures") {
  Desk d;
  const auto inc = new_ticket(d, {"server room flooded", "--priority", "urgent", "--channel", "onsite"});
  CHECK(d.run({"ticket", "onsite", inc, "--mitigated", "now"}).code == 1);  // arrival first
  d.at("2026-11-25T14:00:00Z");
  REQUIRE(d.run({"ticket", "onsite", inc, "--arrived", "13:30"}).code == 0);
  CHECK(d.clock(inc, "onsite")["state"] == "met");
  d.at("2026-11-25T16:00:00Z");
  REQUIRE(d.run({"ticket", "onsite", inc, "--mitigated", "now"}).code == 0);
  const auto m = d.clock(inc, "mitigation");
  CHECK(m["state"] == "breached");
  CHECK(m["elapsed_seconds"] == 2 * 3600 + 1800);
  CHECK(d.run({"ticket", "onsite", inc, "--arrived", "now"}).code == 1);  // already arrived
}

TEST_CASE("a problem: root cause, and resolving it resolves its incidents") {
  Desk d;
  const auto prb = new_ticket(d, {"listener crashes under load", "--type", "problem", "--system", "erp"});
  const auto i1 = new_ticket(d, {"ERP login fails", "--system", "erp"});
  const auto i2 = new_ticket(d, {"ERP slow at 9:00", "--system", "erp"});
  REQUIRE(d.run({"ticket", "link", i1, "--to", prb, "--kind", "caused-by"}).code == 0);
  REQUIRE(d.run({"ticket", "link", i2, "--to", prb, "--kind", "caused-by"}).code == 0);
  CHECK(d.run({"ticket", "set", i1, "--root-cause", "x"}).code == 1);  // only problems have one
  REQUIRE(d.run({"ticket", "set", prb, "--root-cause", "connection limit 100", "--workaround", "restart listener",
                 "--known-error", "true"})
              .code == 0);
  const auto r = d.run({"ticket", "resolve", prb, "--resolution", "limit raised to 1000", "--cascade"});
  REQUIRE(r.code == 0);
  CHECK(has(r.out, i1));
  CHECK(has(r.out, i2));
  CHECK(d.run({"ticket", "show", i1, "--json"}).json()["status"] == "resolved");
  SUBCASE("and becomes a knowledge-base article") {
    auto a = d.run({"kb", "add", "--from", prb});
    REQUIRE(a.code == 0);
    const std::string ref = a.out.substr(0, a.out.size() - 1);
    const auto j = d.run({"kb", "show", ref, "--json"}).json();
    CHECK(j["cause"] == "connection limit 100");
    CHECK(has(j["fix"], "restart listener"));
    CHECK(has(j["symptoms"], i1));
    CHECK(d.run({"kb", "add", "--from", prb}).code == 1);  // one article per problem
    const auto found = d.run({"kb", "search", "listener", "--json"}).json();
    REQUIRE(found.size() == 1);
    CHECK(found[0]["ref"] == ref);
    const auto next = new_ticket(d, {"ERP login fails again, listener down", "--system", "erp"});
    const auto suggested = d.run({"kb", "search", "--for", next, "--json"}).json();
    REQUIRE_FALSE(suggested.empty());
    CHECK(suggested[0]["ref"] == ref);
    const auto md = d.run({"kb", "export"});
    CHECK(has(md.out, "## " + ref));
  }
}

TEST_CASE("the knowledge base: written articles, Chinese text, short words") {
  Desk d;
  auto r = d.run({"kb", "add", "--title", "ERP 登录失败 ORA-12541", "--symptoms", "用户无法登录", "--cause",
                  "监听程序未启动", "--fix", "lsnrctl start", "--tags", "oracle,erp"});
  REQUIRE(r.code == 0);
  CHECK(d.run({"kb", "search", "监听程序", "--json"}).json().size() == 1);
  CHECK(d.run({"kb", "search", "登录", "--json"}).json().size() == 1);  // two characters: a plain scan
  CHECK(d.run({"kb", "search", "ORA-12541", "--json"}).json().size() == 1);
  CHECK(d.run({"kb", "search", "nothing-like-this", "--json"}).json().empty());
  CHECK(d.run({"kb", "add", "--title", "only a title"}).code == 65);
  CHECK(d.run_as("chen", {"kb", "add", "--title", "x", "--fix", "y"}).code == 77);
  CHECK(d.run({"kb", "show", "KB-999999"}).code == 66);
}

TEST_CASE("requests over the small-development limit are flagged") {
  Desk d;
  auto r = d.run({"ticket", "new", "new report for finance", "--type", "request", "--estimate", "3d"});
  REQUIRE(r.code == 0);
  CHECK(has(r.err, "small-development limit"));
  const auto req = new_ticket(d, {"export button", "--type", "request", "--estimate", "4h"});
  CHECK(d.run({"ticket", "log-work", req, "8h"}).err.empty());
  r = d.run({"ticket", "log-work", req, "9h"});
  CHECK(has(r.err, "17h of work logged"));
  const auto events = d.run({"ticket", "show", req, "--json"}).json()["events"];
  CHECK(events.back()["kind"] == "flagged");
  CHECK(d.run({"ticket", "new", "x", "--estimate", "1d"}).code == 64);  // incidents have no estimate
}

TEST_SUITE_END();
