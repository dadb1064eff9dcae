#include <doctest/doctest.h>

#include "core/error.hpp"
#include "core/time.hpp"

using namespace opsdesk;
using namespace opsdesk::core;

TEST_SUITE_BEGIN("core");

namespace {
// 2026-11-25T06:30:00Z, a Wednesday.
constexpr Timestamp k_now = 1795588200;

struct ZoneGuard {
  explicit ZoneGuard(const char* zone) { set_time_zone(zone); }
  ~ZoneGuard() { set_time_zone("UTC"); }
};
}  // namespace

TEST_CASE("core::parse_time, absolute forms") {
  ZoneGuard zone("Asia/Shanghai");  // UTC+8, no DST
  SUBCASE("RFC 3339 with Z and with an offset") {
    CHECK(parse_time("2026-11-25T06:30:00Z", k_now) == k_now);
    CHECK(parse_time("2026-11-25t06:30:00z", k_now) == k_now);
    CHECK(parse_time("2026-11-25T14:30:00+08:00", k_now) == k_now);
    CHECK(parse_time("2026-11-25T01:30:00-0500", k_now) == k_now);
    CHECK(parse_time("2026-11-25T06:30:00.250Z", k_now) == k_now);
  }
  SUBCASE("local date and time") {
    CHECK(parse_time("2026-11-25 14:30", k_now) == k_now);
    CHECK(parse_time("2026-11-25 14:30:00", k_now) == k_now);
    CHECK(parse_time("2026-11-25T14:30", k_now) == k_now);
    CHECK(parse_time("2026-11-25", k_now) == k_now - 14 * 3600 - 1800);
  }
  SUBCASE("HH:MM is today in the desk's zone") {
    CHECK(parse_time("14:30", k_now) == k_now);
    CHECK(parse_time("02:10", k_now) == k_now - 12 * 3600 - 20 * 60);
    CHECK(parse_time("14:30:15", k_now) == k_now + 15);
  }
  SUBCASE("words") {
    CHECK(parse_time("now", k_now) == k_now);
    CHECK(parse_time("NOW", k_now) == k_now);
    CHECK(parse_time("today", k_now) == k_now - 14 * 3600 - 1800);
    CHECK(parse_time("yesterday", k_now) == k_now - 14 * 3600 - 1800 - 86400);
  }
}

TEST_CASE("core::parse_time, relative forms") {
  CHECK(parse_time("-2h", k_now) == k_now - 7200);
  CHECK(parse_time("+30m", k_now) == k_now + 1800);
  CHECK(parse_time("-1h30m", k_now) == k_now - 5400);
  CHECK(parse_time("-2d", k_now) == k_now - 2 * 86400);
  CHECK(parse_time(" -45s ", k_now) == k_now - 45);
}

TEST_CASE("core::parse_time, malformed forms") {
  for (const char* bad : {"", "   ", "2026-13-01", "2026-02-30", "2026-11-25 24:00", "2026-11-25 12:60",
                          "2026-11-25T12:00:00+25:00", "2026-11-25X12:00", "25/11/2026", "2026-11-25 14",
                          "14", "14:5", "1430", "-", "+", "-2x", "-h", "tomorrow", "2026-11-25T14:30:00Zjunk",
                          "2026-1-5", "99:99", "2026-11-25 14:30:61", "-2h-1m"}) {
    CAPTURE(bad);
    CHECK_FALSE(try_parse_time(bad, k_now).has_value());
    CHECK_THROWS_AS(parse_time(bad, k_now), Error);
  }
  try {
    parse_time("2026-13-01", k_now);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::usage);
    CHECK(std::string(e.what()).find("\"2026-13-01\"") != std::string::npos);
    CHECK(std::string(e.what()).find("RFC 3339") != std::string::npos);
  }
}

