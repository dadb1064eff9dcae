#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "report/report.hpp"
#include "support/helpers.hpp"
#include "ticket/process.hpp"
#include "ticket/service.hpp"

using namespace opsdesk;
using namespace std::string_literals;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::TempStore;
using opsdesk::test::thrown;
using opsdesk::test::ZoneGuard;
using ticket::Action;
using ticket::Priority;
using ticket::TicketType;

TEST_SUITE_BEGIN("report");

namespace {

// Times are written in RFC 3339 (UTC); the tests run with the zone fixed to UTC.
core::Timestamp at(std::string_view rfc3339) { return core::parse_time(rfc3339, 0); }

// The report is made on 2026-12-05 12:00 UTC, for November 2026.
const core::Timestamp k_now = 1796472000;  // 2026-12-05T12:00:00Z
const char* const k_script_title = "<script>alert(\"x\") & co</script>";

std::string open_ticket(const desk::Session& s, TicketType type, Priority priority, std::string title,
                        std::optional<std::string> system, std::optional<std::string> category, core::Timestamp when) {
  ticket::NewTicket r;
  r.type = type;
  r.priority = priority;
  r.title = std::move(title);
  r.system = std::move(system);
  r.category = std::move(category);
  r.at = when;
  return ticket::create(s, r).ref;
}

void move(const desk::Session& s, Action action, const std::string& ref, core::Timestamp when,
          std::optional<std::string> note = std::nullopt, std::optional<model::PendingReason> reason = std::nullopt) {
  ticket::TransitionOptions o;
  o.at = when;
  o.note = std::move(note);
  o.reason = reason;
  ticket::transition(s, action, ref, o);
}

// A small desk, hand-counted. Period 2026-11 = [2026-11-01, 2026-12-01) UTC; the period before
// it (as the report counts it, the same length back) = [2026-10-02, 2026-11-01).
//
//  ref  type      prio    system cat       created        what happened (clock elapsed)
//  A    incident  high    erp    network   10-20 10:00    ack 10:10, resolved 11-03 10:00
//  I    incident  high    erp    database  10-25 09:00    ack 09:10, still open
//  B    incident  urgent  erp    network   11-02 09:00    ack +5m (300), resolved 12:00 (3h, met)
//  G    incident  low     erp    -         11-05 09:00    cancelled 10:00
//  C    incident  urgent  erp    database  11-10 09:00    ack +20m (1200), resolved 20:00 (11h, breached by 3h)
//  H    request   medium  erp    -         11-12 09:00    untouched: both clocks breached, running
//  D    incident  urgent  erp    database  11-16 09:00    ack +45m (2700, breached by 15m), pending vendor 10:00
//  P    problem   medium  erp    -         11-18 09:00    root cause recorded, open
//  E    incident  urgent  erp    database  11-20 09:00    ack +10m (600), resolved 11:00 (2h, met)
//  F    incident  medium  crm    network   11-25 09:00    ack +15m (900), resolved 12:00 (3h, met)
//
// Surveys (on 11-28): B 4, C 2, E 5, F 1; and A 1 on 12-02 (after the period).
struct Desk {
  TempStore st;
  std::string A, I, B, G, C, H, D, P, E, F;

  Desk() {
    const auto s = st.session(k_now);
    A = open_ticket(s, TicketType::incident, Priority::high, "listener down", "erp", "network", at("2026-10-20T10:00:00Z"));
    move(s, Action::ack, A, at("2026-10-20T10:10:00Z"));
    move(s, Action::resolve, A, at("2026-11-03T10:00:00Z"), "restarted the listener");

    I = open_ticket(s, TicketType::incident, Priority::high, "batch job slow", "erp", "database", at("2026-10-25T09:00:00Z"));
    move(s, Action::ack, I, at("2026-10-25T09:10:00Z"));

    B = open_ticket(s, TicketType::incident, Priority::urgent, "switch port flapping", "erp", "network", at("2026-11-02T09:00:00Z"));
    move(s, Action::ack, B, at("2026-11-02T09:05:00Z"));
    move(s, Action::resolve, B, at("2026-11-02T12:00:00Z"), "replaced the switch port");

    G = open_ticket(s, TicketType::incident, Priority::low, "duplicate call", "erp", std::nullopt, at("2026-11-05T09:00:00Z"));
    move(s, Action::cancel, G, at("2026-11-05T10:00:00Z"), "duplicate");

    C = open_ticket(s, TicketType::incident, Priority::urgent, k_script_title, "erp", "database", at("2026-11-10T09:00:00Z"));
    move(s, Action::ack, C, at("2026-11-10T09:20:00Z"));
    move(s, Action::resolve, C, at("2026-11-10T20:00:00Z"), "rebuilt the index");

    H = open_ticket(s, TicketType::request, Priority::medium, "new report template", "erp", std::nullopt, at("2026-11-12T09:00:00Z"));

    D = open_ticket(s, TicketType::incident, Priority::urgent, "orders stuck", "erp", "database", at("2026-11-16T09:00:00Z"));
    move(s, Action::ack, D, at("2026-11-16T09:45:00Z"));
    move(s, Action::pend, D, at("2026-11-16T10:00:00Z"), std::nullopt, model::PendingReason::vendor);

    P = open_ticket(s, TicketType::problem, Priority::medium, "slow queries on orders", "erp", std::nullopt, at("2026-11-18T09:00:00Z"));
    ticket::ProcessFields pf;
    pf.root_cause = "missing index on orders.customer_id";
    ticket::set_process_fields(s, P, pf);

    E = open_ticket(s, TicketType::incident, Priority::urgent, "lock wait timeouts", "erp", "database", at("2026-11-20T09:00:00Z"));
    move(s, Action::ack, E, at("2026-11-20T09:10:00Z"));
    move(s, Action::resolve, E, at("2026-11-20T11:00:00Z"), "cleared the lock");

    F = open_ticket(s, TicketType::incident, Priority::medium, "cannot log in", "crm", "network", at("2026-11-25T09:00:00Z"));
    move(s, Action::ack, F, at("2026-11-25T09:15:00Z"));
    move(s, Action::resolve, F, at("2026-11-25T12:00:00Z"), "reset the password");

    const auto in_period = st.session(at("2026-11-28T00:00:00Z"), "chen");
    ticket::survey(in_period, B, 4, std::nullopt);
    ticket::survey(in_period, C, 2, "slow");
    ticket::survey(in_period, E, 5, std::nullopt);
    ticket::survey(in_period, F, 1, std::nullopt);
    const auto later = st.session(at("2026-12-02T00:00:00Z"), "chen");
    ticket::survey(later, A, 1, std::nullopt);
  }

