#include "report/report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/strings.hpp"
#include "inspect/history.hpp"
#include "output/table.hpp"
#include "ticket/staff.hpp"

namespace opsdesk::report {

namespace {

using output::Json;

// `AND t.system = ?` when a system is asked for; the parameter list grows with it.
struct Scope {
  std::optional<std::string> system;
  std::string clause(std::string_view column = "t.system") const {
    return system ? fmt::format(" AND {} = ?", column) : std::string();
  }
  void add(std::vector<store::Param>& p) const {
    if (system) p.emplace_back(*system);
  }
};

// A clock is breached when it was stopped late, or is still running past its deadline now
// (clocks are stored as of the ticket's last change; `ticket list --breached` judges the same).
std::string breached(core::Timestamp now) {
  return fmt::format("(c.state = 'breached' OR (c.state = 'running' AND c.deadline IS NOT NULL AND c.deadline <= {}))", now);
}

std::vector<store::Param> params(std::initializer_list<store::Param> list, const Scope& scope) {
  std::vector<store::Param> p(list);
  scope.add(p);
  return p;
}

std::optional<double> percent(std::int64_t part, std::int64_t whole) {
  if (whole <= 0) return std::nullopt;
  return 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

std::string pct(const std::optional<double>& v) { return v ? fmt::format("{:.2f}%", *v) : std::string("no data"); }

std::string dur(const std::optional<core::Seconds>& s) { return s ? core::format_duration(*s) : std::string("-"); }

// Clocks of incidents in the period, met vs breached, for a contract target.
Target clock_target(store::Db& db, const Scope& scope, const core::Period& p, std::string name, std::string label, double aim,
                    std::string_view clock, core::Timestamp now) {
  auto q = db.query_with(
      "SELECT coalesce(sum(CASE WHEN c.state = 'met' THEN 1 ELSE 0 END), 0), coalesce(sum(CASE WHEN " + breached(now) + " THEN 1 ELSE 0 END), 0) FROM ticket_sla c JOIN tickets t ON t.id = c.ticket_id "
      "WHERE t.type = 'incident' AND c.clock = ? AND c.start_at >= ? AND c.start_at < ?" + scope.clause(),
      params({std::string(clock), p.start, p.end}, scope));
  q.next();
  const auto met = q.int64(0), breached = q.int64(1);
  Target t{std::move(name), std::move(label), aim, percent(met, met + breached), true, fmt::format("{} of {} clocks", met, met + breached)};
  t.met = !t.measured || *t.measured + 1e-9 >= aim;
  return t;
}

std::vector<Named> top(store::Db& db, const Scope& scope, const core::Period& p, const core::Period& before, std::string_view column) {
  std::vector<Named> out;
  auto q = db.query_with(fmt::format("SELECT coalesce(t.{0}, '(none)'), sum(CASE WHEN t.created_at >= ? THEN 1 ELSE 0 END), sum(CASE WHEN t.created_at < ? THEN 1 ELSE 0 END) FROM tickets t "
                                     "WHERE t.type = 'incident' AND t.created_at >= ? AND t.created_at < ?{1} GROUP BY 1 "
                                     "ORDER BY 2 DESC, 1 LIMIT 10",
                                     column, scope.clause()),
                         params({p.start, p.start, before.start, p.end}, scope));
  while (q.next())
    if (q.int64(1) > 0) out.push_back({q.text(0), q.int64(1), q.int64(2)});
  return out;
}

// The calendar period before a month, quarter or year; the same length back for others.
core::Period previous_period(const core::Period& p) {
  const auto& n = p.name;
  const auto year = n.size() >= 4 ? core::parse_int(n.substr(0, 4)) : std::nullopt;
  std::optional<core::Period> prev;
  if (year && n.size() == 4) prev = core::parse_period(std::to_string(*year - 1));
  else if (year && n.size() == 7 && n[5] == 'Q') {
    const int q = n[6] - '0';
    prev = core::parse_period(q > 1 ? fmt::format("{}-Q{}", *year, q - 1) : fmt::format("{}-Q4", *year - 1));
  } else if (year && n.size() == 7) {
    const auto m = core::parse_int(n.substr(5, 2));
    if (m) prev = core::parse_period(*m > 1 ? fmt::format("{}-{:02}", *year, *m - 1) : fmt::format("{}-12", *year - 1));
  }
  if (prev && prev->end == p.start) return *prev;
  return {p.start - (p.end - p.start), p.start, "previous"};
}

}  // namespace

core::Period period_of(std::string_view text) {
  const auto p = core::parse_period(text);
  if (!p || core::trim(text).size() == 10)  // a day is not a report's period
    throw Error(ErrorKind::usage, fmt::format("--period \"{}\"; expected a quarter (2026-Q3), a month (2026-11) or a year (2026)", text));
  return *p;
}

core::Period default_period(core::Timestamp now) { return core::previous_month(now); }

bool Report::targets_met() const {
  return std::all_of(targets.begin(), targets.end(), [](const Target& t) { return t.met; });
}

Report build(store::Db& db, const config::Config& config, const core::Period& period, const std::optional<std::string>& system,
             core::Timestamp now, bool redact) {
  Report r;
  r.desk = config.desk.name;
  r.period = period;
  r.system = system;
  r.generated_at = now;
  r.redacted = redact;
  r.reports_per_quarter = config.report.reports_per_quarter;
  const Scope scope{system};
  const core::Period before = previous_period(period);

  // 1. Tickets by type and priority. Resolved: a resolution recorded in the period (a ticket
  // reopened later still was resolved then). Open at the end: made before it, not resolved,
  // closed or cancelled by then.
  {
    struct Key {
      std::string type, priority;
      bool operator<(const Key& o) const { return std::tie(type, priority) < std::tie(o.type, o.priority); }
    };
    std::map<Key, TicketCount> counts;
    auto row = [&](const std::string& type, const std::string& priority) -> TicketCount& {
      auto& c = counts[{type, priority}];
      c.type = type;
      c.priority = priority;
      return c;
    };
    auto opened = db.query_with("SELECT t.type, t.priority, count(*) FROM tickets t WHERE t.created_at >= ? AND t.created_at < ?" +
                                    scope.clause() + " GROUP BY 1, 2",
                                params({period.start, period.end}, scope));
    while (opened.next()) row(opened.text(0), opened.text(1)).opened = opened.int64(2);
    auto resolved = db.query_with("SELECT t.type, t.priority, count(DISTINCT e.ticket_id) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                                  "WHERE e.kind = 'resolved' AND e.at >= ? AND e.at < ?" + scope.clause() + " GROUP BY 1, 2",
                                  params({period.start, period.end}, scope));
    while (resolved.next()) row(resolved.text(0), resolved.text(1)).resolved = resolved.int64(2);
    auto open = db.query_with(
        "SELECT t.type, t.priority, count(*) FROM tickets t WHERE t.created_at < ? AND (t.resolved_at IS NULL OR t.resolved_at >= ?) "
        "AND (t.closed_at IS NULL OR t.closed_at >= ?) AND (t.status <> 'cancelled' OR (SELECT max(e.at) FROM ticket_events e "
        "WHERE e.ticket_id = t.id AND e.kind = 'cancelled') >= ?)" + scope.clause() + " GROUP BY 1, 2",
        params({period.end, period.end, period.end, period.end}, scope));
    while (open.next()) row(open.text(0), open.text(1)).open_at_end = open.int64(2);
    for (auto& [k, c] : counts) r.tickets.push_back(c);
  }
  {
    for (core::Timestamp w = period.start; w < period.end; w += 7 * 86400) r.weeks.push_back({w, {}});
    auto q = db.query_with("SELECT (t.created_at - ?) / 604800, t.priority, count(*) FROM tickets t WHERE t.created_at >= ? AND t.created_at < ?" +
                               scope.clause() + " GROUP BY 1, 2",
                           params({period.start, period.start, period.end}, scope));
    while (q.next()) {
      const auto w = static_cast<std::size_t>(q.int64(0));
      if (w < r.weeks.size()) r.weeks[w].by_priority[q.text(1)] = q.int64(2);
    }
  }
  r.targets.push_back(clock_target(db, scope, period, "acknowledged_on_time", "incidents acknowledged in time",
                                   config.report.acknowledged_on_time, "response", now));
  r.targets.push_back(clock_target(db, scope, period, "resolved_on_time", "incidents resolved in time",
                                   config.report.resolved_on_time, "resolution", now));

  // 2. SLA per clock and priority, with median and 90th percentile of the stopped clocks.
  {
    auto q = db.query_with(
        "SELECT c.clock, t.priority, sum(CASE WHEN c.state = 'met' THEN 1 ELSE 0 END), sum(CASE WHEN " + breached(now) + " THEN 1 ELSE 0 END), sum(CASE WHEN c.state IN ('running', 'paused') AND NOT " +
            breached(now) + " THEN 1 ELSE 0 END), sum(CASE WHEN c.stopped_at IS NOT NULL AND c.state IN ('met', 'breached') THEN 1 ELSE 0 END) FROM ticket_sla c JOIN tickets t ON t.id = c.ticket_id "
        "WHERE c.start_at >= ? AND c.start_at < ?" + scope.clause() + " GROUP BY 1, 2",
        params({period.start, period.end}, scope));
    std::vector<std::pair<SlaRow, std::int64_t>> rows;
    while (q.next()) {
      SlaRow s{q.text(0), q.text(1), q.int64(2), q.int64(3), q.int64(4), std::nullopt, std::nullopt, std::nullopt};
      s.compliance = percent(s.met, s.met + s.breached);
      rows.emplace_back(s, q.int64(5));
    }
    // Median and 90th percentile in one ordered pass over the period's stopped clocks, keeping
    // only the two values wanted per group (memory stays flat however many clocks there are).
    {
      auto v = db.query_with("SELECT c.clock, t.priority, c.elapsed FROM ticket_sla c JOIN tickets t ON t.id = c.ticket_id "
                             "WHERE c.start_at >= ? AND c.start_at < ? AND c.stopped_at IS NOT NULL AND c.state IN ('met', 'breached')" + scope.clause() +
                                 " ORDER BY 1, 2, 3",
                             params({period.start, period.end}, scope));
      std::string clock, priority;
      std::int64_t index = 0;
      std::pair<SlaRow, std::int64_t>* group = nullptr;
      while (v.next()) {
        if (!group || v.text(0) != clock || v.text(1) != priority) {
          clock = v.text(0);
          priority = v.text(1);
          index = 0;
          group = nullptr;
          for (auto& row : rows)
            if (row.first.clock == clock && row.first.priority == priority) group = &row;
        }
        if (group) {
          const auto stopped = group->second;
          if (index == (stopped - 1) / 2) group->first.median = v.int64(2);
          if (index == static_cast<std::int64_t>(std::ceil(0.9 * static_cast<double>(stopped))) - 1) group->first.p90 = v.int64(2);
        }
        ++index;
      }
    }
    static const std::vector<std::string> clocks = {"response", "resolution", "onsite", "mitigation"};
    static const std::vector<std::string> priorities = {"urgent", "high", "medium", "low"};
    std::sort(rows.begin(), rows.end(), [&](const auto& a, const auto& b) {
      const auto ca = std::find(clocks.begin(), clocks.end(), a.first.clock) - clocks.begin();
      const auto cb = std::find(clocks.begin(), clocks.end(), b.first.clock) - clocks.begin();
      if (ca != cb) return ca < cb;
      return std::find(priorities.begin(), priorities.end(), a.first.priority) - priorities.begin() <
             std::find(priorities.begin(), priorities.end(), b.first.priority) - priorities.begin();
    });
    for (auto& [s, n] : rows) r.sla.push_back(s);
  }
  {
    auto q = db.query_with("SELECT sum(CASE WHEN e.kind = 'extension_requested' THEN 1 ELSE 0 END), sum(CASE WHEN e.kind = 'extension_approved' THEN 1 ELSE 0 END) FROM ticket_events e "
                           "JOIN tickets t ON t.id = e.ticket_id WHERE e.kind IN ('extension_requested', 'extension_approved') "
                           "AND e.at >= ? AND e.at < ?" + scope.clause(),
                           params({period.start, period.end}, scope));
    if (q.next()) {
      r.extensions_requested = q.opt_int64(0).value_or(0);
      r.extensions_approved = q.opt_int64(1).value_or(0);
    }
  }

  // 3. Availability per system.
  if (!config.checks.empty()) {
    for (const auto& a : inspect::availability(db, config.checks, system, period.start, period.end))
      if (a.check.empty()) {
        // Over the time the checks measured: a period before monitoring began is no outage.
        // How much of the period was measured is shown beside it.
        const auto measured = a.up + a.down;
        r.availability.push_back({a.system, measured > 0 ? percent(a.up, measured) : std::nullopt, a.up, a.down, a.no_data, a.downtime});
      }
    std::optional<double> worst;
    std::string basis;
    for (const auto& a : r.availability)
      if (a.percent && (!worst || *a.percent < *worst)) {
        worst = a.percent;
        basis = fmt::format("lowest: {}, measured {} of the period", a.system,
                            pct(percent(a.up + a.down, std::max<core::Seconds>(1, period.end - period.start - a.planned))));
      }
    Target t{"availability", "availability of each system", config.report.availability, worst, true, basis};
    t.met = !worst || *worst + 1e-9 >= t.aim;
    r.targets.push_back(t);
  }

  // 4. Inspections.
  {
    auto q = db.query("SELECT count(*) FROM inspection_runs WHERE started_at >= ? AND started_at < ?", period.start, period.end);
    q.next();
    r.inspection_runs = q.int64(0);
    auto s = db.query_with("SELECT state, count(*) FROM check_results WHERE at >= ? AND at < ?" + scope.clause("system") +
                               " GROUP BY 1",
                           params({period.start, period.end}, scope));
    while (s.next()) r.results_by_state[s.text(0)] = s.int64(1);
    auto f = db.query_with("SELECT check_name, sum(CASE WHEN at >= ? THEN 1 ELSE 0 END), sum(CASE WHEN at < ? THEN 1 ELSE 0 END) FROM check_results WHERE state IN ('CRITICAL', 'WARNING', 'UNKNOWN') "
                           "AND at >= ? AND at < ?" + scope.clause("system") + " GROUP BY 1 HAVING sum(CASE WHEN at >= ? THEN 1 ELSE 0 END) > 1 ORDER BY 2 DESC LIMIT 10",
                           [&] {
                             auto p = params({period.start, period.start, before.start, period.end}, scope);
                             p.emplace_back(period.start);
                             return p;
                           }());
    while (f.next()) r.recurring_failures.push_back({f.text(0), f.int64(1), f.int64(2)});
  }

  // 5. Backups.
  {
    auto q = db.query("SELECT sum(CASE WHEN status = 'ok' THEN 1 ELSE 0 END), sum(CASE WHEN status <> 'ok' THEN 1 ELSE 0 END), sum(CASE WHEN verified_at IS NOT NULL AND verified_deep = 1 THEN 1 ELSE 0 END) FROM backups "
                      "WHERE started_at >= ? AND started_at < ?",
                      period.start, period.end);
    if (q.next()) {
      r.backups_ok = q.opt_int64(0).value_or(0);
      r.backups_failed = q.opt_int64(1).value_or(0);
      r.verified = q.opt_int64(2).value_or(0);
    }
    auto rs = db.query("SELECT count(*) FROM backup_restores WHERE at >= ? AND at < ?", period.start, period.end);
    rs.next();
    r.restores = rs.int64(0);
    auto t = db.query("SELECT b.target, max(CASE WHEN b.status = 'ok' THEN b.started_at END), "
                      "(SELECT last_verified_created_at FROM backup_targets x WHERE x.target = b.target) "
                      "FROM backups b WHERE b.started_at < ? GROUP BY b.target ORDER BY b.target",
                      period.end);
    while (t.next()) r.backup_targets.push_back({t.text(0), t.opt_int64(1), t.opt_int64(2)});
  }

  // 6. Database tuning.
  {
    auto q = db.query("SELECT target, kind, sum(CASE WHEN status = 'applied' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'undone' THEN 1 ELSE 0 END), "
                      "coalesce(sum(CASE WHEN status = 'applied' THEN bytes_before - bytes_after END), 0) FROM dbtune_actions "
                      "WHERE at >= ? AND at < ? GROUP BY 1, 2 ORDER BY 1, 2",
                      period.start, period.end);
    while (q.next()) r.tuning.push_back({q.text(0), q.text(1), q.int64(2), q.int64(3), q.int64(4), q.int64(5)});
  }

  // 7. Technical problems: where incidents came from, against the period before.
  r.categories = top(db, scope, period, before, "category");
  r.systems = top(db, scope, period, before, "system");
  {
    auto q = db.query_with("SELECT t.ref, t.title, t.status, coalesce(t.assignee, '-'), coalesce(t.root_cause, '') FROM tickets t "
                           "WHERE t.type = 'problem' AND t.created_at >= ? AND t.created_at < ?" + scope.clause() + " ORDER BY t.id",
                           params({period.start, period.end}, scope));
    while (q.next()) r.problems_opened.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), std::nullopt});
  }

  // 8. Service quality: every breach with its cause; records not signed; satisfaction.
  {
    auto q = db.query_with("SELECT t.ref, c.clock, t.priority, t.title, "
                           "CASE WHEN c.state = 'breached' THEN c.elapsed - c.target ELSE " + std::to_string(now) + " - c.deadline END, "
                           "coalesce(t.pending_reason, '') || CASE WHEN t.resolution IS NOT NULL THEN ' ' || t.resolution ELSE '' END "
                           "FROM ticket_sla c JOIN tickets t ON t.id = c.ticket_id WHERE " + breached(now) +
                               " AND c.start_at >= ? AND c.start_at < ?" + scope.clause() + " ORDER BY 5 DESC LIMIT 200",
                           params({period.start, period.end}, scope));
    while (q.next()) r.breaches.push_back({q.text(0), q.text(1), q.text(2), q.text(3), q.int64(4), std::string(core::trim(q.text(5)))});
    auto u = db.query_with("SELECT count(*) FROM tickets t WHERE t.resolved_at >= ? AND t.resolved_at < ?" + scope.clause() +
                               " AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id AND e.kind = 'signed' "
                               "AND e.data LIKE '%\"party\":\"customer\"%')",
                           params({period.start, period.end}, scope));
    u.next();
    r.unsigned_records = u.int64(0);
    const auto score = store::json_number(db, "e.data", "score");
    auto s = db.query_with("SELECT count(*), avg(" + score + "), sum(CASE WHEN " + score + " <= 2 THEN 1 ELSE 0 END) "
                           "FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id WHERE e.kind = 'survey' AND e.at >= ? AND e.at < ? "
                           "AND e.id = (SELECT max(x.id) FROM ticket_events x WHERE x.ticket_id = e.ticket_id AND x.kind = 'survey')" +
                               scope.clause(),
                           params({period.start, period.end}, scope));
    s.next();
    r.survey_responses = s.int64(0);
    if (r.survey_responses > 0) r.csat = s.real(1);
    r.low_scores = s.opt_int64(2).value_or(0);
  }

  // 9. Remediation plan: open problems and planned changes.
  {
    auto q = db.query_with("SELECT t.ref, t.title, t.status, coalesce(t.assignee, '-'), CASE t.type WHEN 'change' THEN "
                           "coalesce(t.plan, '') ELSE coalesce(t.workaround, t.root_cause, '') END, "
                           "t.window_start FROM tickets t WHERE t.type IN ('problem', 'change') AND t.status NOT IN "
                           "('closed', 'cancelled', 'rejected', 'reviewed', 'released', 'resolved', 'implemented')" +
                               scope.clause() + " ORDER BY t.type DESC, t.id LIMIT 200",
                           params({}, scope));
    while (q.next()) {
      ProblemLine line{q.text(0), q.text(1), q.text(2), q.text(3), q.text(4), q.opt_int64(5)};
      (line.ref.rfind("PRB-", 0) == 0 ? r.open_problems : r.planned_changes).push_back(std::move(line));
    }
  }
  for (const auto& d : ticket::departures(db, now, config.staff.departure_notice)) r.staff_warnings.push_back(ticket::describe(d, now));

  // Reports issued for this period (the contract wants at least one a quarter).
  {
    auto q = db.query("SELECT count(*) FROM reports WHERE period_start < ? AND period_end > ?", period.end, period.start);
    q.next();
    r.reports_issued = q.int64(0);
  }
  if (redact) {
    for (auto& b : r.breaches) {
      b.title = "(redacted)";
      b.cause = b.cause.empty() ? "" : "(redacted)";
    }
    for (auto* list : {&r.problems_opened, &r.open_problems, &r.planned_changes})
      for (auto& p : *list) {
        p.title = "(redacted)";
        p.detail = p.detail.empty() ? "" : "(redacted)";
      }
  }
  return r;
}

