#include "sla/calendar.hpp"

#include <algorithm>


namespace opsdesk::sla {

namespace {

int yyyymmdd(const core::CivilTime& c) { return c.year * 10000 + c.month * 100 + c.day; }

core::Timestamp at_minute(const core::CivilTime& day, int minute) {
  core::CivilTime c = day;
  if (minute >= 1440) {  // the end of the day is the next day's midnight
    c.hour = c.minute = c.second = 0;
    const auto next = core::from_local(c) + 36 * 3600;
    c = core::to_local(next);
    c.hour = c.minute = c.second = 0;
    return core::from_local(c);
  }
  c.hour = minute / 60;
  c.minute = minute % 60;
  c.second = 0;
  return core::from_local(c);
}

}  // namespace

Calendar::Calendar(std::array<std::vector<Span>, 7> week, std::set<int> holidays, std::set<int> workdays,
                   std::vector<Span> workday_hours)
    : m_always(false),
      m_week(std::move(week)),
      m_holidays(std::move(holidays)),
      m_workdays(std::move(workdays)),
      m_workday_hours(std::move(workday_hours)) {}

core::Timestamp Calendar::next_midnight(core::Timestamp midnight) {
  return core::local_midnight(midnight + 36 * 3600);  // a day is 23-25 hours around DST
}

std::vector<std::pair<core::Timestamp, core::Timestamp>> Calendar::day(core::Timestamp midnight) const {
  const core::CivilTime c = core::to_local(midnight);
  const int key = yyyymmdd(c);
  const std::vector<Span>* spans = &m_week[static_cast<std::size_t>(c.weekday)];
  if (m_holidays.contains(key)) return {};
  if (m_workdays.contains(key)) spans = &m_workday_hours;
  std::vector<std::pair<core::Timestamp, core::Timestamp>> out;
  for (const auto& s : *spans) out.emplace_back(at_minute(c, s.from_minute), at_minute(c, s.to_minute));
  return out;
}

core::Seconds Calendar::working_seconds(core::Timestamp from, core::Timestamp to) const {
  if (to <= from) return 0;
  if (m_always) return to - from;
  core::Seconds total = 0;
  for (core::Timestamp midnight = core::local_midnight(from); midnight < to; midnight = next_midnight(midnight)) {
    for (const auto& [a, b] : day(midnight)) {
      const auto lo = std::max(a, from);
      const auto hi = std::min(b, to);
      if (hi > lo) total += hi - lo;
    }
  }
  return total;
}

core::Timestamp Calendar::add(core::Timestamp from, core::Seconds amount) const {
  if (m_always) return from + amount;
  core::Seconds left = amount;
  // A calendar with no working time at all would never get there; give up after ten years.
  const core::Timestamp limit = from + 10 * 366 * 86400LL;
  for (core::Timestamp midnight = core::local_midnight(from); midnight < limit; midnight = next_midnight(midnight)) {
    for (const auto& [a, b] : day(midnight)) {
      const auto lo = std::max(a, from);
      if (b <= lo) continue;
      if (left <= b - lo) return lo + left;
      left -= b - lo;
    }
  }
  return limit;
}

}  // namespace opsdesk::sla
