#pragma once
// Business time: the working hours of each weekday, holidays, and weekend days worked instead
// (as calendars with adjusted working days have). Without hours it is 24x7. Local times are
// those of the desk's time zone, so days stay right across DST changes.
#include <array>
#include <set>
#include <vector>

#include "core/time.hpp"

namespace opsdesk::sla {

using Span = core::DaySpan;

class Calendar {
 public:
  // 24x7.
  Calendar() = default;
  // `week[d]` (0 = Sunday) holds the working spans of that weekday; `holidays` are days off,
  // `workdays` are days worked with the hours of a normal weekday (`workday_hours`), both as
  // yyyymmdd numbers.
  Calendar(std::array<std::vector<Span>, 7> week, std::set<int> holidays, std::set<int> workdays,
           std::vector<Span> workday_hours);

  bool always() const { return m_always; }
  // Working seconds in [from, to).
  core::Seconds working_seconds(core::Timestamp from, core::Timestamp to) const;
  // The moment when `amount` working seconds have passed after `from`.
  core::Timestamp add(core::Timestamp from, core::Seconds amount) const;

 private:
  // Working intervals of the local day starting at `midnight` (as timestamps).
  std::vector<std::pair<core::Timestamp, core::Timestamp>> day(core::Timestamp midnight) const;
  static core::Timestamp next_midnight(core::Timestamp midnight);

  bool m_always = true;
  std::array<std::vector<Span>, 7> m_week;
  std::set<int> m_holidays;
  std::set<int> m_workdays;
  std::vector<Span> m_workday_hours;
};

}  // namespace opsdesk::sla
