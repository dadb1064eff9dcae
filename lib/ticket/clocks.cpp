#include "ticket/clocks.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "output/json.hpp"
#include "ticket/repository.hpp"

namespace opsdesk::ticket {

namespace {

using Kind = sla::Mark::Kind;

std::optional<output::Json> data_of(const Event& e) {
  if (!e.data) return std::nullopt;
  return output::Json::parse(*e.data);
}

}  // namespace

sla::Policy sla_policy(const config::Config& config) {
  sla::Policy p;
  p.targets = config.sla.targets;
  p.warn_at = config.sla.warn_at;
  const auto& cal = config.sla.calendar;
  if (cal.enabled) {
    std::array<std::vector<sla::Span>, 7> week;
    for (const int d : cal.days) week[static_cast<std::size_t>(d)] = cal.hours;
    p.calendar = sla::Calendar(week, {cal.holidays.begin(), cal.holidays.end()},
                               {cal.workdays.begin(), cal.workdays.end()}, cal.hours);
    for (const auto& name : cal.clocks)
      if (const auto c = sla::clock_of(name)) p.business_clocks.insert(*c);
  }
  return p;
}

bool has_clocks(const config::Config& config, model::TicketType type) {
  const auto& types = config.sla.applies_to;
  return std::find(types.begin(), types.end(), type) != types.end();
}

sla::History sla_history(const config::Config& config, const Ticket& t, const std::vector<Event>& events,
                         std::vector<sla::Window> downtime) {
  sla::History h;
  h.created_at = t.created_at;
  h.priority = t.priority;
  h.onsite = t.channel == model::Channel::onsite;
  h.downtime = std::move(downtime);
  bool first_priority_change = true;
  const auto& pausing = config.sla.pause_on;
  for (const auto& e : events) {
    sla::Mark m;
    m.at = e.at;
    if (e.kind == "acknowledged" || (e.kind == "started" && e.from == model::Status::new_)) {
      m.kind = Kind::acknowledged;
    } else if (e.kind == "pending") {
      const auto d = data_of(e);
      const auto reason = d ? model::from_name<model::PendingReason>(d->value("reason", "")) : std::nullopt;
      m.kind = reason && std::find(pausing.begin(), pausing.end(), *reason) != pausing.end() ? Kind::paused : Kind::unpaused;
    } else if (e.kind == "resumed") {
      m.kind = Kind::unpaused;
    } else if (e.kind == "resolved") {
      m.kind = Kind::resolved;
    } else if (e.kind == "reopened") {
      m.kind = Kind::reopened;
    } else if (e.kind == "cancelled") {
      m.kind = Kind::cancelled;
    } else if (e.kind == "arrived") {
      m.kind = Kind::arrived;
      h.onsite = true;
    } else if (e.kind == "mitigated") {
      m.kind = Kind::mitigated;
    } else if (e.kind == "extension_approved") {
      m.kind = Kind::extended;
      m.seconds = data_of(e).value_or(output::Json::object()).value("seconds", core::Seconds{0});
    } else if (e.kind == "updated") {
      const auto d = data_of(e);
      if (!d || d->value("field", "") != "priority") continue;
      const auto from = model::from_name<model::Priority>((*d)["from"].is_string() ? (*d)["from"].get<std::string>() : "");
      const auto to = model::from_name<model::Priority>((*d)["to"].is_string() ? (*d)["to"].get<std::string>() : "");
      if (first_priority_change && from) h.priority = *from;  // the priority the ticket was opened with
      first_priority_change = false;
      if (!to) continue;
      m.kind = Kind::priority;
      m.priority = *to;
    } else {
      continue;
    }
    h.marks.push_back(m);
  }
  std::stable_sort(h.marks.begin(), h.marks.end(), [](const sla::Mark& a, const sla::Mark& b) { return a.at < b.at; });
  return h;
}

std::vector<sla::Window> downtime_for(store::Db& db, const Ticket& t) {
  std::vector<sla::Window> out;
  auto q = db.query("SELECT start_at, end_at FROM downtime WHERE (system IS NULL OR system = ?) AND end_at > ? "
                    "ORDER BY start_at",
                    t.system, t.created_at);
  while (q.next()) out.push_back({q.int64(0), q.int64(1)});
  return out;
}

std::vector<sla::ClockStatus> clocks(store::Db& db, const config::Config& config, const Ticket& t, core::Timestamp now) {
  if (!has_clocks(config, t.type)) return {};
  const auto history = sla_history(config, t, repo::events(db, t.id), downtime_for(db, t));
  return sla::evaluate(history, sla_policy(config), now);
}

namespace {

void write_clocks(const desk::Session& s, const Ticket& t, const std::vector<sla::ClockStatus>& statuses) {
  s.db.run("DELETE FROM ticket_sla WHERE ticket_id = ?", t.id);
  bool breached = false;
  for (const auto& c : statuses) {
    breached = breached || c.breached_at.has_value();
    s.db.run("INSERT INTO ticket_sla (ticket_id, clock, state, start_at, target, elapsed, paused, stopped_at, deadline, "
             "warn_at, breached_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             t.id, sla::clock_name(c.clock), sla::state_name(c.state), c.start, c.target, c.elapsed, c.paused,
             c.stopped_at, c.deadline, c.warn_at, c.breached_at);
  }
  s.db.run("UPDATE tickets SET sla_breached = ? WHERE id = ? AND sla_breached != ?", breached, t.id, breached);
}

}  // namespace

void refresh_clocks(const desk::Session& s, const Ticket& t) { write_clocks(s, t, clocks(s.db, s.config, t, s.now)); }

std::vector<SystemWindow> all_downtime(store::Db& db) {
  std::vector<SystemWindow> out;
  auto q = db.query("SELECT system, start_at, end_at FROM downtime ORDER BY start_at");
  while (q.next()) out.push_back({q.opt_text(0), {q.int64(1), q.int64(2)}});
  return out;
}

void store_clocks(const desk::Session& s, const Ticket& t, const std::vector<Event>& events,
                  const std::vector<SystemWindow>& downtime) {
  if (!has_clocks(s.config, t.type)) return;
  std::vector<sla::Window> windows;
  for (const auto& d : downtime)
    if ((!d.system || d.system == t.system) && d.window.end > t.created_at) windows.push_back(d.window);
  write_clocks(s, t, sla::evaluate(sla_history(s.config, t, events, std::move(windows)), sla_policy(s.config), s.now));
}

}  // namespace opsdesk::ticket