Json to_json(const Report& r) {
  auto opt = [](const auto& v) { return v ? Json(*v) : Json(nullptr); };
  auto time = [](const std::optional<core::Timestamp>& t) { return t ? Json(core::format_rfc3339(*t)) : Json(nullptr); };
  Json j{{"desk", r.desk},
         {"period", {{"name", r.period.name}, {"start", core::format_rfc3339(r.period.start)}, {"end", core::format_rfc3339(r.period.end)}}},
         {"system", opt(r.system)},
         {"generated_at", core::format_rfc3339(r.generated_at)},
         {"redacted", r.redacted},
         {"targets_met", r.targets_met()}};
  Json targets = Json::array();
  for (const auto& t : r.targets)
    targets.push_back({{"name", t.name}, {"label", t.label}, {"aim", t.aim}, {"measured", opt(t.measured)}, {"met", t.met}, {"basis", t.basis}});
  Json tickets = Json::array();
  for (const auto& t : r.tickets)
    tickets.push_back({{"type", t.type}, {"priority", t.priority}, {"opened", t.opened}, {"resolved", t.resolved}, {"open_at_end", t.open_at_end}});
  j["summary"] = {{"targets", targets}, {"tickets", tickets}, {"reports_issued", r.reports_issued},
                  {"reports_per_quarter", r.reports_per_quarter}};
  Json sla = Json::array();
  for (const auto& s : r.sla)
    sla.push_back({{"clock", s.clock}, {"priority", s.priority}, {"met", s.met}, {"breached", s.breached}, {"running", s.running},
                   {"compliance", opt(s.compliance)}, {"median_seconds", opt(s.median)}, {"p90_seconds", opt(s.p90)}});
  j["sla"] = {{"clocks", sla}, {"extensions_requested", r.extensions_requested}, {"extensions_approved", r.extensions_approved}};
  Json avail = Json::array();
  for (const auto& a : r.availability)
    avail.push_back({{"system", a.system}, {"percent", opt(a.percent)}, {"up_seconds", a.up}, {"down_seconds", a.down},
                     {"no_data_seconds", a.no_data}, {"planned_seconds", a.planned}});
  j["availability"] = avail;
  Json recurring = Json::array();
  for (const auto& n : r.recurring_failures) recurring.push_back({{"check", n.name}, {"failures", n.count}, {"previous", n.previous}});
  j["inspections"] = {{"runs", r.inspection_runs}, {"results", r.results_by_state}, {"recurring_failures", recurring}};
  Json targets_b = Json::array();
  for (const auto& b : r.backup_targets) targets_b.push_back({{"target", b.target}, {"last_ok", time(b.last_ok)}, {"last_verified", time(b.last_verified)}});
  j["backups"] = {{"ok", r.backups_ok}, {"failed", r.backups_failed}, {"verified", r.verified}, {"restores", r.restores}, {"targets", targets_b}};
  Json tuning = Json::array();
  for (const auto& t : r.tuning)
    tuning.push_back({{"target", t.target}, {"kind", t.kind}, {"applied", t.applied}, {"failed", t.failed}, {"undone", t.undone}, {"bytes_freed", t.bytes_freed}});
  j["tuning"] = tuning;
  auto named = [](const std::vector<Named>& v) {
    Json a = Json::array();
    for (const auto& n : v) a.push_back({{"name", n.name}, {"count", n.count}, {"previous", n.previous}});
    return a;
  };
  auto lines = [&](const std::vector<ProblemLine>& v) {
    Json a = Json::array();
    for (const auto& p : v)
      a.push_back({{"ref", p.ref}, {"title", p.title}, {"status", p.status}, {"assignee", p.assignee}, {"detail", p.detail}, {"window_start", time(p.due)}});
    return a;
  };
  j["technical"] = {{"categories", named(r.categories)}, {"systems", named(r.systems)}, {"problems_opened", lines(r.problems_opened)}};
  Json breaches = Json::array();
  for (const auto& b : r.breaches)
    breaches.push_back({{"ref", b.ref}, {"clock", b.clock}, {"priority", b.priority}, {"title", b.title}, {"overrun_seconds", b.overrun}, {"cause", b.cause}});
  j["quality"] = {{"breaches", breaches},
                  {"unsigned_records", r.unsigned_records},
                  {"survey_responses", r.survey_responses},
                  {"csat", opt(r.csat)},
                  {"low_scores", r.low_scores}};
  j["remediation"] = {{"open_problems", lines(r.open_problems)}, {"planned_changes", lines(r.planned_changes)}};
  j["staff_warnings"] = r.staff_warnings;
  return j;
}

