#include "core/time.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <mutex>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::core {

namespace {

std::mutex g_zone_mutex;  // localtime_r/mktime read the process-wide TZ
std::string g_zone_name = "local";

constexpr std::string_view k_time_forms =
    "expected RFC 3339 (2026-11-25T14:00:00Z), \"YYYY-MM-DD[ HH:MM[:SS]]\", \"HH:MM\", \"now\" "
    "or a relative time like -2h";
constexpr std::string_view k_duration_forms = "expected a duration like 30m, 8h, 2d, 1h30m";

// Howard Hinnant's days_from_civil: days since 1970-01-01 of a proleptic Gregorian date.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// A cursor over the text being parsed.
struct Scanner {
  std::string_view text;
  std::size_t pos = 0;

  bool done() const { return pos == text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }
  // Exactly `n` digits.
  std::optional<int> digits(std::size_t n) {
    if (pos + n > text.size()) return std::nullopt;
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const char c = text[pos + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
  }
};

bool valid_date(int y, int mo, int d) { return y >= 1 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= days_in_month(y, mo); }

// "HH:MM[:SS[.frac]]" into `c`.
bool scan_clock(Scanner& s, CivilTime& c) {
  const auto h = s.digits(2);
  if (!h || !s.accept(':')) return false;
  const auto mi = s.digits(2);
  if (!mi) return false;
  c.hour = *h;
  c.minute = *mi;
  c.second = 0;
  if (s.accept(':')) {
    const auto sec = s.digits(2);
    if (!sec) return false;
    c.second = *sec;
    if (s.accept('.')) {  // fractions of a second are dropped
      const std::size_t start = s.pos;
      while (!s.done() && s.peek() >= '0' && s.peek() <= '9') ++s.pos;
      if (s.pos == start) return false;
    }
  }
  return c.hour <= 23 && c.minute <= 59 && c.second <= 59;
}

// "Z" or "+HH:MM" / "-HH:MM" / "+HHMM"; the offset east of UTC in seconds.
std::optional<std::optional<Seconds>> scan_offset(Scanner& s) {
  if (s.done()) return std::optional<Seconds>{};
  if (s.accept('Z') || s.accept('z')) return std::optional<Seconds>{0};
  const char sign = s.peek();
  if (sign != '+' && sign != '-') return std::nullopt;
  ++s.pos;
  const auto h = s.digits(2);
  if (!h) return std::nullopt;
  s.accept(':');
  const auto m = s.digits(2);
  if (!m || *h > 23 || *m > 59) return std::nullopt;
  const Seconds off = *h * 3600 + *m * 60;
  return std::optional<Seconds>{sign == '-' ? -off : off};
}

std::optional<Timestamp> parse_absolute(std::string_view text, Timestamp now) {
  Scanner s{text};
  CivilTime c;
  if (text.size() <= 8 && text.find('-') == std::string_view::npos) {  // "HH:MM[:SS]" today
    c = to_local(now);
    if (!scan_clock(s, c) || !s.done()) return std::nullopt;
    return from_local(c);
  }
  const auto y = s.digits(4);
  if (!y || !s.accept('-')) return std::nullopt;
  const auto mo = s.digits(2);
  if (!mo || !s.accept('-')) return std::nullopt;
  const auto d = s.digits(2);
  if (!d || !valid_date(*y, *mo, *d)) return std::nullopt;
  c.year = *y;
  c.month = *mo;
  c.day = *d;
  if (s.done()) return from_local(c);
  if (!(s.accept('T') || s.accept('t') || s.accept(' '))) return std::nullopt;
  if (!scan_clock(s, c)) return std::nullopt;
  const auto offset = scan_offset(s);
  if (!offset || !s.done()) return std::nullopt;
  if (!*offset) return from_local(c);
  return from_utc(c) - **offset;
}

}  // namespace

int days_in_month(int year, int month) {
  static constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && is_leap(year)) return 29;
  return k_days[month - 1];
}

bool is_time_zone(std::string_view name) {
  const std::string zone(name);
  std::error_code ec;
  return zone == "UTC" || (!zone.empty() && zone.find("..") == std::string::npos && zone.front() != '/' &&
                           std::filesystem::is_regular_file("/usr/share/zoneinfo/" + zone, ec));
}

void set_time_zone(std::string_view name) {
  const std::string zone(name);
  if (!is_time_zone(zone))
    throw Error(ErrorKind::config,
                fmt::format("unknown time zone \"{}\"; expected an IANA zone like Asia/Shanghai or UTC", zone));
  std::lock_guard lock(g_zone_mutex);
  ::setenv("TZ", zone.c_str(), 1);
  ::tzset();
  g_zone_name = zone;
}