TEST_CASE("core::parse_time, leap day") {
  ZoneGuard zone("UTC");
  CHECK(parse_time("2028-02-29", k_now) == from_utc({2028, 2, 29, 0, 0, 0}));
  CHECK_FALSE(try_parse_time("2027-02-29", k_now).has_value());
  CHECK_FALSE(try_parse_time("2100-02-29", k_now).has_value());
  CHECK(try_parse_time("2000-02-29", k_now).has_value());
}

TEST_CASE("core::parse_duration") {
  SUBCASE("every unit and combinations") {
    CHECK(parse_duration("30m") == 1800);
    CHECK(parse_duration("8h") == 28800);
    CHECK(parse_duration("2d") == 172800);
    CHECK(parse_duration("1w") == 604800);
    CHECK(parse_duration("45s") == 45);
    CHECK(parse_duration("1h30m") == 5400);
    CHECK(parse_duration("1d2h3m4s") == 93784);
    CHECK(parse_duration("0m") == 0);
    CHECK(parse_duration("90M") == 5400);
  }
  SUBCASE("malformed") {
    for (const char* bad : {"", "30", "m", "1.5h", "30m1h", "1h1h", "-30m", "30 m", "1y", "h30", "9999999999h"}) {
      CAPTURE(bad);
      CHECK_FALSE(try_parse_duration(bad).has_value());
      CHECK_THROWS_AS(parse_duration(bad), Error);
    }
  }
}

TEST_CASE("core::format_duration") {
  CHECK(format_duration(0) == "0s");
  CHECK(format_duration(5400) == "1h30m");
  CHECK(format_duration(86400) == "1d");
  CHECK(format_duration(93784) == "1d2h3m4s");
  CHECK(format_duration(-1800) == "-30m");
  CHECK(parse_duration(format_duration(93784)) == 93784);
}

TEST_CASE("core::format_rfc3339") {
  CHECK(format_rfc3339(0) == "1970-01-01T00:00:00Z");
  CHECK(format_rfc3339(k_now) == "2026-11-25T06:30:00Z");
  CHECK(format_rfc3339(-1) == "1969-12-31T23:59:59Z");
  CHECK(parse_time(format_rfc3339(k_now), 0) == k_now);
  CHECK(format_rfc3339(253402300799) == "9999-12-31T23:59:59Z");
  CHECK(format_rfc3339(951782400 + 86399) == "2000-02-29T23:59:59Z");
  CHECK(format_rfc3339(-62135596800) == "0001-01-01T00:00:00Z");
  for (Timestamp t = -86400 * 400; t < 86400LL * 366 * 60; t += 86400 * 7 + 3661) {  // every field's digits
    CAPTURE(t);
    REQUIRE(parse_time(format_rfc3339(t), 0) == t);
  }
}

TEST_CASE("core::to_local, DST change") {
  ZoneGuard zone("Europe/Berlin");
  // 2026-03-29 02:00 local does not exist (clocks jump to 03:00).
  const Timestamp before = parse_time("2026-03-29 01:30", k_now);
  const Timestamp after = parse_time("2026-03-29 03:30", k_now);
  CHECK(after - before == 3600);
  CHECK(to_local(after).hour == 3);
  CHECK(format_local(parse_time("2026-03-29T01:00:00Z", k_now)) == "2026-03-29 03:00");
  CHECK(to_local(k_now).weekday == 3);  // Wednesday
}

TEST_CASE("core::set_time_zone, unknown zone") {
  CHECK_THROWS_AS(set_time_zone("Mars/Olympus"), Error);
  CHECK_THROWS_AS(set_time_zone("../etc/passwd"), Error);
  CHECK(is_time_zone("UTC"));
  CHECK(is_time_zone("Asia/Shanghai"));
  CHECK_FALSE(is_time_zone(""));
}

TEST_CASE("core::format_relative") {
  CHECK(format_relative(k_now - 30, k_now) == "just now");
  CHECK(format_relative(k_now - 720, k_now) == "12m ago");
  CHECK(format_relative(k_now + 7200, k_now) == "in 2h");
  CHECK(format_relative(k_now - 3 * 86400, k_now) == "3d ago");
}

TEST_SUITE_END();