namespace {

std::string heading(const Report& r) {
  return fmt::format("{} service report, {} ({} to {}){}", r.desk, r.period.name, core::format_local(r.period.start).substr(0, 10),
                     core::format_local(r.period.end - 1).substr(0, 10), r.system ? " for " + *r.system : "");
}

// A Markdown table cell: pipes escaped, one line, and < > & as entities (raw HTML is live in
// Markdown).
std::string md_cell(const std::string& s) {
  std::string out;
  for (char ch : s) {
    if (ch == '|') out += "\\|";
    else if (ch == '<') out += "&lt;";
    else if (ch == '>') out += "&gt;";
    else if (ch == '&') out += "&amp;";
    else if (ch == '\n') out += ' ';
    else out += ch;
  }
  return out;
}

}  // namespace

std::vector<Section> sections(const Report& r) {
  std::vector<Section> out;
  {
    Section s{"1. Summary", {}, {"target", "aim", "measured", "result", "basis"}, {}, ""};
    for (const auto& t : r.targets)
      s.rows.push_back({t.label, fmt::format("{:.0f}%", t.aim), pct(t.measured), t.measured ? (t.met ? "met" : "MISSED") : "not measured", t.basis});
    s.notes.push_back(fmt::format("Service reports issued for this period: {} (the contract asks for at least {} a quarter).",
                                  r.reports_issued, r.reports_per_quarter));
    out.push_back(s);
    Section t{"Tickets", {}, {"type", "priority", "opened", "resolved", "open at end"}, {}, "No tickets in this period."};
    for (const auto& c : r.tickets)
      t.rows.push_back({c.type, c.priority, std::to_string(c.opened), std::to_string(c.resolved), std::to_string(c.open_at_end)});
    out.push_back(t);
  }
  {
    Section s{"2. SLA", {}, {"clock", "priority", "met", "breached", "running", "compliance", "median", "90th pct"}, {}, "No SLA clocks started in this period."};
    for (const auto& c : r.sla)
      s.rows.push_back({c.clock, c.priority, std::to_string(c.met), std::to_string(c.breached), std::to_string(c.running), pct(c.compliance),
                        dur(c.median), dur(c.p90)});
    s.notes.push_back(fmt::format("Extensions: {} requested, {} approved.", r.extensions_requested, r.extensions_approved));
    out.push_back(s);
  }
  {
    Section s{"3. Availability", {"Availability over the time the checks measured; the rest of the period is \"no data\"."},
              {"system", "availability", "up", "down", "no data", "planned"}, {}, "No inspection history for this period (no checks configured or none run)."};
    for (const auto& a : r.availability)
      s.rows.push_back({a.system, pct(a.percent), core::format_duration(a.up), core::format_duration(a.down), core::format_duration(a.no_data),
                        core::format_duration(a.planned)});
    out.push_back(s);
  }
  {
    Section s{"4. Inspections", {}, {"check", "failures", "previous period"}, {}, "No check failed more than once."};
    std::vector<std::string> states;
    for (const auto& [state, n] : r.results_by_state) states.push_back(fmt::format("{} {}", n, state));
    s.notes.push_back(fmt::format("{} inspection runs; results: {}.", r.inspection_runs, states.empty() ? "none" : core::join(states, ", ")));
    for (const auto& n : r.recurring_failures) s.rows.push_back({n.name, std::to_string(n.count), std::to_string(n.previous)});
    out.push_back(s);
  }
  {
    Section s{"5. Backups", {}, {"target", "last good backup", "last verified restorable"}, {}, "No backups taken."};
    s.notes.push_back(fmt::format("{} backups, {} failed, {} proven by a restore drill; {} restores.", r.backups_ok + r.backups_failed,
                                  r.backups_failed, r.verified, r.restores));
    for (const auto& b : r.backup_targets)
      s.rows.push_back({b.target, b.last_ok ? core::format_local(*b.last_ok) : "-", b.last_verified ? core::format_local(*b.last_verified) : "never"});
    out.push_back(s);
  }
  {
    Section s{"6. Database tuning", {}, {"target", "kind", "applied", "failed", "undone", "space freed"}, {}, "No tuning actions in this period."};
    for (const auto& t : r.tuning)
      s.rows.push_back({t.target, t.kind, std::to_string(t.applied), std::to_string(t.failed), std::to_string(t.undone),
                        core::format_bytes(static_cast<double>(std::max<std::int64_t>(t.bytes_freed, 0)))});
    out.push_back(s);
  }
  {
    Section s{"7. Technical problems: incidents by category", {}, {"category", "incidents", "previous period"}, {}, "No incidents."};
    for (const auto& n : r.categories) s.rows.push_back({n.name, std::to_string(n.count), std::to_string(n.previous)});
    out.push_back(s);
    Section y{"Incidents by system", {}, {"system", "incidents", "previous period"}, {}, "No incidents."};
    for (const auto& n : r.systems) y.rows.push_back({n.name, std::to_string(n.count), std::to_string(n.previous)});
    out.push_back(y);
    Section p{"Problems opened", {}, {"problem", "title", "status", "root cause"}, {}, "No problems opened."};
    for (const auto& l : r.problems_opened) p.rows.push_back({l.ref, l.title, l.status, l.detail.empty() ? "-" : l.detail});
    out.push_back(p);
  }
  {
    Section s{"8. Service quality: SLA breaches", {}, {"ticket", "clock", "priority", "overrun", "cause", "title"}, {}, "No SLA breach."};
    for (const auto& b : r.breaches)
      s.rows.push_back({b.ref, b.clock, b.priority, core::format_duration(b.overrun), b.cause.empty() ? "-" : b.cause, b.title});
    s.notes.push_back(fmt::format("Service records without the customer's signature: {}. Satisfaction: {} ({} responses, {} low scores).",
                                  r.unsigned_records, r.csat ? fmt::format("{:.2f} of 5", *r.csat) : "no responses", r.survey_responses,
                                  r.low_scores));
    out.push_back(s);
  }
  {
    Section s{"9. Remediation plan: open problems", {}, {"problem", "title", "status", "owner", "workaround"}, {}, "No open problems."};
    for (const auto& l : r.open_problems) s.rows.push_back({l.ref, l.title, l.status, l.assignee, l.detail.empty() ? "-" : l.detail});
    out.push_back(s);
    Section c{"Changes planned", {}, {"change", "title", "status", "owner", "window"}, {}, "No changes planned."};
    for (const auto& l : r.planned_changes) c.rows.push_back({l.ref, l.title, l.status, l.assignee, l.due ? core::format_local(*l.due) : "-"});
    for (const auto& w : r.staff_warnings) c.notes.push_back("Staff: " + w + ".");
    out.push_back(c);
  }
  return out;
}

