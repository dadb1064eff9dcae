#include "sla/sla.hpp"

#include <algorithm>
#include <cmath>

namespace opsdesk::sla {

namespace {

constexpr std::array<std::string_view, 4> k_clock_names = {"response", "resolution", "onsite", "mitigation"};
constexpr std::array<std::string_view, 5> k_state_names = {"running", "paused", "met", "breached", "cancelled"};

using Kind = Mark::Kind;

// How one clock reads the marks.
struct Rule {
  std::optional<Kind> starts;  // empty: starts at creation
  std::vector<Kind> stops;
  bool pauses = false;         // honours paused/unpaused and resolved→reopened gaps
};

Rule rule(Clock c) {
  switch (c) {
    case Clock::response: return {std::nullopt, {Kind::acknowledged, Kind::resolved}, false};
    case Clock::resolution: return {std::nullopt, {Kind::resolved}, true};
    case Clock::onsite: return {std::nullopt, {Kind::arrived}, false};
    case Clock::mitigation: return {Kind::arrived, {Kind::mitigated}, false};
  }
  return {};
}

bool has(const std::vector<Kind>& kinds, Kind k) { return std::find(kinds.begin(), kinds.end(), k) != kinds.end(); }

ClockStatus run(Clock clock, const History& h, const Policy& p, core::Timestamp now) {
  const Rule r = rule(clock);
  const Calendar flat;
  const Calendar& cal = p.business_clocks.contains(clock) ? p.calendar : flat;
  ClockStatus s;
  s.clock = clock;

  core::Timestamp raw_start = h.created_at;
  if (r.starts) {
    for (const auto& m : h.marks)
      if (m.kind == *r.starts) {
        raw_start = m.at;
        break;
      }
  }
  s.start = std::max(after_downtime(raw_start, h.downtime), raw_start);

  model::Priority priority = h.priority;
  core::Seconds extension = 0;
  std::optional<model::Priority> later_priority;  // changed while stopped
  core::Seconds later_extension = 0;
  bool counting = true;  // not paused
  bool stopped = false;
  bool cancelled = false;
  core::Timestamp cursor = s.start;
  core::Seconds wall_counted = 0;  // wall time of the counting intervals (for outside_hours)

  auto target = [&] { return p.target(clock, priority) + (clock == Clock::resolution ? extension : 0); };
  // Count [cursor, until) if counting, noting the moment the target runs out.
  auto advance = [&](core::Timestamp until) {
    until = std::min(until, now);
    if (until <= cursor) return;
    if (counting) {
      const core::Seconds worked = cal.working_seconds(cursor, until);
      if (!s.breached_at && s.elapsed + worked > target()) s.breached_at = cal.add(cursor, target() - s.elapsed);
      s.elapsed += worked;
      wall_counted += until - cursor;
    }
    cursor = until;
  };

  for (const auto& m : h.marks) {
    if (m.at < s.start) {  // before the clock runs: only the context changes
      if (m.kind == Kind::priority) priority = m.priority;
      if (m.kind == Kind::extended) extension += m.seconds;
      if (has(r.stops, m.kind) && m.at >= raw_start && !stopped) {
        stopped = true;
        s.stopped_at = s.start;  // stopped during planned downtime: nothing counted
      }
      if (m.kind == Kind::cancelled && !stopped) {
        stopped = cancelled = true;
        s.stopped_at = s.start;
      }
      if (m.kind == Kind::reopened && r.pauses && stopped && !cancelled) stopped = false, s.stopped_at.reset();
      continue;
    }
    if (stopped && !(m.kind == Kind::reopened && r.pauses && !cancelled)) {
      // A stopped clock keeps the target it stopped with; changes wait for a reopen.
      if (m.kind == Kind::priority) later_priority = m.priority;
      if (m.kind == Kind::extended) later_extension += m.seconds;
      continue;
    }
    if (!stopped) advance(m.at);  // the time between a resolution and a reopen is not counted
    if (m.at > now) break;
    switch (m.kind) {
      case Kind::priority: priority = m.priority; break;
      case Kind::extended: extension += m.seconds; break;
      case Kind::paused:
        if (r.pauses) counting = false;
        break;
      case Kind::unpaused:
        if (r.pauses) counting = true;
        break;
      case Kind::reopened:
        if (r.pauses && stopped) {
          stopped = false;
          s.stopped_at.reset();
          cursor = m.at;
          counting = true;
          if (later_priority) priority = *later_priority;
          extension += later_extension;
          later_priority.reset();
          later_extension = 0;
        }
        break;
      case Kind::cancelled:
        stopped = cancelled = true;
        s.stopped_at = m.at;
        break;
      default:
        if (has(r.stops, m.kind)) {
          stopped = true;
          s.stopped_at = m.at;
        }
        break;
    }
  }
  if (!stopped) advance(now);

  s.target = target();
  if (!s.breached_at && s.elapsed > s.target) s.breached_at = s.stopped_at.value_or(std::min(now, cursor));
  const core::Timestamp end = s.stopped_at.value_or(now);
  s.before_start = std::max<core::Seconds>(0, std::min(s.start, end) - h.created_at);
  s.outside_hours = wall_counted - s.elapsed;
  s.paused = std::max<core::Seconds>(0, end - h.created_at) - s.before_start - wall_counted;

  if (cancelled) {
    s.state = State::cancelled;
  } else if (stopped) {
    s.state = s.breached_at ? State::breached : State::met;
  } else if (s.breached_at) {
    s.state = State::breached;
  } else {
    s.state = counting ? State::running : State::paused;
  }
  if (!stopped && !cancelled) {
    const core::Timestamp from = std::max(now, s.start);
    if (counting) {
      s.deadline = s.breached_at ? *s.breached_at : cal.add(from, s.target - s.elapsed);
      const auto warn_amount = static_cast<core::Seconds>(std::ceil(p.warn_at * static_cast<double>(s.target)));
      s.warn_at = s.elapsed >= warn_amount ? from : cal.add(from, warn_amount - s.elapsed);
      s.at_risk = !s.breached_at && s.elapsed >= warn_amount;
    }
  }
  return s;
}

}  // namespace

std::string_view clock_name(Clock clock) { return k_clock_names[static_cast<std::size_t>(clock)]; }
std::string_view state_name(State state) { return k_state_names[static_cast<std::size_t>(state)]; }

std::optional<Clock> clock_of(std::string_view name) {
  for (const auto c : k_clocks)
    if (clock_name(c) == name) return c;
  return std::nullopt;
}

core::Timestamp after_downtime(core::Timestamp t, const std::vector<Window>& downtime) {
  bool moved = true;
  while (moved) {  // windows may chain or overlap
    moved = false;
    for (const auto& w : downtime) {
      if (t >= w.start && t < w.end) {
        t = w.end;
        moved = true;
      }
    }
  }
  return t;
}

std::vector<ClockStatus> evaluate(const History& h, const Policy& p, core::Timestamp now) {
  std::vector<ClockStatus> out;
  out.push_back(run(Clock::response, h, p, now));
  out.push_back(run(Clock::resolution, h, p, now));
  if (h.onsite) {
    out.push_back(run(Clock::onsite, h, p, now));
    const bool arrived = std::any_of(h.marks.begin(), h.marks.end(),
                                     [&](const Mark& m) { return m.kind == Kind::arrived && m.at <= now; });
    if (arrived) out.push_back(run(Clock::mitigation, h, p, now));
  }
  return out;
}

}  // namespace opsdesk::sla
