// What inspections leave in the store: results, due checks, the incidents failing checks open,
// comment on and resolve, the inspection record, availability computed by hand, and the
// Nagios, JUnit and Prometheus renderings of a run.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstring>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "inspect/formats.hpp"
#include "inspect/history.hpp"
#include "support/helpers.hpp"
#include "support/inspect_helpers.hpp"
#include "ticket/downtime.hpp"
#include "ticket/repository.hpp"
#include "ticket/service.hpp"

using namespace opsdesk;
using namespace opsdesk::inspect;
using opsdesk::test::has;
using opsdesk::test::make_check;
using opsdesk::test::TempStore;
using opsdesk::test::ZoneGuard;

TEST_SUITE_BEGIN("inspect");

namespace {

using Check = config::Config::Check;

constexpr core::Timestamp k_nov1 = 1793491200;  // 2026-11-01T00:00:00Z
constexpr core::Timestamp k_t0 = 1795588200;    // 2026-11-25T06:30:00Z

Result result(const std::string& check, const std::string& system, State state, core::Timestamp at,
              std::string summary = "") {
  Result r;
  r.check = check;
  r.system = system;
  r.type = "command";
  r.state = state;
  r.at = at;
  r.summary = summary.empty() ? std::string(state_name(state)) + " - " + check : std::move(summary);
  r.duration_ms = 15;
  return r;
}

Check incident_check(const std::string& name, const std::string& open_ticket, bool auto_resolve) {
  auto c = make_check(name, "command");
  c.system = "erp";
  c.interval = 300;
  c.open_ticket = open_ticket;
  c.auto_resolve = auto_resolve;
  return c;
}

// A store and the checks of its config; `run` records one result per call as `inspect run`
// does, at that time.
struct Desk {
  TempStore st;
  std::vector<Check> checks;