  report::Report build(const std::optional<std::string>& system = std::nullopt, bool redact = false) {
    return report::build(*st.db, st.config, report::period_of("2026-11"), system, k_now, redact);
  }
};

const report::TicketCount* count_of(const report::Report& r, std::string_view type, std::string_view priority) {
  for (const auto& t : r.tickets)
    if (t.type == type && t.priority == priority) return &t;
  return nullptr;
}

const report::SlaRow* sla_of(const report::Report& r, std::string_view clock, std::string_view priority) {
  for (const auto& s : r.sla)
    if (s.clock == clock && s.priority == priority) return &s;
  return nullptr;
}

const report::Target* target_of(const report::Report& r, std::string_view name) {
  for (const auto& t : r.targets)
    if (t.name == name) return &t;
  return nullptr;
}

std::vector<std::string> names(const std::vector<report::Named>& v) {
  std::vector<std::string> out;
  for (const auto& n : v) out.push_back(n.name + " " + std::to_string(n.count) + "/" + std::to_string(n.previous));
  return out;
}

std::vector<std::string> breach_lines(const report::Report& r) {
  std::vector<std::string> out;
  for (const auto& b : r.breaches) out.push_back(b.ref + " " + b.clock + " " + b.priority + " " + std::to_string(b.overrun));
  return out;
}

using Strings = std::vector<std::string>;
using Weeks = std::map<std::string, std::int64_t>;

}  // namespace

// ---------------------------------------------------------------------------------------------
// Periods

TEST_CASE("report::period_of parses a quarter, a month and a year") {
  ZoneGuard zone("UTC");
  const auto q = report::period_of("2026-Q3");
  CHECK(q.name == "2026-Q3");
  CHECK(q.start == at("2026-07-01T00:00:00Z"));
  CHECK(q.end == at("2026-10-01T00:00:00Z"));

  const auto m = report::period_of("2026-11");
  CHECK(m.name == "2026-11");
  CHECK(m.start == at("2026-11-01T00:00:00Z"));
  CHECK(m.end == at("2026-12-01T00:00:00Z"));

  const auto y = report::period_of("2026");
  CHECK(y.name == "2026");
  CHECK(y.start == at("2026-01-01T00:00:00Z"));
  CHECK(y.end == at("2027-01-01T00:00:00Z"));

  const auto dec = report::period_of("2026-12");
  CHECK(dec.end == at("2027-01-01T00:00:00Z"));
}

TEST_CASE("report::period_of refuses anything else with a usage error") {
  ZoneGuard zone("UTC");
  for (const char* text : {"2026-13", "2026-11-25", "x", "", "2026-Q5", "2026-Q0", "26-11", "2026-1"}) {
    CAPTURE(text);
    const auto e = thrown([&] { report::period_of(text); });
    CHECK(kind(e) == "usage");
    CHECK(has(e.what(), "--period"));
  }
}

TEST_CASE("report::period_of refuses a day even with blanks around it") {
  // Regression (was a bug): period_of rejects a day by `text.size() == 10` on the untrimmed text, while
  // core::parse_period trims; " 2026-11-25" (11 chars) passes as a one-day period.
  ZoneGuard zone("UTC");
  for (const char* text : {" 2026-11-25", "2026-11-25 ", "\t2026-11-25"}) {
    CAPTURE(text);
    const auto e = thrown([&] { report::period_of(text); });
    CHECK(kind(e) == "usage");
  }
}

TEST_CASE("report::default_period is the last complete month") {
  ZoneGuard zone("UTC");
  REQUIRE(k_now == at("2026-12-05T12:00:00Z"));
  const auto p = report::default_period(k_now);
  CHECK(p.name == "2026-11");
  CHECK(p.start == at("2026-11-01T00:00:00Z"));
  CHECK(p.end == at("2026-12-01T00:00:00Z"));
  // On the first second of a month, the month before is the last complete one.
  CHECK(report::default_period(at("2026-12-01T00:00:00Z")).name == "2026-11");
  CHECK(report::default_period(at("2026-11-30T23:59:59Z")).name == "2026-10");
  // Across a year.
  const auto jan = report::default_period(at("2026-01-15T08:00:00Z"));
  CHECK(jan.name == "2025-12");
  CHECK(jan.start == at("2025-12-01T00:00:00Z"));
  CHECK(jan.end == at("2026-01-01T00:00:00Z"));
}

// ---------------------------------------------------------------------------------------------
// build

