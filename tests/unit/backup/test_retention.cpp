#include <doctest/doctest.h>

#include <set>

#include "backup/retention.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

using namespace opsdesk;
using backup::apply_retention;

TEST_SUITE_BEGIN("backup");

namespace {

struct Utc {
  Utc() { core::set_time_zone("UTC"); }
};

core::Timestamp at(const char* text) { return core::parse_time(text, 0); }

std::set<std::string> kept(const std::vector<core::Timestamp>& times, const config::Config::Retention& p,
                           core::Timestamp now = 4102444800 /* 2100 */) {
  std::set<std::string> out;
  for (const auto& d : apply_retention(times, std::vector<bool>(times.size(), false), p, now))
    if (d.keep) out.insert(core::format_rfc3339(times[d.index]).substr(0, 16));
  return out;
}

}  // namespace

TEST_CASE("backup::apply_retention, restic's documented example: 12 Sundays, keep-daily 4") {
  Utc utc;
  std::vector<core::Timestamp> sundays;
  for (int i = 0; i < 12; ++i) sundays.push_back(at("2019-09-01T11:00:00Z") + i * 7 * 86400LL);
  config::Config::Retention p;
  p.keep_daily = 4;
  CHECK(kept(sundays, p) == std::set<std::string>{"2019-10-27T11:00", "2019-11-03T11:00", "2019-11-10T11:00", "2019-11-17T11:00"});
}

TEST_CASE("backup::apply_retention, restic's documented example: daily for years, 7 daily 5 weekly 12 monthly 75 yearly") {
  Utc utc;
  std::vector<core::Timestamp> daily;
  for (core::Timestamp t = at("2000-01-01T02:00:00Z"); t <= at("2026-11-25T02:00:00Z"); t += 86400) daily.push_back(t);
  config::Config::Retention p;
  p.keep_daily = 7;
  p.keep_weekly = 5;
  p.keep_monthly = 12;
  p.keep_yearly = 75;
  const auto decisions = apply_retention(daily, std::vector<bool>(daily.size(), false), p, at("2027-01-01"));
  std::size_t d = 0, w = 0, m = 0, y = 0, total = 0;
  for (const auto& x : decisions) {
    if (!x.keep) continue;
    ++total;
    for (const auto& r : x.reasons) {
      d += r.starts_with("daily");
      w += r.starts_with("weekly");
      m += r.starts_with("monthly");
      y += r.starts_with("yearly");
    }
  }
  CHECK(d == 7);
  CHECK(w == 5);
  CHECK(m == 12);
  CHECK(y == 27);  // 2000..2026, fewer than 75: the oldest is kept too (restic 0.17)
  // 7 dailies include one week's last day; months and years overlap with them.
  CHECK(total < d + w + m + y + 1);
  const auto oldest = std::find_if(decisions.begin(), decisions.end(), [&](const auto& x) { return daily[x.index] == daily.front(); });
  REQUIRE(oldest != decisions.end());
  CHECK(oldest->keep);
}

TEST_CASE("backup::apply_retention, buckets are calendar buckets and only those with backups count") {
  Utc utc;
  // Three backups on Monday, one on Wednesday, nothing for two weeks, one on a Sunday.
  const std::vector<core::Timestamp> times = {at("2026-11-02T01:00:00Z"), at("2026-11-02T09:00:00Z"),
                                              at("2026-11-02T23:00:00Z"), at("2026-11-04T10:00:00Z"),
                                              at("2026-11-22T10:00:00Z")};
  config::Config::Retention p;
  SUBCASE("daily 2: the newest of the two newest days that have backups") {
    p.keep_daily = 2;
    CHECK(kept(times, p) == std::set<std::string>{"2026-11-04T10:00", "2026-11-22T10:00"});
  }
  SUBCASE("weekly 2: weeks run Monday to Sunday") {
    p.keep_weekly = 2;
    CHECK(kept(times, p) == std::set<std::string>{"2026-11-04T10:00", "2026-11-22T10:00"});
  }
  SUBCASE("last 2") {
    p.keep_last = 2;
    CHECK(kept(times, p) == std::set<std::string>{"2026-11-04T10:00", "2026-11-22T10:00"});
  }
  SUBCASE("hourly 10 keeps each hour, and the oldest while counts are left") {
    p.keep_hourly = 10;
    CHECK(kept(times, p).size() == 5);
  }
  SUBCASE("within 20d is measured from the newest backup, not from now") {
    p.keep_within = 20 * 86400;
    // 2026-11-22 10:00 less 20 days is 2026-11-02 10:00.
    CHECK(kept(times, p, at("2030-01-01")) ==
          std::set<std::string>{"2026-11-02T23:00", "2026-11-04T10:00", "2026-11-22T10:00"});
  }
  SUBCASE("OR-ed: one backup fills several rules") {
    p.keep_daily = 1;
    p.keep_weekly = 1;
    p.keep_monthly = 1;
    const auto d = apply_retention(times, std::vector<bool>(times.size(), false), p, at("2030-01-01"));
    std::size_t keeps = 0;
    for (const auto& x : d) keeps += x.keep;
    CHECK(keeps == 1);
    CHECK(d[4].reasons == std::vector<std::string>{"daily 1", "weekly 1", "monthly 1"});
  }
  SUBCASE("a protected backup is always kept") {
    p.keep_last = 1;
    std::vector<bool> protect(times.size(), false);
    protect[0] = true;
    const auto d = apply_retention(times, protect, p, at("2030-01-01"));
    CHECK(d[0].keep);
    CHECK(d[0].reasons == std::vector<std::string>{"newest verified"});
    CHECK_FALSE(d[1].keep);
  }
}

TEST_CASE("backup::apply_retention, an empty policy is refused") {
  CHECK_THROWS_AS(apply_retention({0, 1}, {false, false}, config::Config::Retention{}, 10), Error);
}

TEST_SUITE_END();