std::string time_zone() {
  std::lock_guard lock(g_zone_mutex);
  return g_zone_name;
}

CivilTime to_utc(Timestamp t) {
  const std::int64_t days = (t >= 0 ? t : t - 86399) / 86400;
  const std::int64_t secs = t - days * 86400;
  // civil_from_days
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilTime c;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(static_cast<std::int64_t>(yoe) + era * 400 + (c.month <= 2));
  c.hour = static_cast<int>(secs / 3600);
  c.minute = static_cast<int>(secs % 3600 / 60);
  c.second = static_cast<int>(secs % 60);
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  return c;
}

Timestamp from_utc(const CivilTime& c) {
  return days_from_civil(c.year, static_cast<unsigned>(c.month), static_cast<unsigned>(c.day)) * 86400 +
         c.hour * 3600 + c.minute * 60 + c.second;
}

CivilTime to_local(Timestamp t) {
  std::tm tm{};
  const auto tt = static_cast<std::time_t>(t);
  {
    std::lock_guard lock(g_zone_mutex);
    ::localtime_r(&tt, &tm);
  }
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tm.tm_wday};
}

Timestamp from_local(const CivilTime& c) {
  std::tm tm{};
  tm.tm_year = c.year - 1900;
  tm.tm_mon = c.month - 1;
  tm.tm_mday = c.day;
  tm.tm_hour = c.hour;
  tm.tm_min = c.minute;
  tm.tm_sec = c.second;
  tm.tm_isdst = -1;
  std::lock_guard lock(g_zone_mutex);
  return static_cast<Timestamp>(::mktime(&tm));
}

Timestamp local_midnight(Timestamp t) {
  CivilTime c = to_local(t);
  c.hour = c.minute = c.second = 0;
  return from_local(c);
}

std::optional<Timestamp> try_parse_time(std::string_view text, Timestamp now) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  const std::string lower = to_lower(text);
  if (lower == "now") return now;
  if (lower == "today") return local_midnight(now);
  if (lower == "yesterday") return local_midnight(local_midnight(now) - 1);
  if ((text[0] == '-' || text[0] == '+') && text.size() > 1 && text[1] >= '0' && text[1] <= '9') {
    const auto d = try_parse_duration(text.substr(1));
    if (!d) return std::nullopt;
    return text[0] == '-' ? now - *d : now + *d;
  }
  return parse_absolute(text, now);
}

Timestamp parse_time(std::string_view text, Timestamp now) {
  if (auto t = try_parse_time(text, now)) return *t;
  throw Error(ErrorKind::usage, fmt::format("invalid time \"{}\"; {}", text, k_time_forms));
}

std::optional<Seconds> try_parse_duration(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  static constexpr std::string_view k_units = "wdhms";
  static constexpr Seconds k_sizes[] = {604800, 86400, 3600, 60, 1};
  Seconds total = 0;
  std::size_t next_unit = 0;  // units must come largest first, each at most once
  std::size_t i = 0;
  while (i < text.size()) {
    Seconds n = 0;
    const std::size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (i - start >= 9) return std::nullopt;
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == start || i == text.size()) return std::nullopt;
    const auto unit = k_units.find(static_cast<char>(text[i] | 0x20));
    if (unit == std::string_view::npos || unit < next_unit) return std::nullopt;
    total += n * k_sizes[unit];
    next_unit = unit + 1;
    ++i;
  }
  return total;
}

Seconds parse_duration(std::string_view text) {
  if (auto d = try_parse_duration(text)) return *d;
  throw Error(ErrorKind::usage, fmt::format("invalid duration \"{}\"; {}", text, k_duration_forms));
}

std::string format_duration(Seconds s) {
  if (s == 0) return "0s";
  std::string out = s < 0 ? "-" : "";
  Seconds rest = s < 0 ? -s : s;
  static constexpr std::pair<Seconds, char> k_parts[] = {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  for (const auto& [size, unit] : k_parts) {
    if (rest >= size) {
      out += fmt::format("{}{}", rest / size, unit);
      rest %= size;
    }
  }
  return out;
}

std::string format_rfc3339(Timestamp t) {
  const CivilTime c = to_utc(t);
  if (c.year < 0 || c.year > 9999)
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second);
  // By hand: every JSON ticket carries several of these, and fmt's runtime parsing of the
  // pattern cost more than the rest of the ticket's conversion.
  std::string out = "0000-00-00T00:00:00Z";
  auto put = [&out](std::size_t at, int value, int digits) {
    for (int i = digits - 1; i >= 0; --i, value /= 10) out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  put(0, c.year, 4);
  put(5, c.month, 2);
  put(8, c.day, 2);
  put(11, c.hour, 2);
  put(14, c.minute, 2);
  put(17, c.second, 2);
  return out;
}

std::string format_local(Timestamp t, bool seconds) {
  const CivilTime c = to_local(t);
  if (seconds)
    return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute, c.second);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", c.year, c.month, c.day, c.hour, c.minute);
}