TEST_CASE("report::build counts tickets opened, resolved and open at the end by type and priority") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  CHECK(r.desk == "opsdesk");
  CHECK(r.period.name == "2026-11");
  CHECK_FALSE(r.system);
  CHECK(r.generated_at == k_now);
  CHECK_FALSE(r.redacted);

  REQUIRE(r.tickets.size() == 6);
  const Strings order = [&] {
    Strings o;
    for (const auto& t : r.tickets) o.push_back(t.type + "/" + t.priority);
    return o;
  }();
  CHECK(order == Strings{"incident/high", "incident/low", "incident/medium", "incident/urgent", "problem/medium", "request/medium"});

  // A (created before, resolved in the period) and I (created before, still open).
  const auto* high = count_of(r, "incident", "high");
  REQUIRE(high);
  CHECK(high->opened == 0);
  CHECK(high->resolved == 1);
  CHECK(high->open_at_end == 1);
  // G: opened and cancelled in the period: not open at the end.
  const auto* low = count_of(r, "incident", "low");
  REQUIRE(low);
  CHECK(low->opened == 1);
  CHECK(low->resolved == 0);
  CHECK(low->open_at_end == 0);
  const auto* medium = count_of(r, "incident", "medium");
  REQUIRE(medium);
  CHECK(medium->opened == 1);
  CHECK(medium->resolved == 1);
  CHECK(medium->open_at_end == 0);
  // B, C, E resolved; D still open.
  const auto* urgent = count_of(r, "incident", "urgent");
  REQUIRE(urgent);
  CHECK(urgent->opened == 4);
  CHECK(urgent->resolved == 3);
  CHECK(urgent->open_at_end == 1);
  const auto* problem = count_of(r, "problem", "medium");
  REQUIRE(problem);
  CHECK(problem->opened == 1);
  CHECK(problem->resolved == 0);
  CHECK(problem->open_at_end == 1);
  // H: created in the period and still open.
  const auto* request = count_of(r, "request", "medium");
  REQUIRE(request);
  CHECK(request->opened == 1);
  CHECK(request->resolved == 0);
  CHECK(request->open_at_end == 1);
}

TEST_CASE("report::build leaves out tickets resolved before the period and opened after it") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  const auto before = open_ticket(s, TicketType::incident, Priority::high, "old", "erp", std::nullopt, at("2026-10-01T09:00:00Z"));
  move(s, Action::resolve, before, at("2026-10-02T09:00:00Z"), "done");
  open_ticket(s, TicketType::incident, Priority::high, "new", "erp", std::nullopt, at("2026-12-01T00:00:00Z"));
  // Opened on the period's last second and resolved after it: opened, and open at the end.
  const auto edge = open_ticket(s, TicketType::incident, Priority::low, "edge", "erp", std::nullopt, at("2026-11-30T23:59:59Z"));
  move(s, Action::resolve, edge, at("2026-12-01T00:00:00Z"), "done");
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  REQUIRE(r.tickets.size() == 1);
  CHECK(r.tickets[0].type == "incident");
  CHECK(r.tickets[0].priority == "low");
  CHECK(r.tickets[0].opened == 1);
  CHECK(r.tickets[0].resolved == 0);
  CHECK(r.tickets[0].open_at_end == 1);
  REQUIRE(r.weeks.size() == 5);
  CHECK(r.weeks[4].by_priority == Weeks{{"low", 1}});
}

TEST_CASE("report::build counts a ticket cancelled after the period as open at its end") {
  // Regression (was a bug): the "open at end" sum tests the ticket's status now (`t.status <> 'cancelled'`), not at
  // the end of the period; cancel sets neither resolved_at nor closed_at, so a ticket that was
  // open all through November and cancelled on 3 December vanishes from November's open count.
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  const auto ref = open_ticket(s, TicketType::incident, Priority::medium, "x", "erp", std::nullopt, at("2026-11-20T09:00:00Z"));
  move(s, Action::cancel, ref, at("2026-12-03T09:00:00Z"), "customer withdrew it");
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  REQUIRE(r.tickets.size() == 1);
  CHECK(r.tickets[0].opened == 1);
  CHECK(r.tickets[0].open_at_end == 1);
}

TEST_CASE("report::build counts tickets opened per week of the period by priority") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  REQUIRE(r.weeks.size() == 5);  // 30 days: four whole weeks and two days
  const auto start = at("2026-11-01T00:00:00Z");
  for (std::size_t i = 0; i < r.weeks.size(); ++i) CHECK(r.weeks[i].start == start + static_cast<core::Timestamp>(i) * 7 * 86400);
  CHECK(r.weeks[0].by_priority == Weeks{{"low", 1}, {"urgent", 1}});     // B, G
  CHECK(r.weeks[1].by_priority == Weeks{{"medium", 1}, {"urgent", 1}});  // C, H
  CHECK(r.weeks[2].by_priority == Weeks{{"medium", 1}, {"urgent", 2}});  // D, P, E
  CHECK(r.weeks[3].by_priority == Weeks{{"medium", 1}});                 // F
  CHECK(r.weeks[4].by_priority.empty());
}

TEST_CASE("report::build measures the contract targets on incident clocks") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  REQUIRE(r.targets.size() == 2);  // no checks configured: availability is not a target
  const auto* ack = target_of(r, "acknowledged_on_time");
  REQUIRE(ack);
  CHECK(ack->label == "incidents acknowledged in time");
  CHECK(ack->aim == doctest::Approx(99));
  // B, C, E, F in time, D late; G cancelled; the request H does not count.
  REQUIRE(ack->measured);
  CHECK(*ack->measured == doctest::Approx(80.0));
  CHECK(ack->basis == "4 of 5 clocks");
  CHECK_FALSE(ack->met);
  const auto* res = target_of(r, "resolved_on_time");
  REQUIRE(res);
  CHECK(res->aim == doctest::Approx(95));
  // B, E, F in time; C late; D open past its target.
  REQUIRE(res->measured);
  CHECK(*res->measured == doctest::Approx(60.0));
  CHECK(res->basis == "3 of 5 clocks");
  CHECK_FALSE(res->met);
  CHECK_FALSE(r.targets_met());
}

