#pragma once
// Points in time (UTC epoch seconds), durations, and the forms users type them in.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opsdesk::core {

using Timestamp = std::int64_t;  // seconds since 1970-01-01T00:00:00Z
using Seconds = std::int64_t;    // a length of time

struct CivilTime {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0;
  int weekday = 4;  // 0 = Sunday; filled by the to_* conversions
};

// True when `name` is "UTC" or an IANA zone this machine has.
bool is_time_zone(std::string_view name);
// Use `name` (an IANA zone such as "Asia/Shanghai", or "UTC") as the local time zone of this
// process. Throws Error(config) when the zone is unknown.
void set_time_zone(std::string_view name);
// The local zone's name ("UTC", "Asia/Shanghai", or "local" for the system default).
std::string time_zone();

CivilTime to_utc(Timestamp t);
Timestamp from_utc(const CivilTime& c);
CivilTime to_local(Timestamp t);
// Local wall time to a timestamp; a time skipped by a DST change moves forward.
Timestamp from_local(const CivilTime& c);
// The local midnight that starts the day holding `t`.
Timestamp local_midnight(Timestamp t);
int days_in_month(int year, int month);

// Parse a time as typed: RFC 3339, "YYYY-MM-DD[ HH:MM[:SS]]" (local), "HH:MM[:SS]" (today,
// local), "now", "today", "yesterday", or relative to `now` ("-2h", "+30m", "-1h30m").
// Throws Error(usage) naming the text and the accepted forms.
Timestamp parse_time(std::string_view text, Timestamp now);
// Same, without throwing.
std::optional<Timestamp> try_parse_time(std::string_view text, Timestamp now);

// Parse "30m", "8h", "2d", "1w", "45s", "1h30m". Throws Error(usage).
Seconds parse_duration(std::string_view text);
std::optional<Seconds> try_parse_duration(std::string_view text);

// "1h30m", "2d", "0s"; negative values get a leading '-'.
std::string format_duration(Seconds s);
// "2026-11-25T06:10:00Z".
std::string format_rfc3339(Timestamp t);
// "2026-11-25 14:10" in the local zone (with ":SS" when `seconds`).
std::string format_local(Timestamp t, bool seconds = false);
// A span of the day, in minutes after local midnight: [from, to), to at most 1440.
struct DaySpan {
  int from_minute = 0;
  int to_minute = 0;
};
// "09:00-12:00,13:00-18:00" → spans in order; "" → none. nullopt when malformed.
std::optional<std::vector<DaySpan>> parse_day_spans(std::string_view text);

// A calendar period in the local zone: "2026-11" (a month), "2026-Q3" (a quarter), "2026"
// (a year), "2026-11-25" (a day). [start, end); nullopt when malformed.
struct Period {
  Timestamp start = 0;
  Timestamp end = 0;
  std::string name;
};
std::optional<Period> parse_period(std::string_view text);
// The calendar month holding `t`, and the one before it.
Period month_of(Timestamp t);
Period previous_month(Timestamp t);

// "12m ago", "in 2h", "just now": for humans only.
std::string format_relative(Timestamp t, Timestamp now);

}  // namespace opsdesk::core
