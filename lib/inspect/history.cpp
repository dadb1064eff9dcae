#include "inspect/history.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <set>

#include "backup/backup.hpp"
#include "core/strings.hpp"
#include "ticket/downtime.hpp"
#include "ticket/lifecycle.hpp"
#include "ticket/repository.hpp"
#include "ticket/service.hpp"

namespace opsdesk::inspect {

namespace {

using Check = config::Config::Check;

std::string lower(State s) { return core::to_lower(state_name(s)); }

bool is_bad(const Check& c, State s) {
  if (c.open_ticket == "critical") return s == State::critical;
  if (c.open_ticket == "warning") return s == State::critical || s == State::warning;
  return false;
}

bool ticket_open(store::Db& db, const std::optional<std::string>& ref) {
  if (!ref) return false;
  const auto t = ticket::repo::find(db, *ref);
  return t && ticket::is_open(t->status) && t->status != model::Status::resolved;
}

bool in_downtime(store::Db& db, const std::string& system, core::Timestamp now) {
  return db.one_int("SELECT 1 FROM downtime WHERE (system IS NULL OR system = ?) AND start_at <= ? AND end_at > ?",
                    system, now, now)
      .has_value();
}

const Check* find_check(const std::vector<Check>& checks, const std::string& name) {
  for (const auto& c : checks)
    if (c.name == name) return &c;
  return nullptr;
}

// Open, comment on or resolve the incident of one check after its new result.
std::optional<TicketAction> follow_incident(const desk::Session& s, const Check& c, const Result& r,
                                            std::optional<std::string>& ticket_ref, std::optional<State> previous) {
  if (c.open_ticket == "never") return std::nullopt;
  const bool bad = is_bad(c, r.state);
  const bool open = ticket_open(s.db, ticket_ref);
  if (bad && open) {
    if (previous == r.state) return std::nullopt;  // still bad the same way: nothing new to say
    ticket::comment(s, *ticket_ref, fmt::format("{} is now {}: {}", c.name, state_name(r.state), r.summary), std::nullopt);
    return TicketAction{c.name, *ticket_ref, "commented"};
  }
  if (bad) {
    if (in_downtime(s.db, c.system, r.at)) return TicketAction{c.name, "", "suppressed"};
    ticket::NewTicket n;
    n.type = model::TicketType::incident;
    std::string title = fmt::format("{} {}: {}", c.name, state_name(r.state), r.summary);
    n.title = title.size() > 200 ? title.substr(0, 197) + "..." : title;
    n.description = r.summary + (r.long_output.empty() ? "" : "\n\n" + r.long_output) +
                    fmt::format("\n\nOpened by the inspection check {} ({}).", c.name, c.type);
    n.priority = c.priority.value_or(s.config.inspect.incident_priority);
    n.system = c.system;
    n.channel = model::Channel::monitor;
    n.category = "monitoring";
    const auto t = ticket::create(s, n);
    ticket_ref = t.ref;
    return TicketAction{c.name, t.ref, "opened"};
  }
  if (!open) {
    ticket_ref.reset();
    return std::nullopt;
  }
  if (r.state != State::ok) {
    // Better or unknown, but not recovered: say so once, keep the incident open.
    if (previous == r.state) return std::nullopt;
    ticket::comment(s, *ticket_ref, fmt::format("{} is now {}: {}", c.name, state_name(r.state), r.summary), std::nullopt);
    return TicketAction{c.name, *ticket_ref, "commented"};
  }
  if (previous == State::ok) return std::nullopt;  // recovered earlier and said so
  ticket::comment(s, *ticket_ref, fmt::format("{} recovered: {}", c.name, r.summary), std::nullopt);
  if (!c.auto_resolve) return TicketAction{c.name, *ticket_ref, "commented"};
  ticket::TransitionOptions o;
  o.note = fmt::format("recovered by itself: {}", r.summary);
  const auto ref = *ticket_ref;
  ticket::transition(s, ticket::Action::resolve, ref, o);
  ticket_ref.reset();
  return TicketAction{c.name, ref, "resolved"};
}

std::string result_table(const std::vector<Result>& results) {
  std::string text = "| check | system | state | result |\n|---|---|---|---|\n";
  for (const auto& r : results)
    text += fmt::format("| {} | {} | {} | {} |\n", r.check, r.system.empty() ? "-" : r.system, state_name(r.state), r.summary);
  return text;
}

Result read_result(const store::Query& q) {
  Result r;
  r.check = q.text(0);
  r.system = q.opt_text(1).value_or("");
  r.type = q.text(2);
  r.state = state_of(q.text(3)).value_or(State::unknown);
  r.at = q.int64(4);
  r.duration_ms = q.int64(5);
  r.attempts = static_cast<int>(q.int64(6));
  r.summary = q.text(7);
  r.long_output = q.opt_text(8).value_or("");
  r.perfdata = parse_perfdata(q.opt_text(9).value_or(""));
  return r;
}

}  // namespace

std::map<std::string, core::Timestamp> last_verified_backups(store::Db& db) { return backup::last_verified(db); }

std::vector<Check> due_checks(store::Db& db, const std::vector<Check>& checks, core::Timestamp now, bool all) {
  if (all) return checks;
  std::vector<Check> out;
  for (const auto& c : checks) {
    const auto last = db.one_int("SELECT last_at FROM check_state WHERE check_name = ?", c.name);
    // A little slack, so that a run every 5 minutes from cron does not skip a 5-minute check
    // whose last run finished a few seconds after the minute.
    const core::Seconds slack = std::min<core::Seconds>(30, c.interval / 10);
    if (!last || now >= *last + c.interval - slack) out.push_back(c);
  }
  return out;
}

RunRecord record_run(const desk::Session& s, const std::vector<Check>& checks, const std::vector<Result>& results,
                     core::Timestamp started, bool record) {
  RunRecord rec;
  for (const auto& r : results) rec.worst = worse(rec.worst, r.state);
  rec.run_id = s.db.insert("INSERT INTO inspection_runs (started_at, finished_at, actor, checks, worst) VALUES (?, ?, ?, ?, ?)", started,
           s.now, s.actor, static_cast<std::int64_t>(results.size()), lower(rec.worst));
  for (const auto& r : results) {
    s.db.run("INSERT INTO check_results (run_id, check_name, system, type, state, at, duration_ms, attempts, summary, "
             "long_output, perfdata) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             rec.run_id, r.check, r.system.empty() ? std::nullopt : std::optional(r.system), r.type, lower(r.state), r.at,
             r.duration_ms, r.attempts, r.summary, r.long_output.empty() ? std::nullopt : std::optional(r.long_output),
             r.perfdata.empty() ? std::nullopt : std::optional(format_perfdata(r.perfdata)));
    const Check* c = find_check(checks, r.check);
    if (!c) continue;
    std::optional<State> previous;
    std::optional<std::string> ticket_ref;
    core::Timestamp since = r.at;
    {
      auto q = s.db.query("SELECT state, since, ticket_ref FROM check_state WHERE check_name = ?", r.check);
      if (q.next()) {
        previous = state_of(q.text(0));
        since = previous == r.state ? q.int64(1) : r.at;
        ticket_ref = q.opt_text(2);
      }
    }
    if (auto action = follow_incident(s, *c, r, ticket_ref, previous)) rec.tickets.push_back(*action);
    s.db.run("INSERT INTO check_state (check_name, system, state, since, last_at, interval, ticket_ref) "
             "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (check_name) DO UPDATE SET system = excluded.system, "
             "state = excluded.state, since = excluded.since, last_at = excluded.last_at, interval = excluded.interval, "
             "ticket_ref = excluded.ticket_ref",
             r.check, r.system.empty() ? std::nullopt : std::optional(r.system), lower(r.state), since, r.at, c->interval,
             ticket_ref);
  }
  if (record) {
    std::map<State, int> counts;
    for (const auto& r : results) ++counts[r.state];
    const std::string tally = fmt::format("{} checks: {} OK, {} WARNING, {} CRITICAL, {} UNKNOWN", results.size(),
                                          counts[State::ok], counts[State::warning], counts[State::critical],
                                          counts[State::unknown]);
    ticket::NewTicket n;
    n.type = model::TicketType::inspection;
    n.title = fmt::format("Inspection {}: {}", core::format_local(started), tally);
    n.description = result_table(results);
    n.priority = model::Priority::low;
    n.category = "inspection";
    n.channel = model::Channel::onsite;
    const auto t = ticket::create(s, n);
    ticket::TransitionOptions o;
    o.note = tally;
    ticket::transition(s, ticket::Action::resolve, t.ref, o);
    s.db.run("UPDATE inspection_runs SET record_ref = ? WHERE id = ?", t.ref, rec.run_id);
    rec.record_ref = t.ref;
  }
  s.audit("inspect.run", fmt::format("inspection:{}", rec.run_id), std::nullopt,
          output::dump_compact(output::Json{{"checks", results.size()}, {"worst", lower(rec.worst)},
                                            {"record", rec.record_ref ? output::Json(*rec.record_ref) : output::Json(nullptr)}}));
  return rec;
}

std::vector<CheckStatus> check_statuses(store::Db& db, const std::vector<Check>& checks) {
  std::vector<CheckStatus> out;
  for (const auto& c : checks) {
    CheckStatus st;
    st.check = c;
    auto q = db.query("SELECT state, since, last_at, ticket_ref FROM check_state WHERE check_name = ?", c.name);
    if (q.next()) {
      st.state = state_of(q.text(0));
      st.since = q.int64(1);
      st.last_at = q.int64(2);
      st.ticket_ref = q.opt_text(3);
      st.next_due = *st.last_at + c.interval;
    }
    out.push_back(std::move(st));
  }
  return out;
}

std::vector<Result> history(store::Db& db, const HistoryFilter& f) {
  std::string where = " WHERE 1 = 1";
  std::vector<store::Param> params;
  if (f.check) {
    where += " AND check_name = ?";
    params.emplace_back(*f.check);
  }
  if (f.system) {
    where += " AND system = ?";
    params.emplace_back(*f.system);
  }
  if (f.state) {
    where += " AND state = ?";
    params.emplace_back(lower(*f.state));
  }
  if (f.since) {
    where += " AND at >= ?";
    params.emplace_back(*f.since);
  }
  if (f.until) {
    where += " AND at < ?";
    params.emplace_back(*f.until);
  }
  constexpr std::string_view k_columns =
      "check_name, system, type, state, at, duration_ms, attempts, summary, long_output, perfdata";
  std::string sql = fmt::format("SELECT {} FROM check_results{} ORDER BY at, id", k_columns, where);
  if (f.limit > 0) {
    sql = fmt::format("SELECT * FROM (SELECT {}, id FROM check_results{} ORDER BY at DESC, id DESC LIMIT ?) AS newest ORDER BY at, id",
                      k_columns, where);
    params.emplace_back(f.limit);
  }
  std::vector<Result> out;
  auto q = db.query_with(sql, params);
  while (q.next()) out.push_back(read_result(q));
  return out;
}

namespace {

enum class Known { up, down, no_data };

struct Segment {
  core::Timestamp start, end;
  Known known;
};

// A check's timeline over [from, to): each result's state holds until the next result, for
// at most twice the check's interval.
std::vector<Segment> timeline(store::Db& db, const Check& c, core::Timestamp from, core::Timestamp to) {
  std::vector<std::pair<core::Timestamp, bool>> points;  // at, ok
  {
    auto q = db.query("SELECT at, state FROM check_results WHERE check_name = ? AND at >= ? AND at < ? ORDER BY at, id",
                      c.name, from - 2 * c.interval, to);
    while (q.next()) points.emplace_back(q.int64(0), q.text(1) == "ok");
  }
  std::vector<Segment> out;
  core::Timestamp cursor = from;
  for (std::size_t i = 0; i < points.size(); ++i) {
    const auto [at, ok] = points[i];
    const core::Timestamp next = i + 1 < points.size() ? points[i + 1].first : to;
    const core::Timestamp held_until = std::min({next, at + 2 * c.interval, to});
    const core::Timestamp start = std::max(at, from);
    if (start > cursor) out.push_back({cursor, std::min(start, to), Known::no_data});
    if (held_until > start) out.push_back({start, held_until, ok ? Known::up : Known::down});
    cursor = std::max(cursor, std::max(held_until, start));
  }
  if (cursor < to) out.push_back({cursor, to, Known::no_data});
  return out;
}

struct Windows {
  std::vector<std::pair<core::Timestamp, core::Timestamp>> spans;  // merged, sorted
  core::Seconds overlap(core::Timestamp a, core::Timestamp b) const {
    core::Seconds total = 0;
    for (const auto& [s, e] : spans) total += std::max<core::Seconds>(0, std::min(b, e) - std::max(a, s));
    return total;
  }
};

Windows downtime_of(store::Db& db, const std::string& system, core::Timestamp from, core::Timestamp to) {
  ticket::DowntimeFilter f;
  f.system = system;
  f.since = from;
  f.until = to;
  std::vector<std::pair<core::Timestamp, core::Timestamp>> raw;
  for (const auto& d : ticket::list_downtime(db, f)) raw.emplace_back(std::max(d.start, from), std::min(d.end, to));
  std::sort(raw.begin(), raw.end());
  Windows w;
  for (const auto& span : raw) {
    if (!w.spans.empty() && span.first <= w.spans.back().second) w.spans.back().second = std::max(w.spans.back().second, span.second);
    else w.spans.push_back(span);
  }
  return w;
}

void add(Availability& a, Known k, core::Seconds seconds) {
  if (k == Known::up) a.up += seconds;
  else if (k == Known::down) a.down += seconds;
  else a.no_data += seconds;
}

}  // namespace

std::vector<Availability> availability(store::Db& db, const std::vector<Check>& checks,
                                       const std::optional<std::string>& system, core::Timestamp from, core::Timestamp to) {
  std::vector<Availability> out;
  std::map<std::string, std::vector<const Check*>> by_system;
  for (const auto& c : checks)
    if (!c.system.empty() && (!system || c.system == *system)) by_system[c.system].push_back(&c);
  for (const auto& [sys, members] : by_system) {
    const Windows planned = downtime_of(db, sys, from, to);
    std::vector<std::vector<Segment>> lines;
    std::set<core::Timestamp> cuts = {from, to};
    for (const auto* c : members) {
      Availability a{sys, c->name, to - from, 0, 0, 0, 0};
      lines.push_back(timeline(db, *c, from, to));
      for (const auto& seg : lines.back()) {
        cuts.insert(seg.start);
        cuts.insert(seg.end);
        // Planned downtime counts neither way.
        const auto planned_part = planned.overlap(seg.start, seg.end);
        add(a, seg.known, seg.end - seg.start - planned_part);
      }
      for (const auto& [s, e] : planned.spans) cuts.insert(s), cuts.insert(e);
      a.downtime = planned.overlap(from, to);
      out.push_back(a);
    }
    // The system: down while any check is down; up while every check with data is up.
    Availability whole{sys, "", to - from, planned.overlap(from, to), 0, 0, 0};
    std::vector<std::size_t> pos(lines.size(), 0);
    core::Timestamp prev = from;
    for (const auto cut : cuts) {
      if (cut <= prev) continue;
      const core::Timestamp a = prev, b = std::min(cut, to);
      bool any_down = false, any_up = false;
      for (std::size_t i = 0; i < lines.size(); ++i) {
        while (pos[i] < lines[i].size() && lines[i][pos[i]].end <= a) ++pos[i];
        if (pos[i] >= lines[i].size()) continue;
        const auto k = lines[i][pos[i]].known;
        any_down = any_down || k == Known::down;
        any_up = any_up || k == Known::up;
      }
      const Known k = any_down ? Known::down : any_up ? Known::up : Known::no_data;
      add(whole, k, b - a - planned.overlap(a, b));
      prev = b;
    }
    out.push_back(whole);
  }
  return out;
}

output::Json to_json(const Result& r) {
  output::Json perf = output::Json::array();
  for (const auto& p : r.perfdata) {
    output::Json j{{"label", p.label}, {"value", p.value}, {"uom", p.uom}, {"warn", p.warn}, {"crit", p.crit}};
    j["min"] = p.min ? output::Json(*p.min) : output::Json(nullptr);
    j["max"] = p.max ? output::Json(*p.max) : output::Json(nullptr);
    perf.push_back(j);
  }
  return output::Json{{"check", r.check},
                      {"system", r.system.empty() ? output::Json(nullptr) : output::Json(r.system)},
                      {"type", r.type},
                      {"state", lower(r.state)},
                      {"summary", r.summary},
                      {"long_output", r.long_output},
                      {"at", core::format_rfc3339(r.at)},
                      {"duration_ms", r.duration_ms},
                      {"attempts", r.attempts},
                      {"perfdata", perf}};
}

output::Json to_json(const Availability& a) {
  return output::Json{{"system", a.system},
                      {"check", a.check.empty() ? output::Json(nullptr) : output::Json(a.check)},
                      {"percent", a.percent() ? output::Json(std::round(*a.percent() * 1000) / 1000) : output::Json(nullptr)},
                      {"period_seconds", a.period},
                      {"downtime_seconds", a.downtime},
                      {"up_seconds", a.up},
                      {"down_seconds", a.down},
                      {"no_data_seconds", a.no_data}};
}

}  // namespace opsdesk::inspect