TEST_CASE("report::build judges a target met at or above its aim") {
  ZoneGuard zone("UTC");
  TempStore st;
  st.config.report.acknowledged_on_time = 75;
  st.config.report.resolved_on_time = 100;
  const auto s = st.session(k_now);
  // Four urgent incidents acknowledged after 5, 10, 20 and 45 minutes, resolved within 1h.
  int i = 0;
  for (const int minutes : {5, 10, 20, 45}) {
    const auto created = at("2026-11-02T09:00:00Z") + i++ * 86400;
    const auto ref = open_ticket(s, TicketType::incident, Priority::urgent, "t", "erp", std::nullopt, created);
    move(s, Action::ack, ref, created + minutes * 60);
    move(s, Action::resolve, ref, created + 3600, "done");
  }
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  REQUIRE(r.targets.size() == 2);
  CHECK(*r.targets[0].measured == doctest::Approx(75.0));
  CHECK(r.targets[0].met);  // exactly the aim
  CHECK(*r.targets[1].measured == doctest::Approx(100.0));
  CHECK(r.targets[1].met);
  CHECK(r.targets_met());

  st.config.report.acknowledged_on_time = 75.01;
  CHECK_FALSE(report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false).targets_met());
}

TEST_CASE("report::build gives SLA compliance, median and 90th percentile per clock and priority") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  Strings order;
  for (const auto& s : r.sla) order.push_back(s.clock + "/" + s.priority);
  // Clocks that started in the period; A's and I's started in October. Priority order, not alphabetical.
  CHECK(order == Strings{"response/urgent", "response/medium", "response/low", "resolution/urgent", "resolution/medium",
                         "resolution/low"});

  // Response, urgent: B 300, E 600, C 1200 met; D 2700 breached.
  const auto* ru = sla_of(r, "response", "urgent");
  REQUIRE(ru);
  CHECK(ru->met == 3);
  CHECK(ru->breached == 1);
  CHECK(ru->running == 0);
  REQUIRE(ru->compliance);
  CHECK(*ru->compliance == doctest::Approx(75.0));
  CHECK(ru->median == std::optional<core::Seconds>(600));  // the lower of the middle two
  CHECK(ru->p90 == std::optional<core::Seconds>(2700));    // nearest rank: the 4th of 4

  // Response, medium: F 900 met; H never answered (breached, still running).
  const auto* rm = sla_of(r, "response", "medium");
  REQUIRE(rm);
  CHECK(rm->met == 1);
  CHECK(rm->breached == 1);
  CHECK(rm->running == 0);
  CHECK(*rm->compliance == doctest::Approx(50.0));
  CHECK(rm->median == std::optional<core::Seconds>(900));
  CHECK(rm->p90 == std::optional<core::Seconds>(900));

  // G's clocks were cancelled: neither met nor breached nor running.
  const auto* rl = sla_of(r, "response", "low");
  REQUIRE(rl);
  CHECK(rl->met == 0);
  CHECK(rl->breached == 0);
  CHECK(rl->running == 0);
  CHECK_FALSE(rl->compliance);

  // Resolution, urgent: E 7200, B 10800 met; C 39600 breached; D breached and still running.
  const auto* su = sla_of(r, "resolution", "urgent");
  REQUIRE(su);
  CHECK(su->met == 2);
  CHECK(su->breached == 2);
  CHECK(su->running == 0);
  CHECK(*su->compliance == doctest::Approx(50.0));
  CHECK(su->median == std::optional<core::Seconds>(10800));
  CHECK(su->p90 == std::optional<core::Seconds>(39600));

  const auto* sm = sla_of(r, "resolution", "medium");
  REQUIRE(sm);
  CHECK(sm->met == 1);
  CHECK(sm->breached == 1);
  CHECK(sm->median == std::optional<core::Seconds>(10800));
  CHECK(sm->p90 == std::optional<core::Seconds>(10800));

  CHECK(r.extensions_requested == 0);
  CHECK(r.extensions_approved == 0);
}

TEST_CASE("report::build takes the median and 90th percentile by nearest rank") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  // Ten high incidents acknowledged after 1..10 minutes: median 5m (the 5th), 90th 9m (the 9th).
  for (int i = 1; i <= 10; ++i) {
    const auto created = at("2026-11-03T09:00:00Z") + (i - 1) * 3600;
    const auto ref = open_ticket(s, TicketType::incident, Priority::high, "t", "erp", std::nullopt, created);
    move(s, Action::ack, ref, created + i * 60);
  }
  // Three low ones: 100, 200, 300 seconds: median 200, 90th 300.
  for (int i = 1; i <= 3; ++i) {
    const auto created = at("2026-11-04T09:00:00Z") + (i - 1) * 3600;
    const auto ref = open_ticket(s, TicketType::incident, Priority::low, "t", "erp", std::nullopt, created);
    move(s, Action::ack, ref, created + i * 100);
  }
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  const auto* high = sla_of(r, "response", "high");
  REQUIRE(high);
  CHECK(high->met == 10);
  CHECK(high->median == std::optional<core::Seconds>(300));
  CHECK(high->p90 == std::optional<core::Seconds>(540));
  const auto* low = sla_of(r, "response", "low");
  REQUIRE(low);
  CHECK(low->met == 3);
  CHECK(low->median == std::optional<core::Seconds>(200));
  CHECK(low->p90 == std::optional<core::Seconds>(300));
  // Their resolution clocks were never stopped and ran out long ago: breached, no percentiles.
  const auto* res = sla_of(r, "resolution", "high");
  REQUIRE(res);
  CHECK(res->breached == 10);
  CHECK_FALSE(res->median);
  CHECK_FALSE(res->p90);
}