std::string render_text(const Report& r) {
  std::ostringstream out;
  out << heading(r) << "\n" << (r.targets_met() ? "Every contract target is met." : "A contract target is MISSED.") << "\n";
  for (const auto& s : sections(r)) {
    out << "\n" << s.title << "\n";
    for (const auto& n : s.notes) out << n << "\n";
    if (s.rows.empty()) {
      if (!s.empty.empty()) out << s.empty << "\n";
      continue;
    }
    std::vector<output::Column> cols;
    for (auto h : s.header) {
      for (auto& ch : h) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
      cols.push_back({h});
    }
    output::Table table(cols);
    for (const auto& row : s.rows) {
      std::vector<output::Cell> cells;
      for (const auto& c : row) cells.push_back({c});
      table.add(cells);
    }
    table.render(out, output::Terminal{});
  }
  return out.str();
}

std::string render_markdown(const Report& r) {
  std::ostringstream out;
  out << "# " << heading(r) << "\n\n" << (r.targets_met() ? "Every contract target is met." : "**A contract target is missed.**") << "\n";
  for (const auto& s : sections(r)) {
    out << "\n## " << s.title << "\n\n";
    for (const auto& n : s.notes) out << n << "\n\n";
    if (s.rows.empty()) {
      if (!s.empty.empty()) out << s.empty << "\n";
      continue;
    }
    out << "|";
    for (const auto& h : s.header) out << " " << md_cell(h) << " |";
    out << "\n|";
    for (std::size_t i = 0; i < s.header.size(); ++i) out << "---|";
    out << "\n";
    for (const auto& row : s.rows) {
      out << "|";
      for (const auto& c : row) out << " " << md_cell(c) << " |";
      out << "\n";
    }
  }
  return out.str();
}