  RunRecord run(core::Timestamp now, std::vector<Result> results, bool record = false) {
    const auto s = st.session(now);
    return record_run(s, checks, results, now, record);
  }
  RunRecord run(core::Timestamp now, const std::string& check, State state) {
    const Check* c = nullptr;
    for (const auto& x : checks)
      if (x.name == check) c = &x;
    REQUIRE(c != nullptr);
    return run(now, {result(check, c->system, state, now)});
  }
  std::vector<ticket::Ticket> incidents() {
    ticket::repo::ListFilter f;
    f.open_only = false;
    f.types = {model::TicketType::incident};
    return ticket::repo::list(*st.db, f);
  }
  ticket::Ticket ticket(const std::string& ref) { return ticket::repo::get(*st.db, ref); }
  std::vector<std::string> comments(const std::string& ref) {
    std::vector<std::string> out;
    for (const auto& e : ticket::repo::events(*st.db, ticket(ref).id))
      if (e.kind == "comment" && e.text) out.push_back(*e.text);
    return out;
  }
  std::optional<std::string> ticket_ref_of(const std::string& check) {
    for (const auto& st_ : check_statuses(*st.db, checks))
      if (st_.check.name == check) return st_.ticket_ref;
    return std::nullopt;
  }
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    out.push_back(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

std::vector<std::string> actions(const RunRecord& r) {
  std::vector<std::string> out;
  for (const auto& t : r.tickets) out.push_back(t.action);
  return out;
}

const Availability& find(const std::vector<Availability>& rows, const std::string& system, const std::string& check) {
  for (const auto& a : rows)
    if (a.system == system && a.check == check) return a;
  FAIL("no availability row for ", system, "/", check);
  return rows.front();
}

// Well-formed XML as far as these reports go: balanced tags, quoted attributes, only the
// five entities, no raw '<' or '&' in text.
bool well_formed(const std::string& xml, std::string& why) {
  std::vector<std::string> open;
  std::size_t i = 0;
  if (xml.starts_with("<?xml")) i = xml.find("?>") + 2;
  bool root_seen = false;
  while (i < xml.size()) {
    if (xml[i] == '<') {
      const auto end = xml.find('>', i);
      if (end == std::string::npos) return why = "unclosed tag", false;
      std::string tag = xml.substr(i + 1, end - i - 1);
      if (tag.find('<') != std::string::npos) return why = "'<' inside a tag", false;
      if (tag.starts_with("/")) {
        if (open.empty() || open.back() != tag.substr(1)) return why = "mismatched </" + tag.substr(1) + ">", false;
        open.pop_back();
      } else {
        const bool self_closing = tag.ends_with("/");
        const std::string name = tag.substr(0, tag.find_first_of(" /"));
        if (open.empty() && root_seen) return why = "a second root element", false;
        root_seen = true;
        // attributes: name="value" with no raw '<' or '"' inside values
        std::size_t quotes = 0;
        for (const char c : tag) quotes += c == '"';
        if (quotes % 2) return why = "unbalanced quotes in <" + name + ">", false;
        if (!self_closing) open.push_back(name);
      }
      i = end + 1;
      continue;
    }
    if (xml[i] == '&') {
      static const char* k_entities[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;"};
      bool ok = false;
      for (const char* e : k_entities) ok = ok || xml.compare(i, std::strlen(e), e) == 0;
      if (!ok) return why = "a bare '&'", false;
    }
    if (static_cast<unsigned char>(xml[i]) < 0x20 && xml[i] != '\n' && xml[i] != '\t' && xml[i] != '\r')
      return why = "a control character", false;
    if (open.empty() && xml[i] != '\n' && xml[i] != ' ') return why = "text outside the root", false;
    ++i;
  }
  if (!open.empty()) return why = "<" + open.back() + "> not closed", false;
  return root_seen || (why = "no root", false);
}

std::string attribute(const std::string& xml, const std::string& element, const std::string& name) {
  const auto at = xml.find("<" + element + " ");
  if (at == std::string::npos) return "";
  const auto key = xml.find(" " + name + "=\"", at);
  if (key == std::string::npos) return "";
  const auto start = key + name.size() + 3;
  return xml.substr(start, xml.find('"', start) - start);
}

std::size_t occurrences(const std::string& text, const std::string& part) {
  std::size_t n = 0;
  for (auto p = text.find(part); p != std::string::npos; p = text.find(part, p + 1)) ++n;
  return n;
}

std::vector<Result> sample_run() {
  auto disk = result("root-disk", "erp", State::ok, k_t0, "DISK OK - 50% free");
  disk.perfdata = {{"free_percent", 50, "%", "20:", "10:", 0.0, 100.0}};
  disk.duration_ms = 120;
  auto web = result("web", "erp", State::critical, k_t0, "HTTP CRITICAL - status 500 <&>\"'");
  web.long_output = "line 1\nline <2>";
  web.perfdata = {{"time", 0.5, "s", "", "", 0.0, 10.0}};
  web.duration_ms = 1500;
  auto backup = result("backup", "", State::unknown, k_t0, "cannot tell");
  auto load = result("load", "erp", State::warning, k_t0, "LOAD WARNING - 9.1");
  load.perfdata = {{"load 1", 9.1, "", "", "", 0.0, std::nullopt}};
  return {disk, web, backup, load};
}

}  // namespace

TEST_CASE("inspect::due_checks") {
  Desk d;
  auto every5 = make_check("every-5m", "disk");
  every5.interval = 300;
  auto hourly = make_check("hourly", "disk");
  hourly.interval = 3600;
  d.checks = {every5, hourly};
  auto names = [&](core::Timestamp now, bool all) {
    std::vector<std::string> out;
    for (const auto& c : due_checks(*d.st.db, d.checks, now, all)) out.push_back(c.name);
    return out;
  };
  using Names = std::vector<std::string>;
  CHECK(names(k_t0, false) == Names{"every-5m", "hourly"});  // never run: due
  d.run(k_t0, {result("every-5m", "", State::ok, k_t0), result("hourly", "", State::ok, k_t0)});
  CHECK(names(k_t0, false).empty());
  CHECK(names(k_t0 + 60, false).empty());
  CHECK(names(k_t0 + 200, false).empty());
  CHECK(names(k_t0 + 295, false) == Names{"every-5m"});  // a few seconds early still counts (cron)
  CHECK(names(k_t0 + 300, false) == Names{"every-5m"});
  CHECK(names(k_t0 + 1800, false) == Names{"every-5m"});
  CHECK(names(k_t0 + 3600, false) == Names{"every-5m", "hourly"});
  CHECK(names(k_t0 + 60, true) == Names{"every-5m", "hourly"});
  SUBCASE("a failing check is due by its interval too") {
    d.run(k_t0 + 300, "every-5m", State::critical);
    CHECK(names(k_t0 + 400, false).empty());
    CHECK(names(k_t0 + 600, false) == Names{"every-5m"});
  }
}

TEST_CASE("inspect::record_run, results are stored") {
  ZoneGuard zone("UTC");
  Desk d;
  d.checks = {make_check("root-disk", "disk"), make_check("web", "http"), make_check("backup", "backup_freshness"),
              make_check("load", "load")};
  const auto rec = d.run(k_t0, sample_run());
  CHECK(rec.worst == State::critical);
  CHECK(rec.run_id > 0);
  CHECK(rec.tickets.empty());
  CHECK_FALSE(rec.record_ref.has_value());
  CHECK(d.st.count("check_results") == 4);
  CHECK(d.st.count("inspection_runs") == 1);
  CHECK(d.st.db->one_text("SELECT worst FROM inspection_runs") == "critical");

  const auto all = history(*d.st.db, {});
  REQUIRE(all.size() == 4);
  CHECK(all[1].check == "web");
  CHECK(all[1].state == State::critical);
  CHECK(all[1].summary == "HTTP CRITICAL - status 500 <&>\"'");
  CHECK(all[1].long_output == "line 1\nline <2>");
  CHECK(all[1].duration_ms == 1500);
  REQUIRE(all[0].perfdata.size() == 1);
  CHECK(all[0].perfdata[0].label == "free_percent");
  CHECK(all[0].perfdata[0].warn == "20:");
  CHECK(all[0].perfdata[0].max == 100.0);
  REQUIRE(all[3].perfdata.size() == 1);
  CHECK(all[3].perfdata[0].label == "load 1");
  CHECK(all[2].system.empty());

  const auto states = check_statuses(*d.st.db, d.checks);
  REQUIRE(states.size() == 4);
  CHECK(states[1].state == State::critical);
  CHECK(states[1].last_at == k_t0);
  CHECK(states[1].since == k_t0);
  CHECK(states[1].next_due == k_t0 + 300);

  SUBCASE("since stays while the state stays") {
    d.run(k_t0 + 300, {result("web", "erp", State::critical, k_t0 + 300)});
    d.run(k_t0 + 600, {result("web", "erp", State::ok, k_t0 + 600)});
    d.run(k_t0 + 900, {result("web", "erp", State::ok, k_t0 + 900)});
    const auto web = check_statuses(*d.st.db, d.checks)[1];
    CHECK(web.state == State::ok);
    CHECK(web.since == k_t0 + 600);
    CHECK(web.last_at == k_t0 + 900);
  }
  SUBCASE("history filters") {
    d.run(k_t0 + 300, {result("web", "erp", State::ok, k_t0 + 300)});
    d.run(k_t0 + 600, {result("web", "erp", State::warning, k_t0 + 600)});
    HistoryFilter f;
    f.check = "web";
    CHECK(history(*d.st.db, f).size() == 3);
    f.since = k_t0 + 300;
    CHECK(history(*d.st.db, f).size() == 2);
    f.until = k_t0 + 600;
    CHECK(history(*d.st.db, f).size() == 1);
    HistoryFilter by_state;
    by_state.state = State::warning;
    const auto warnings = history(*d.st.db, by_state);
    REQUIRE(warnings.size() == 2);
    CHECK(warnings[0].check == "load");
    CHECK(warnings[1].at == k_t0 + 600);
    HistoryFilter newest;
    newest.limit = 2;
    const auto last = history(*d.st.db, newest);
    REQUIRE(last.size() == 2);
    CHECK(last[0].at == k_t0 + 300);  // oldest first
    CHECK(last[1].at == k_t0 + 600);
    HistoryFilter by_system;
    by_system.system = "erp";
    CHECK(history(*d.st.db, by_system).size() == 5);
  }
  SUBCASE("as JSON") {
    const auto j = to_json(history(*d.st.db, {})[1]);
    CHECK(j["check"] == "web");
    CHECK(j["state"] == "critical");
    CHECK(j["at"] == "2026-11-25T06:30:00Z");
    CHECK(j["perfdata"][0]["label"] == "time");
    CHECK(to_json(history(*d.st.db, {})[2])["system"].is_null());
  }
}

TEST_CASE("inspect::history, perfdata read back as measured") {
  // A loopback connect takes some microseconds: the stored perfdata must still say so.
  Desk d;
  d.checks = {make_check("port", "tcp")};
  auto r = result("port", "", State::ok, k_t0, "TCP OK");
  r.perfdata = {{"time", 0.000042, "s", "", "", 0.0, 10.0}};
  d.run(k_t0, {r});
  const auto back = history(*d.st.db, {});
  REQUIRE(back.size() == 1);
  REQUIRE(back[0].perfdata.size() == 1);
  CHECK(back[0].perfdata[0].value == doctest::Approx(0.000042));
  CHECK(back[0].perfdata[0].uom == "s");
}

TEST_CASE("inspect::record_run, incident lifecycle") {
  ZoneGuard zone("UTC");
  Desk d;
  d.checks = {incident_check("erp-db", "warning", true)};
  CHECK(d.run(k_t0, "erp-db", State::ok).tickets.empty());
  CHECK(d.incidents().empty());

  // goes bad: one incident
  auto rec = d.run(k_t0 + 300, "erp-db", State::warning);
  REQUIRE(rec.tickets.size() == 1);
  CHECK(rec.tickets[0].action == "opened");
  CHECK(rec.tickets[0].check == "erp-db");
  const std::string ref = rec.tickets[0].ref;
  CHECK(ref == "INC-2026-000001");
  const auto t = d.ticket(ref);
  CHECK(t.type == model::TicketType::incident);
  CHECK(t.channel == model::Channel::monitor);
  CHECK(t.system == "erp");
  CHECK(t.priority == model::Priority::high);
  CHECK(t.status == model::Status::new_);
  CHECK(has(t.title, "erp-db"));
  CHECK(has(t.title, "WARNING"));
  CHECK(d.ticket_ref_of("erp-db") == ref);

  // still bad the same way: nothing new, no duplicate
  CHECK(d.run(k_t0 + 600, "erp-db", State::warning).tickets.empty());
  CHECK(d.incidents().size() == 1);

  // worse while bad: a comment on the same incident
  rec = d.run(k_t0 + 900, "erp-db", State::critical);
  CHECK(actions(rec) == std::vector<std::string>{"commented"});
  CHECK(rec.tickets[0].ref == ref);
  CHECK(d.incidents().size() == 1);
  REQUIRE(d.comments(ref).size() == 1);
  CHECK(has(d.comments(ref)[0], "CRITICAL"));
  CHECK(d.run(k_t0 + 1200, "erp-db", State::critical).tickets.empty());

  // recovers: a comment, and resolved (auto_resolve)
  rec = d.run(k_t0 + 1500, "erp-db", State::ok);
  CHECK(actions(rec) == std::vector<std::string>{"resolved"});
  CHECK(rec.tickets[0].ref == ref);
  CHECK(d.ticket(ref).status == model::Status::resolved);
  CHECK(d.comments(ref).size() == 2);
  CHECK(has(d.comments(ref)[1], "recovered"));
  CHECK_FALSE(d.ticket_ref_of("erp-db").has_value());
  CHECK(d.run(k_t0 + 1800, "erp-db", State::ok).tickets.empty());

  // a new failure: a new incident
  rec = d.run(k_t0 + 2100, "erp-db", State::critical);
  CHECK(actions(rec) == std::vector<std::string>{"opened"});
  CHECK(rec.tickets[0].ref == "INC-2026-000002");
  CHECK(d.incidents().size() == 2);
}

TEST_CASE("inspect::record_run, which states open an incident") {
  ZoneGuard zone("UTC");
  Desk d;
  d.checks = {incident_check("only-critical", "critical", true), incident_check("never", "never", true),
              incident_check("any", "warning", false)};
  d.checks[1].system.clear();
  auto rec = d.run(k_t0, {result("only-critical", "erp", State::warning, k_t0), result("never", "", State::critical, k_t0),
                          result("any", "erp", State::unknown, k_t0)});
  CHECK(rec.tickets.empty());
  CHECK(d.incidents().empty());
  rec = d.run(k_t0 + 300, {result("only-critical", "erp", State::critical, k_t0 + 300)});
  CHECK(actions(rec) == std::vector<std::string>{"opened"});
  SUBCASE("a check's own priority") {
    auto urgent = incident_check("urgent-one", "critical", false);
    urgent.priority = model::Priority::urgent;
    d.checks.push_back(urgent);
    rec = d.run(k_t0 + 600, {result("urgent-one", "erp", State::critical, k_t0 + 600)});
    REQUIRE(rec.tickets.size() == 1);
    CHECK(d.ticket(rec.tickets[0].ref).priority == model::Priority::urgent);
  }
}

TEST_CASE("inspect::record_run, recovery without auto_resolve") {
  ZoneGuard zone("UTC");
  Desk d;
  d.checks = {incident_check("erp-db", "critical", false)};
  const auto ref = d.run(k_t0, "erp-db", State::critical).tickets.at(0).ref;
  const auto rec = d.run(k_t0 + 300, "erp-db", State::ok);
  CHECK(actions(rec) == std::vector<std::string>{"commented"});
  CHECK(d.ticket(ref).status == model::Status::new_);
  REQUIRE(d.comments(ref).size() == 1);
  CHECK(has(d.comments(ref)[0], "recovered"));
  CHECK(d.run(k_t0 + 600, "erp-db", State::ok).tickets.empty());  // said once
  CHECK(d.incidents().size() == 1);
}

TEST_CASE("inspect::record_run, only OK is a recovery") {
  // A check that can no longer tell (UNKNOWN: a timeout, say) or that is merely WARNING has not
  // recovered: its incident stays open, and the next CRITICAL is the same failure.
  ZoneGuard zone("UTC");
  Desk d;
  d.checks = {incident_check("erp-db", "critical", true)};
  const auto ref = d.run(k_t0, "erp-db", State::critical).tickets.at(0).ref;
  SUBCASE("UNKNOWN") {
    const auto rec = d.run(k_t0 + 300, "erp-db", State::unknown);
    CHECK(actions(rec) != std::vector<std::string>{"resolved"});
    CHECK(d.ticket(ref).status == model::Status::new_);
  }
  SUBCASE("WARNING") {
    const auto rec = d.run(k_t0 + 300, "erp-db", State::warning);
    CHECK(actions(rec) != std::vector<std::string>{"resolved"});
    CHECK(d.ticket(ref).status == model::Status::new_);
  }
  d.run(k_t0 + 600, "erp-db", State::critical);
  CHECK(d.incidents().size() == 1);
}

TEST_CASE("inspect::record_run, an incident resolved by hand") {
  ZoneGuard zone("UTC");
  Desk d;
  d.checks = {incident_check("erp-db", "critical", true)};
  const auto first = d.run(k_t0, "erp-db", State::critical).tickets.at(0).ref;
  SUBCASE("resolved while the check still fails: the next failure opens a new incident") {
    ticket::TransitionOptions o;
    o.note = "restarted the listener";
    ticket::transition(d.st.session(k_t0 + 100), ticket::Action::resolve, first, o);
    const auto rec = d.run(k_t0 + 300, "erp-db", State::critical);
    CHECK(actions(rec) == std::vector<std::string>{"opened"});
    CHECK(rec.tickets[0].ref != first);
    CHECK(d.incidents().size() == 2);
    CHECK(d.ticket_ref_of("erp-db") == rec.tickets[0].ref);
    CHECK(d.run(k_t0 + 600, "erp-db", State::critical).tickets.empty());
    CHECK(d.incidents().size() == 2);
  }
  SUBCASE("cancelled: the same") {
    ticket::TransitionOptions o;
    o.note = "false alarm";
    ticket::transition(d.st.session(k_t0 + 100), ticket::Action::cancel, first, o);
    CHECK(actions(d.run(k_t0 + 300, "erp-db", State::critical)) == std::vector<std::string>{"opened"});
  }
  SUBCASE("resolved by hand, then the check recovers: nothing to resolve") {
    ticket::TransitionOptions o;
    o.note = "fixed";
    ticket::transition(d.st.session(k_t0 + 100), ticket::Action::resolve, first, o);
    CHECK(d.run(k_t0 + 300, "erp-db", State::ok).tickets.empty());
    CHECK(d.incidents().size() == 1);
  }
}

TEST_CASE("inspect::record_run, planned downtime suppresses opening") {
  ZoneGuard zone("UTC");
  Desk d;
  d.checks = {incident_check("erp-db", "critical", true)};
  ticket::Downtime w;
  w.system = "erp";
  w.start = k_t0;
  w.end = k_t0 + 3600;
  w.reason = "database upgrade";
  ticket::add_downtime(d.st.session(k_t0 - 60), w);
  auto rec = d.run(k_t0 + 60, "erp-db", State::critical);
  REQUIRE(rec.tickets.size() == 1);
  CHECK(rec.tickets[0].action == "suppressed");
  CHECK(rec.tickets[0].ref.empty());
  CHECK(d.incidents().empty());
  rec = d.run(k_t0 + 360, "erp-db", State::critical);
  CHECK(d.incidents().empty());
  SUBCASE("after the window: opened") {
    rec = d.run(k_t0 + 3600, "erp-db", State::critical);
    CHECK(actions(rec) == std::vector<std::string>{"opened"});
    CHECK(d.incidents().size() == 1);
  }
  SUBCASE("another system's window does not suppress") {
    auto mail = incident_check("mail-smtp", "critical", true);
    mail.system = "mail";
    d.checks.push_back(mail);
    rec = d.run(k_t0 + 600, {result("mail-smtp", "mail", State::critical, k_t0 + 600)});
    CHECK(actions(rec) == std::vector<std::string>{"opened"});
  }
  SUBCASE("a window for every system suppresses too") {
    auto mail = incident_check("mail-smtp", "critical", true);
    mail.system = "mail";
    d.checks.push_back(mail);
    ticket::Downtime all;
    all.start = k_t0 + 500;
    all.end = k_t0 + 700;
    all.reason = "power work";
    ticket::add_downtime(d.st.session(k_t0 + 400), all);
    rec = d.run(k_t0 + 600, {result("mail-smtp", "mail", State::critical, k_t0 + 600)});
    CHECK(actions(rec) == std::vector<std::string>{"suppressed"});
  }
}

TEST_CASE("inspect::record_run, the inspection record") {
  ZoneGuard zone("UTC");
  Desk d;
  d.checks = {make_check("root-disk", "disk"), make_check("web", "http"), make_check("backup", "backup_freshness"),
              make_check("load", "load")};
  const auto rec = d.run(k_t0, sample_run(), true);
  REQUIRE(rec.record_ref.has_value());
  CHECK(rec.record_ref->starts_with("INS-2026-"));
  const auto t = d.ticket(*rec.record_ref);
  CHECK(t.type == model::TicketType::inspection);
  CHECK(t.status == model::Status::resolved);
  CHECK(has(t.title, "4 checks: 1 OK, 1 WARNING, 1 CRITICAL, 1 UNKNOWN"));
  CHECK(has(t.description, "| root-disk | erp | OK | DISK OK - 50% free |"));
  CHECK(has(t.description, "| backup | - | UNKNOWN | cannot tell |"));
  CHECK(d.st.db->one_text("SELECT record_ref FROM inspection_runs WHERE id = ?", rec.run_id) == *rec.record_ref);
  CHECK(d.incidents().empty());
  CHECK_FALSE(d.run(k_t0 + 300, sample_run(), false).record_ref.has_value());
}

TEST_CASE("inspect::availability") {
  // One hour from 2026-11-01T00:00Z; both erp checks every 5 minutes.
  //   web: ok 0, critical 600, ok 900, ok 1200, then nothing until 2400 (a gap of 1200 s, more
  //        than twice the interval: the ok of 1200 holds until 1800, no data 1800-2400), ok
  //        every 300 s from 2400 to 3300, and a critical after the hour (not counted).
  //   db:  ok at -200 (holds into the hour), ok every 300 s from 300, warning at 900.
  //   planned downtime of erp 3000-3300; of mail 100-200. mail-smtp never ran.
  ZoneGuard zone("UTC");
  Desk d;
  const core::Timestamp f = k_nov1, to = k_nov1 + 3600;
  auto web = make_check("web", "http");
  web.system = "erp";
  web.interval = 300;
  auto db = make_check("db", "sqlite");
  db.system = "erp";
  db.interval = 300;
  auto smtp = make_check("mail-smtp", "tcp");
  smtp.system = "mail";
  auto loose = make_check("no-system", "load");
  d.checks = {web, db, smtp, loose};

  std::map<core::Timestamp, std::vector<Result>> runs;
  for (const auto& [at, state] : std::vector<std::pair<core::Timestamp, State>>{
           {0, State::ok}, {600, State::critical}, {900, State::ok}, {1200, State::ok}, {2400, State::ok},
           {2700, State::ok}, {3000, State::ok}, {3300, State::ok}, {3700, State::critical}})
    runs[f + at].push_back(result("web", "erp", state, f + at));
  runs[f - 200].push_back(result("db", "erp", State::ok, f - 200));
  for (core::Timestamp at = 300; at < 3600; at += 300)
    runs[f + at].push_back(result("db", "erp", at == 900 ? State::warning : State::ok, f + at));
  runs[f + 50].push_back(result("no-system", "", State::critical, f + 50));
  for (const auto& [at, results] : runs) d.run(at, results);
  ticket::Downtime erp;
  erp.system = "erp";
  erp.start = f + 3000;
  erp.end = f + 3300;
  erp.reason = "patching";
  ticket::add_downtime(d.st.session(f + 4000), erp);
  ticket::Downtime mail;
  mail.system = "mail";
  mail.start = f + 100;
  mail.end = f + 200;
  mail.reason = "relay restart";
  ticket::add_downtime(d.st.session(f + 4000), mail);

  const auto rows = availability(*d.st.db, d.checks, std::nullopt, f, to);
  CHECK(rows.size() == 5);  // web, db, erp; mail-smtp, mail; the check without a system is left out
  SUBCASE("a check with a gap and planned downtime") {
    const auto& a = find(rows, "erp", "web");
    CHECK(a.period == 3600);
    CHECK(a.downtime == 300);
    CHECK(a.down == 300);
    CHECK(a.no_data == 600);
    CHECK(a.up == 2400);
    CHECK(a.percent().value_or(-1) == doctest::Approx(2400.0 * 100 / 3300));
  }
  SUBCASE("a check whose first state comes from before the period") {
    const auto& a = find(rows, "erp", "db");
    CHECK(a.downtime == 300);
    CHECK(a.down == 300);
    CHECK(a.no_data == 0);
    CHECK(a.up == 3000);
    CHECK(a.percent().value_or(-1) == doctest::Approx(3000.0 * 100 / 3300));
  }
  SUBCASE("the system is down while either check is down") {
    const auto& a = find(rows, "erp", "");
    CHECK(a.period == 3600);
    CHECK(a.downtime == 300);
    CHECK(a.down == 600);     // web 600-900, db 900-1200
    CHECK(a.no_data == 0);    // db has data while web has none
    CHECK(a.up == 2700);
    CHECK(a.percent().value_or(-1) == doctest::Approx(2700.0 * 100 / 3300));
    const auto j = to_json(a);
    CHECK(j["system"] == "erp");
    CHECK(j["check"].is_null());
    CHECK(j["percent"] == doctest::Approx(81.818));
    CHECK(j["up_seconds"] == 2700);
    CHECK(j["down_seconds"] == 600);
    CHECK(j["no_data_seconds"] == 0);
    CHECK(j["downtime_seconds"] == 300);
    CHECK(j["period_seconds"] == 3600);
  }
  SUBCASE("a check that never ran: no data, not up") {
    const auto& a = find(rows, "mail", "mail-smtp");
    CHECK(a.downtime == 100);
    CHECK(a.up == 0);
    CHECK(a.down == 0);
    CHECK(a.no_data == 3500);
    CHECK_FALSE(a.percent().has_value());  // unknown, not an outage
    CHECK(to_json(a)["percent"].is_null());
    CHECK(find(rows, "mail", "").no_data == 3500);
  }
  SUBCASE("one system") {
    const auto only = availability(*d.st.db, d.checks, std::string("mail"), f, to);
    REQUIRE(only.size() == 2);
    CHECK(only[0].system == "mail");
    CHECK(only[1].system == "mail");
  }
  SUBCASE("a later window: the last state holds for twice the interval, then no data") {
    const auto later = availability(*d.st.db, d.checks, std::string("erp"), f + 3600, f + 7200);
    const auto& w = find(later, "erp", "web");
    CHECK(w.up == 100);      // the ok of 3300 holds until 3900, cut at 3700 by the critical
    CHECK(w.down == 600);    // the critical of 3700 holds until 4300
    CHECK(w.no_data == 2900);
  }
}

TEST_CASE("inspect::to_nagios") {
  const std::string out = to_nagios(sample_run());
  const auto lines = lines_of(out);
  REQUIRE(lines.size() >= 5);
  CHECK(lines[0] ==
        "OPSDESK CRITICAL - 1 critical, 1 warning, 1 unknown, 1 ok: web CRITICAL, backup UNKNOWN, load WARNING | "
        "root-disk.free_percent=50%;20:;10:;0;100 web.time=0.5s;;;0;10 'load.load 1'=9.1;;;0");
  CHECK(lines[1] == "root-disk: DISK OK - 50% free");
  CHECK(lines[2] == "web: HTTP CRITICAL - status 500 <&>\"'");
  CHECK(lines[3] == "backup: cannot tell");
  CHECK(lines[4] == "load: LOAD WARNING - 9.1");
  SUBCASE("its perfdata reads back") {
    const auto po = parse_plugin_output(out);
    REQUIRE(po.perfdata.size() == 3);
    CHECK(po.perfdata[0].label == "root-disk.free_percent");
    CHECK(po.perfdata[2].label == "load.load 1");
  }
  SUBCASE("all OK, and nothing run") {
    std::vector<Result> ok = {result("a", "x", State::ok, k_t0), result("b", "x", State::ok, k_t0)};
    CHECK(to_nagios(ok).starts_with("OPSDESK OK - 2 ok\n"));
    CHECK(to_nagios({}) == "OPSDESK OK - no checks\n");
  }
}

TEST_CASE("inspect::to_junit") {
  ZoneGuard zone("UTC");
  const std::string xml = to_junit(sample_run(), k_t0);
  std::string why;
  CHECK_MESSAGE(well_formed(xml, why), why, "\n", xml);
  CHECK(attribute(xml, "testsuite", "tests") == "4");
  CHECK(attribute(xml, "testsuite", "failures") == "2");
  CHECK(attribute(xml, "testsuite", "errors") == "1");
  CHECK(attribute(xml, "testsuite", "timestamp") == "2026-11-25T06:30:00Z");
  CHECK(attribute(xml, "testsuite", "time") == "1.650");
  CHECK(occurrences(xml, "<testcase ") == 4);
  CHECK(occurrences(xml, "<failure ") == 2);
  CHECK(occurrences(xml, "<error ") == 1);
  CHECK(has(xml, "message=\"HTTP CRITICAL - status 500 &lt;&amp;&gt;&quot;&apos;\""));
  CHECK(has(xml, "line 1\nline &lt;2&gt;"));
  CHECK(has(xml, "classname=\"erp\" name=\"web\""));
  SUBCASE("control characters are dropped") {
    auto r = result("odd", "erp", State::critical, k_t0, std::string("bell\x07 and escape\x1b[0m"));
    const std::string x = to_junit({r}, k_t0);
    CHECK_MESSAGE(well_formed(x, why), why);
  }
  SUBCASE("nothing run") {
    const std::string empty = to_junit({}, k_t0);
    CHECK_MESSAGE(well_formed(empty, why), why);
    CHECK(attribute(empty, "testsuite", "tests") == "0");
  }
}

TEST_CASE("inspect::to_prometheus") {
  auto run = sample_run();
  run.push_back(result("quote\"back\\slash", "new\nline", State::ok, k_t0));
  const std::string text = to_prometheus(run);
  const std::regex sample(R"re(^([a-zA-Z_:][a-zA-Z0-9_:]*)\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*",?)*\} (-?[0-9.e+-]+|NaN|[+-]Inf)$)re");
  std::map<std::string, int> families;
  std::map<std::string, int> typed;
  for (const auto& line : lines_of(text)) {
    if (line.empty()) continue;
    CAPTURE(line);
    if (line.starts_with("# TYPE ")) {
      const auto name = line.substr(7, line.find(' ', 7) - 7);
      CHECK(line == "# TYPE " + name + " gauge");
      ++typed[name];
      continue;
    }
    if (line.starts_with("# HELP ")) continue;
    std::smatch m;
    REQUIRE(std::regex_match(line, m, sample));
    ++families[m[1]];
  }
  CHECK(families["opsdesk_check_state"] == 5);
  CHECK(families["opsdesk_check_duration_seconds"] == 5);
  CHECK(families["opsdesk_check_timestamp_seconds"] == 5);
  CHECK(families["opsdesk_check_perfdata"] == 3);
  for (const auto& [name, n] : families) CHECK(typed[name] == 1);
  CHECK(has(text, "opsdesk_check_state{check=\"web\",system=\"erp\"} 2\n"));
  CHECK(has(text, "opsdesk_check_state{check=\"backup\",system=\"\"} 3\n"));
  CHECK(has(text, "opsdesk_check_duration_seconds{check=\"web\",system=\"erp\"} 1.500\n"));
  CHECK(has(text, "opsdesk_check_timestamp_seconds{check=\"web\",system=\"erp\"} 1795588200\n"));
  CHECK(has(text, "opsdesk_check_perfdata{check=\"root-disk\",system=\"erp\",label=\"free_percent\",uom=\"%\"} 50\n"));
  CHECK(has(text, "label=\"load_1\""));
  CHECK(has(text, "check=\"quote\\\"back\\\\slash\",system=\"new\\nline\""));
}

TEST_SUITE_END();