TEST_CASE("report::build leaves cancelled clocks out of the median and 90th percentile") {
  // Regression (was a bug): the percentile pass takes every clock with stopped_at set, and a cancelled clock has
  // one; a ticket cancelled after 100 s counts as a 100 s response although nobody responded.
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  const auto x = open_ticket(s, TicketType::incident, Priority::urgent, "x", "erp", std::nullopt, at("2026-11-02T09:00:00Z"));
  move(s, Action::ack, x, at("2026-11-02T09:05:00Z"));
  move(s, Action::resolve, x, at("2026-11-02T10:00:00Z"), "done");
  const auto y = open_ticket(s, TicketType::incident, Priority::urgent, "y", "erp", std::nullopt, at("2026-11-03T09:00:00Z"));
  move(s, Action::cancel, y, at("2026-11-03T09:01:40Z"), "duplicate");
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  const auto* resp = sla_of(r, "response", "urgent");
  REQUIRE(resp);
  CHECK(resp->met == 1);
  CHECK(resp->median == std::optional<core::Seconds>(300));  // actual: 100 (the cancelled clock)
  CHECK(resp->p90 == std::optional<core::Seconds>(300));
  const auto* res = sla_of(r, "resolution", "urgent");
  REQUIRE(res);
  CHECK(res->median == std::optional<core::Seconds>(3600));  // actual: 100
}

TEST_CASE("report::build counts a clock that ran out before the report as breached") {
  // Regression (was a bug): build reads ticket_sla as last stored. A clock stored as running whose deadline passed
  // before `now` (nothing touched the ticket since) counts as running: not breached, and left
  // out of the contract target, which then reads "not measured" and met. `ticket list
  // --breached` (repository.cpp) treats `state = 'running' AND deadline <= now` as breached.
  ZoneGuard zone("UTC");
  TempStore st;
  const auto late = st.session(at("2026-11-30T23:05:00Z"));
  open_ticket(late, TicketType::incident, Priority::urgent, "left alone", "erp", std::nullopt, at("2026-11-30T23:00:00Z"));
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  const auto* resp = sla_of(r, "response", "urgent");
  REQUIRE(resp);
  CHECK(resp->running == 0);   // actual 1
  CHECK(resp->breached == 1);  // actual 0
  const auto* ack = target_of(r, "acknowledged_on_time");
  REQUIRE(ack);
  CHECK(ack->measured == std::optional<double>(0.0));  // actual nullopt
  CHECK_FALSE(r.targets_met());                        // actual true
}

TEST_CASE("report::build lists every breach of the period with its overrun and cause") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  // Running breached clocks count up to their last refresh (k_now): H was opened 11-12 09:00,
  // 23d3h before; D 11-16 09:00, 19d3h before.
  const core::Seconds h_elapsed = 23 * 86400 + 3 * 3600;
  const core::Seconds d_elapsed = 19 * 86400 + 3 * 3600;
  CHECK(breach_lines(r) == Strings{
                               d.H + " response medium " + std::to_string(h_elapsed - 1800),
                               d.H + " resolution medium " + std::to_string(h_elapsed - 86400),
                               d.D + " resolution urgent " + std::to_string(d_elapsed - 8 * 3600),
                               d.C + " resolution urgent 10800",
                               d.D + " response urgent 900",
                           });
  REQUIRE(r.breaches.size() == 5);
  CHECK(r.breaches[0].cause == "");
  CHECK(r.breaches[2].cause == "vendor");  // D is pending for the vendor
  CHECK(r.breaches[3].cause == "rebuilt the index");
  CHECK(r.breaches[3].title == k_script_title);
  CHECK(r.breaches[4].title == "orders stuck");
  // A breached its resolution clock, but that clock started in October.
  for (const auto& b : r.breaches) CHECK(b.ref != d.A);
}

TEST_CASE("report::build counts incidents by category and system against the period before") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  CHECK(names(r.categories) == Strings{"database 3/1", "network 2/1", "(none) 1/0"});
  CHECK(names(r.systems) == Strings{"erp 5/2", "crm 1/0"});
  REQUIRE(r.problems_opened.size() == 1);
  CHECK(r.problems_opened[0].ref == d.P);
  CHECK(r.problems_opened[0].title == "slow queries on orders");
  CHECK(r.problems_opened[0].detail == "missing index on orders.customer_id");
  REQUIRE(r.open_problems.size() == 1);
  CHECK(r.open_problems[0].ref == d.P);
  CHECK(r.open_problems[0].detail == "missing index on orders.customer_id");
  CHECK(r.planned_changes.empty());
  CHECK(r.staff_warnings.empty());
}

TEST_CASE("report::build lists a planned change with its plan and window") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto s = d.st.session(k_now);
  const auto ref = open_ticket(s, TicketType::change, Priority::medium, "move erp to the new SAN", "erp",
                               std::nullopt, at("2026-11-20T09:00:00Z"));
  ticket::ProcessFields f;
  f.plan = "copy the LUN, switch the mount, test";
  f.window_start = at("2026-12-06T01:00:00Z");
  f.window_end = at("2026-12-06T03:00:00Z");
  ticket::set_process_fields(s, ref, f);
  const auto r = d.build();
  REQUIRE(r.planned_changes.size() == 1);
  CHECK(r.planned_changes[0].ref == ref);
  CHECK(r.planned_changes[0].detail == "copy the LUN, switch the mount, test");
  CHECK(r.planned_changes[0].due == at("2026-12-06T01:00:00Z"));
  REQUIRE(r.open_problems.size() == 1);
  CHECK(r.open_problems[0].detail == "missing index on orders.customer_id");
}

TEST_CASE("report::build compares with the calendar period before") {
  // Regression (was a bug; or at least surprising): the "previous period" is the same length back from the
  // start, [start - (end - start), start). For 2026-11 (30 days) that is 2026-10-02 to
  // 2026-11-01, so an incident of 1 October is not counted as October's; for March (31 days)
  // it reaches back into January.
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  open_ticket(s, TicketType::incident, Priority::high, "in October", "erp", "database", at("2026-10-01T12:00:00Z"));
  open_ticket(s, TicketType::incident, Priority::high, "in November", "erp", "database", at("2026-11-10T12:00:00Z"));
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  CHECK(names(r.categories) == Strings{"database 1/1"});  // actual "database 1/0"
  open_ticket(s, TicketType::incident, Priority::high, "in January", "erp", "network", at("2026-01-30T12:00:00Z"));
  open_ticket(s, TicketType::incident, Priority::high, "in March", "erp", "network", at("2026-03-10T12:00:00Z"));
  const auto m = report::build(*st.db, st.config, report::period_of("2026-03"), std::nullopt, k_now, false);
  CHECK(names(m.categories) == Strings{"network 1/0"});  // actual "network 1/1": January is not February
}