std::vector<std::string> csv_sections() {
  return {"summary", "tickets", "sla", "availability", "inspections", "backups", "tuning", "categories", "systems", "problems",
          "breaches", "open-problems", "changes"};
}

std::string render_csv(const Report& r, const std::optional<std::string>& section) {
  const auto names = csv_sections();
  if (section && std::find(names.begin(), names.end(), *section) == names.end())
    throw Error(ErrorKind::usage, fmt::format("--section \"{}\"; expected one of {}", *section, core::join(names, ", ")));
  const auto all = sections(r);
  std::ostringstream out;
  for (std::size_t i = 0; i < all.size() && i < names.size(); ++i) {
    if (section && names[i] != *section) continue;
    if (!section) out << "# " << names[i] << "\n";
    std::vector<std::string> header;
    for (const auto& h : all[i].header) {
      std::string k = core::to_lower(h);
      for (auto& ch : k)
        if (ch == ' ') ch = '_';
      header.push_back(k);
    }
    out << output::delimited_header(header, ',');
    for (const auto& row : all[i].rows) {
      Json o = Json::object();
      for (std::size_t c = 0; c < header.size() && c < row.size(); ++c) o[header[c]] = row[c];
      out << output::delimited_row(o, header, ',');
    }
    if (!section) out << "\n";
  }
  return out.str();
}