namespace {
std::optional<int> clock_minutes(std::string_view s) {
  s = trim(s);
  if (s.size() != 5 || s[2] != ':') return std::nullopt;
  const auto h = parse_int(s.substr(0, 2));
  const auto m = parse_int(s.substr(3, 2));
  if (!h || !m || *h < 0 || *m < 0 || *m > 59 || *h > 24 || (*h == 24 && *m != 0)) return std::nullopt;
  return static_cast<int>(*h * 60 + *m);
}
}  // namespace

std::optional<std::vector<DaySpan>> parse_day_spans(std::string_view text) {
  std::vector<DaySpan> spans;
  if (trim(text).empty()) return spans;
  for (const auto& part : split(text, ',')) {
    const auto range = split(part, '-');
    if (range.size() != 2) return std::nullopt;
    const auto from = clock_minutes(range[0]);
    const auto to = clock_minutes(range[1]);
    if (!from || !to || *from >= *to || (!spans.empty() && *from < spans.back().to_minute)) return std::nullopt;
    spans.push_back({*from, *to});
  }
  return spans;
}

namespace {
Timestamp local_date(int y, int m, int d) {
  while (m > 12) {
    m -= 12;
    ++y;
  }
  return from_local({y, m, d, 0, 0, 0});
}
}  // namespace

std::optional<Period> parse_period(std::string_view text) {
  text = trim(text);
  Period p;
  p.name = std::string(text);
  const auto parts = split(text, '-');
  const auto year = parts[0].size() == 4 ? parse_int(parts[0]) : std::nullopt;
  if (!year || *year < 1970 || *year > 9999) return std::nullopt;
  const int y = static_cast<int>(*year);
  if (parts.size() == 1) {
    p.start = local_date(y, 1, 1);
    p.end = local_date(y + 1, 1, 1);
    return p;
  }
  if (parts.size() == 2 && parts[1].size() == 2 && (parts[1][0] == 'Q' || parts[1][0] == 'q')) {
    const auto q = parse_int(parts[1].substr(1));
    if (!q || *q < 1 || *q > 4) return std::nullopt;
    const int first = static_cast<int>(*q - 1) * 3 + 1;
    p.start = local_date(y, first, 1);
    p.end = local_date(y, first + 3, 1);
    p.name = fmt::format("{}-Q{}", y, *q);
    return p;
  }
  const auto month = parts.size() >= 2 && parts[1].size() == 2 ? parse_int(parts[1]) : std::nullopt;
  if (!month || *month < 1 || *month > 12) return std::nullopt;
  const int m = static_cast<int>(*month);
  if (parts.size() == 2) {
    p.start = local_date(y, m, 1);
    p.end = local_date(y, m + 1, 1);
    return p;
  }
  const auto day = parts.size() == 3 && parts[2].size() == 2 ? parse_int(parts[2]) : std::nullopt;
  if (!day || *day < 1 || *day > days_in_month(y, m)) return std::nullopt;
  p.start = local_date(y, m, static_cast<int>(*day));
  p.end = local_midnight(p.start + 36 * 3600);
  return p;
}

Period month_of(Timestamp t) {
  const auto c = to_local(t);
  return *parse_period(fmt::format("{:04}-{:02}", c.year, c.month));
}

Period previous_month(Timestamp t) { return month_of(month_of(t).start - 1); }

std::string format_relative(Timestamp t, Timestamp now) {
  const Seconds d = t - now;
  const Seconds a = d < 0 ? -d : d;
  if (a < 60) return "just now";
  std::string amount;
  if (a < 3600) amount = fmt::format("{}m", a / 60);
  else if (a < 86400) amount = fmt::format("{}h", a / 3600);
  else if (a < 86400 * 60) amount = fmt::format("{}d", a / 86400);
  else return format_local(t).substr(0, 10);
  return d < 0 ? amount + " ago" : "in " + amount;
}

}  // namespace opsdesk::core