TEST_CASE("report::build takes satisfaction from the surveys answered in the period") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  // B 4, C 2, E 5, F 1 in November; A's 1 came in December.
  CHECK(r.survey_responses == 4);
  REQUIRE(r.csat);
  CHECK(*r.csat == doctest::Approx(3.0));
  CHECK(r.low_scores == 2);
  // Resolved in the period, none signed by the customer: A, B, C, E, F.
  CHECK(r.unsigned_records == 5);
}

TEST_CASE("report::build counts a survey answered again once") {
  // Regression (was a bug): ticket::survey says "a later answer replaces it", but build counts every survey
  // event: a ticket scored 1 and then 5 gives 2 responses, csat 3.00 and one low score.
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  const auto ref = open_ticket(s, TicketType::incident, Priority::high, "x", "erp", std::nullopt, at("2026-11-10T09:00:00Z"));
  move(s, Action::resolve, ref, at("2026-11-10T10:00:00Z"), "done");
  ticket::survey(st.session(at("2026-11-12T09:00:00Z"), "chen"), ref, 1, std::nullopt);
  ticket::survey(st.session(at("2026-11-13T09:00:00Z"), "chen"), ref, 5, "better after the call");
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  CHECK(r.survey_responses == 1);               // actual 2
  CHECK(r.csat == std::optional<double>(5.0));  // actual 3.0
  CHECK(r.low_scores == 0);                     // actual 1
}

TEST_CASE("report::build with a system leaves out tickets of other systems") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build("erp");
  REQUIRE(r.system);
  CHECK(*r.system == "erp");
  // F (crm) is gone.
  CHECK_FALSE(count_of(r, "incident", "medium"));
  CHECK(r.tickets.size() == 5);
  CHECK(count_of(r, "incident", "urgent")->opened == 4);
  CHECK(r.weeks[3].by_priority.empty());
  const auto* ack = target_of(r, "acknowledged_on_time");
  REQUIRE(ack);
  CHECK(*ack->measured == doctest::Approx(75.0));
  CHECK(ack->basis == "3 of 4 clocks");
  const auto* res = target_of(r, "resolved_on_time");
  REQUIRE(res);
  CHECK(*res->measured == doctest::Approx(50.0));
  CHECK(res->basis == "2 of 4 clocks");
  // Only H is left at medium: breached, never stopped.
  const auto* rm = sla_of(r, "response", "medium");
  REQUIRE(rm);
  CHECK(rm->met == 0);
  CHECK(rm->breached == 1);
  CHECK(*rm->compliance == doctest::Approx(0.0));
  CHECK_FALSE(rm->median);
  CHECK_FALSE(rm->p90);
  CHECK(r.breaches.size() == 5);
  CHECK(names(r.categories) == Strings{"database 3/1", "(none) 1/0", "network 1/1"});
  CHECK(names(r.systems) == Strings{"erp 5/2"});
  // B 4, C 2, E 5.
  CHECK(r.survey_responses == 3);
  CHECK(*r.csat == doctest::Approx(11.0 / 3.0));
  CHECK(r.low_scores == 1);
  CHECK(r.unsigned_records == 4);

  const auto crm = d.build("crm");
  REQUIRE(crm.tickets.size() == 1);
  CHECK(crm.tickets[0].priority == "medium");
  CHECK(crm.breaches.empty());
  CHECK(crm.targets_met());
  CHECK(crm.open_problems.empty());
  CHECK(d.build("nothing").tickets.empty());
}

TEST_CASE("report::build with redaction replaces titles and causes") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build(std::nullopt, true);
  CHECK(r.redacted);
  REQUIRE(r.breaches.size() == 5);
  for (const auto& b : r.breaches) CHECK(b.title == "(redacted)");
  CHECK(r.breaches[0].cause == "");  // nothing to hide stays empty
  CHECK(r.breaches[2].cause == "(redacted)");
  CHECK(r.breaches[3].cause == "(redacted)");
  REQUIRE(r.problems_opened.size() == 1);
  CHECK(r.problems_opened[0].title == "(redacted)");
  CHECK(r.problems_opened[0].detail == "(redacted)");
  REQUIRE(r.open_problems.size() == 1);
  CHECK(r.open_problems[0].title == "(redacted)");
  // The figures stay.
  CHECK(r.breaches[3].overrun == 10800);
  CHECK(r.survey_responses == 4);
  for (const auto& text : {report::render_text(r), report::render_markdown(r), report::render_csv(r, std::nullopt),
                           report::render_html(r, d.st.config), report::to_json(r).dump()}) {
    CHECK_FALSE(has(text, "alert"));
    CHECK_FALSE(has(text, "orders stuck"));
    CHECK_FALSE(has(text, "rebuilt the index"));
    CHECK_FALSE(has(text, "slow queries"));
    CHECK_FALSE(has(text, "missing index"));
    CHECK(has(text, "(redacted)"));
  }
}