Issued record_issued(const desk::Session& s, const Report& r, const std::string& format, const std::string& text,
                     const std::optional<std::string>& output) {
  Issued i{0, r.period.name, r.period.start, r.period.end, r.system, format, core::sha256_hex(text), r.targets_met(), s.now, s.actor, output};
  i.id = s.db.insert("INSERT INTO reports(period, period_start, period_end, system, format, sha256, targets_met, at, actor, output) "
           "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           i.period, i.period_start, i.period_end, i.system, i.format, i.sha256, i.targets_met, i.at, i.actor, i.output);
  s.audit("report.record", fmt::format("report:{}", i.period), std::nullopt,
          output::dump_compact(Json{{"period", i.period}, {"format", i.format}, {"sha256", i.sha256}, {"targets_met", i.targets_met}}));
  return i;
}

std::vector<Issued> issued(store::Db& db) {
  std::vector<Issued> out;
  auto q = db.query("SELECT id, period, period_start, period_end, system, format, sha256, targets_met, at, actor, output FROM reports "
                    "ORDER BY id");
  while (q.next())
    out.push_back({q.int64(0), q.text(1), q.int64(2), q.int64(3), q.opt_text(4), q.text(5), q.text(6), q.int64(7) != 0, q.int64(8),
                   q.text(9), q.opt_text(10)});
  return out;
}

Json to_json(const Issued& i) {
  return {{"id", i.id},         {"period", i.period},   {"system", i.system ? Json(*i.system) : Json(nullptr)},
          {"format", i.format}, {"sha256", i.sha256},   {"targets_met", i.targets_met},
          {"at", core::format_rfc3339(i.at)},           {"actor", i.actor},
          {"output", i.output ? Json(*i.output) : Json(nullptr)}};
}

}  // namespace opsdesk::report
