#include "backup/retention.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <optional>

#include "core/error.hpp"

namespace opsdesk::backup {

namespace {

// ISO 8601 week-numbering year and week of a local date (weeks run Monday to Sunday).
std::pair<int, int> iso_week(const core::CivilTime& c) {
  core::CivilTime day = c;
  day.hour = 12;  // noon: safe from DST edges
  day.minute = day.second = 0;
  const auto t = core::from_local(day);
  const int wday = (c.weekday + 6) % 7;  // Monday = 0
  const auto thursday = core::to_local(t + (3 - wday) * 86400LL);
  core::CivilTime jan1{thursday.year, 1, 1, 12, 0, 0};
  const auto start = core::from_local(jan1);
  const int ordinal = static_cast<int>((core::from_local({thursday.year, thursday.month, thursday.day, 12, 0, 0}) - start) / 86400);
  return {thursday.year, ordinal / 7 + 1};
}

struct Rule {
  const char* name;
  int count;
  long long (*bucket)(core::Timestamp, std::size_t);
};

}  // namespace

// `t` moved back by `d` the way restic does: whole days on the calendar, the rest in time.
core::Timestamp minus_calendar(core::Timestamp t, core::Seconds d) {
  auto c = core::to_local(t);
  c.day -= static_cast<int>(d / 86400);
  while (c.day < 1) {
    if (--c.month < 1) {
      c.month = 12;
      --c.year;
    }
    c.day += core::days_in_month(c.year, c.month);
  }
  return core::from_local(c) - d % 86400;
}

std::vector<Decision> apply_retention(const std::vector<core::Timestamp>& times, const std::vector<bool>& protect,
                                      const config::Config::Retention& p, core::Timestamp now) {
  if (p.empty())
    throw Error(ErrorKind::config, "the retention policy is empty: prune would remove every backup; set [backup.retention] "
                                   "keep_last, keep_daily, ... (or a target's retention)");
  std::vector<std::size_t> order(times.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return times[a] > times[b]; });
  auto local = [](core::Timestamp t) { return core::to_local(t); };
  const Rule rules[] = {
      {"last", p.keep_last, [](core::Timestamp, std::size_t i) { return static_cast<long long>(i); }},
      {"hourly", p.keep_hourly,
       [](core::Timestamp t, std::size_t) {
         const auto c = core::to_local(t);
         return ((c.year * 100LL + c.month) * 100 + c.day) * 100 + c.hour;
       }},
      {"daily", p.keep_daily,
       [](core::Timestamp t, std::size_t) {
         const auto c = core::to_local(t);
         return (c.year * 100LL + c.month) * 100 + c.day;
       }},
      {"weekly", p.keep_weekly,
       [](core::Timestamp t, std::size_t) {
         const auto [y, w] = iso_week(core::to_local(t));
         return y * 100LL + w;
       }},
      {"monthly", p.keep_monthly,
       [](core::Timestamp t, std::size_t) {
         const auto c = core::to_local(t);
         return c.year * 100LL + c.month;
       }},
      {"yearly", p.keep_yearly, [](core::Timestamp t, std::size_t) { return static_cast<long long>(core::to_local(t).year); }},
  };
  (void)local;
  std::vector<Decision> out(times.size());
  std::vector<int> left;
  std::vector<std::optional<long long>> last_bucket(std::size(rules));
  std::vector<int> used(std::size(rules), 0);
  for (const auto& r : rules) left.push_back(r.count);
  core::Timestamp newest = 0;  // the newest backup that is not in the future
  for (const auto t : times)
    if (t > newest && t < now) newest = t;
  for (std::size_t pos = 0; pos < order.size(); ++pos) {
    const std::size_t i = order[pos];
    Decision& d = out[i];
    d.index = i;
    for (std::size_t r = 0; r < std::size(rules); ++r) {
      if (left[r] == 0) continue;
      const long long bucket = rules[r].bucket(times[i], pos);
      const bool oldest = pos + 1 == order.size();
      // An older backup of a bucket already kept goes, unless it is the oldest of all and the
      // rule has counts left.
      if (last_bucket[r] == bucket && !oldest) continue;
      const bool same = last_bucket[r] == bucket;
      last_bucket[r] = bucket;
      if (left[r] > 0) --left[r];
      d.keep = true;
      d.reasons.push_back(same ? fmt::format("oldest {}", rules[r].name) : fmt::format("{} {}", rules[r].name, ++used[r]));
    }
    if (p.keep_within > 0 && times[i] > minus_calendar(newest, p.keep_within)) {
      d.keep = true;
      d.reasons.push_back(fmt::format("within {}", core::format_duration(p.keep_within)));
    }
    if (i < protect.size() && protect[i]) {
      d.keep = true;
      d.reasons.emplace_back("newest verified");
    }
  }
  return out;
}

}  // namespace opsdesk::backup