TEST_CASE("report::build on an empty store") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto r = report::build(*st.db, st.config, report::period_of("2026-Q3"), std::nullopt, k_now, false);
  CHECK(r.tickets.empty());
  REQUIRE(r.weeks.size() == 14);  // 92 days
  for (const auto& w : r.weeks) CHECK(w.by_priority.empty());
  REQUIRE(r.targets.size() == 2);
  for (const auto& t : r.targets) {
    CHECK_FALSE(t.measured);
    CHECK(t.met);
    CHECK(t.basis == "0 of 0 clocks");
  }
  CHECK(r.targets_met());
  CHECK(r.sla.empty());
  CHECK(r.extensions_requested == 0);
  CHECK(r.availability.empty());
  CHECK(r.inspection_runs == 0);
  CHECK(r.results_by_state.empty());
  CHECK(r.recurring_failures.empty());
  CHECK(r.backups_ok == 0);
  CHECK(r.backup_targets.empty());
  CHECK(r.tuning.empty());
  CHECK(r.categories.empty());
  CHECK(r.systems.empty());
  CHECK(r.problems_opened.empty());
  CHECK(r.breaches.empty());
  CHECK(r.unsigned_records == 0);
  CHECK(r.survey_responses == 0);
  CHECK(r.low_scores == 0);
  CHECK_FALSE(r.csat);
  CHECK(r.open_problems.empty());
  CHECK(r.planned_changes.empty());
  CHECK(r.staff_warnings.empty());
  CHECK(r.reports_issued == 0);

  const auto secs = report::sections(r);
  REQUIRE(secs.size() == report::csv_sections().size());
  for (const auto& s : secs) {
    CAPTURE(s.title);
    if (s.title == "1. Summary") {
      REQUIRE(s.rows.size() == 2);
      CHECK(s.rows[0][2] == "no data");
      CHECK(s.rows[0][3] == "not measured");
    } else {
      CHECK(s.rows.empty());
    }
  }
  const auto text = report::render_text(r);
  CHECK(has(text, "opsdesk service report, 2026-Q3 (2026-07-01 to 2026-09-30)"));
  CHECK(has(text, "Every contract target is met."));
  CHECK(has(text, "No tickets in this period."));
  CHECK(has(text, "No SLA clocks started in this period."));
  CHECK(has(text, "No SLA breach."));
  CHECK(has(text, "Satisfaction: no responses (0 responses, 0 low scores)."));
  const auto md = report::render_markdown(r);
  CHECK(has(md, "Every contract target is met."));
  CHECK(has(md, "No tickets in this period."));
  // CSV: every section still has its header line.
  const auto csv = report::render_csv(r, std::nullopt);
  for (const auto& name : report::csv_sections()) CHECK(has(csv, "# " + name + "\n"));
  CHECK(report::render_csv(r, "breaches"s) == "ticket,clock,priority,overrun,cause,title\n");
  const auto html = report::render_html(r, st.config);
  CHECK(has(html, "Every contract target is met."));
  CHECK(has(html, "<svg"));
  const auto j = report::to_json(r);
  CHECK(j["targets_met"] == true);
  CHECK(j["quality"]["csat"].is_null());
  CHECK(j["summary"]["tickets"].empty());
}

TEST_CASE("report::build counts the reports issued for the period") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto nov = report::period_of("2026-11");
  const auto oct = report::period_of("2026-10");
  st.db->run("INSERT INTO reports(period, period_start, period_end, system, format, sha256, targets_met, at, actor, output) "
             "VALUES ('2026-11', ?, ?, NULL, 'html', 'abc', 1, ?, 'wang', NULL)",
             nov.start, nov.end, k_now);
  st.db->run("INSERT INTO reports(period, period_start, period_end, system, format, sha256, targets_met, at, actor, output) "
             "VALUES ('2026-10', ?, ?, NULL, 'html', 'abc', 1, ?, 'wang', NULL)",
             oct.start, oct.end, k_now);
  CHECK(report::build(*st.db, st.config, nov, std::nullopt, k_now, false).reports_issued == 1);
  CHECK(report::build(*st.db, st.config, report::period_of("2026-Q4"), std::nullopt, k_now, false).reports_issued == 2);
  CHECK(report::build(*st.db, st.config, report::period_of("2026-12"), std::nullopt, k_now, false).reports_issued == 0);
}

// ---------------------------------------------------------------------------------------------
// Renderers

TEST_CASE("report renderers say the same figures in text, Markdown and CSV") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  const auto text = report::render_text(r);
  const auto md = report::render_markdown(r);
  const auto csv = report::render_csv(r, std::nullopt);

  CHECK(has(text, "opsdesk service report, 2026-11 (2026-11-01 to 2026-11-30)"));
  CHECK(has(text, "A contract target is MISSED."));
  CHECK(has(md, "# opsdesk service report, 2026-11 (2026-11-01 to 2026-11-30)"));
  CHECK(has(md, "**A contract target is missed.**"));

  // Every cell of every table in each rendering (titles with quotes are quoted in CSV).
  const auto secs = report::sections(r);
  for (const auto& s : secs) {
    CAPTURE(s.title);
    CHECK(has(text, s.title));
    CHECK(has(md, "## " + s.title));
    for (const auto& n : s.notes) {
      CHECK(has(text, n));
      CHECK(has(md, n));
    }
    for (const auto& row : s.rows)
      for (const auto& cell : row) {
        CAPTURE(cell);
        CHECK(has(text, cell));
        std::string escaped;  // Markdown carries <, > and & as entities (raw HTML is live there)
        for (char ch : cell) escaped += ch == '<' ? "&lt;" : ch == '>' ? "&gt;" : ch == '&' ? "&amp;" : std::string(1, ch);
        CHECK(has(md, escaped));
        if (cell.find_first_of(",\"\n") == std::string::npos) CHECK(has(csv, cell));
      }
  }
  // The hand-counted figures, in each.
  for (const auto* out : {&text, &md, &csv}) {
    CHECK(has(*out, "80.00%"));
    CHECK(has(*out, "4 of 5 clocks"));
    CHECK(has(*out, "60.00%"));
    CHECK(has(*out, "MISSED"));
    CHECK(has(*out, "75.00%"));
    CHECK(has(*out, d.C));
    CHECK(has(*out, "23d2h30m"));  // H's response overrun: 23d3h - 30m
  }
  CHECK(has(md, "| incidents acknowledged in time | 99% | 80.00% | MISSED | 4 of 5 clocks |"));
  CHECK(has(md, "| response | urgent | 3 | 1 | 0 | 75.00% | 10m | 45m |"));
  CHECK(has(md, "| resolution | urgent | 2 | 2 | 0 | 50.00% | 3h | 11h |"));
  CHECK(has(md, "| incident | urgent | 4 | 3 | 1 |"));
  CHECK(has(md, "Satisfaction: 3.00 of 5 (4 responses, 2 low scores)."));
  CHECK(has(text, "Satisfaction: 3.00 of 5 (4 responses, 2 low scores)."));
  CHECK(has(csv, "# summary\ntarget,aim,measured,result,basis\nincidents acknowledged in time,99%,80.00%,MISSED,4 of 5 clocks\n"));
  CHECK(has(csv, "response,urgent,3,1,0,75.00%,10m,45m\n"));
  CHECK(has(csv, "incident,urgent,4,3,1\n"));
  CHECK(has(csv, d.C + ",resolution,urgent,3h,rebuilt the index,\"<script>alert(\"\"x\"\") & co</script>\"\n"));
  for (const auto& name : report::csv_sections()) CHECK(has(csv, "# " + name + "\n"));

  const auto j = report::to_json(r);
  CHECK(j["period"]["name"] == "2026-11");
  CHECK(j["targets_met"] == false);
  CHECK(j["sla"]["clocks"][0]["median_seconds"] == 600);
  CHECK(j["sla"]["clocks"][0]["p90_seconds"] == 2700);
  CHECK(j["quality"]["survey_responses"] == 4);
  CHECK(j["quality"]["breaches"].size() == 5);
}

TEST_CASE("report::render_csv gives one section alone") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  const auto sla = report::render_csv(r, "sla"s);
  // (The low rows hold G's cancelled clocks, whose median is the subject of a skipped test.)
  CHECK(sla.starts_with("clock,priority,met,breached,running,compliance,median,90th_pct\n"
                        "response,urgent,3,1,0,75.00%,10m,45m\n"
                        "response,medium,1,1,0,50.00%,15m,15m\n"
                        "response,low,0,0,0,no data,"));
  CHECK(has(sla, "\nresolution,urgent,2,2,0,50.00%,3h,11h\n"
                 "resolution,medium,1,1,0,50.00%,3h,3h\n"
                 "resolution,low,0,0,0,no data,"));
  CHECK(std::count(sla.begin(), sla.end(), '\n') == 7);
  const auto tickets = report::render_csv(r, "tickets"s);
  CHECK(tickets ==
        "type,priority,opened,resolved,open_at_end\n"
        "incident,high,0,1,1\n"
        "incident,low,1,0,0\n"
        "incident,medium,1,1,0\n"
        "incident,urgent,4,3,1\n"
        "problem,medium,1,0,1\n"
        "request,medium,1,0,1\n");
  CHECK(report::render_csv(r, "categories"s) == "category,incidents,previous_period\ndatabase,3,1\nnetwork,2,1\n(none),1,0\n");
  CHECK_FALSE(has(sla, "#"));
  CHECK_FALSE(has(tickets, "response"));
  for (const auto& name : report::csv_sections()) {
    CAPTURE(name);
    const auto one = report::render_csv(r, name);
    CHECK_FALSE(one.empty());
    CHECK(has(report::render_csv(r, std::nullopt), "# " + name + "\n" + one));
  }
}

TEST_CASE("report::render_csv refuses an unknown section") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto r = report::build(*st.db, st.config, report::period_of("2026-11"), std::nullopt, k_now, false);
  for (const char* name : {"nope", "", "SLA", "summary "}) {
    CAPTURE(name);
    const auto e = thrown([&] { report::render_csv(r, std::string(name)); });
    CHECK(kind(e) == "usage");
    CHECK(has(e.what(), "--section"));
  }
}

TEST_CASE("report::render_html escapes titles and fetches nothing") {
  ZoneGuard zone("UTC");
  Desk d;
  const auto r = d.build();
  const auto html = report::render_html(r, d.st.config);
  CHECK(html.starts_with("<!DOCTYPE html>"));
  CHECK(has(html, "</html>"));
  CHECK(has(html, "&lt;script&gt;alert(&quot;x&quot;) &amp; co&lt;/script&gt;"));
  CHECK_FALSE(has(html, "<script"));
  CHECK_FALSE(has(html, "alert(\"x\")"));
  CHECK(has(html, "<svg"));
  CHECK(has(html, "</svg>"));
  CHECK(has(html, "response compliance"));  // the SLA chart
  CHECK_FALSE(has(html, "http://"));
  CHECK_FALSE(has(html, "https://"));
  CHECK_FALSE(has(html, "<link"));
  CHECK_FALSE(has(html, "<img"));
  CHECK(has(html, "A contract target is missed."));
  CHECK(has(html, "<td class=\"missed\">MISSED</td>"));
  CHECK(has(html, "80.00%"));
  CHECK(has(html, "<td>" + d.C + "</td>"));
  CHECK(has(html, "<h2>2. SLA</h2>"));
  CHECK(has(html, "<h3>Tickets</h3>"));
  // Every section is closed.
  auto count = [&](std::string_view needle) {
    std::size_t n = 0;
    for (auto pos = html.find(needle); pos != std::string::npos; pos = html.find(needle, pos + 1)) ++n;
    return n;
  };
  CHECK(count("<section>") == count("</section>"));
  CHECK(count("<section>") == 9);
  CHECK(count("<svg") == count("</svg>"));

  // A system name goes into the title, escaped too.
  const auto sys = report::build(*d.st.db, d.st.config, report::period_of("2026-11"), "a<b>&\"c\"", k_now, false);
  const auto page = report::render_html(sys, d.st.config);
  CHECK(has(page, "a&lt;b&gt;&amp;&quot;c&quot;"));
  CHECK_FALSE(has(page, "a<b>"));
}

TEST_SUITE_END();
