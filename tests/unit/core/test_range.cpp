// Nagios threshold ranges: every form of the plugin guidelines, end points inside, and the
// malformed ones a config may hold (which must be refused, never read as "no threshold").
#include <doctest/doctest.h>

#include <string>

#include "core/range.hpp"
#include "support/helpers.hpp"

using opsdesk::core::parse_range;
using opsdesk::core::Range;

TEST_SUITE_BEGIN("core");

namespace {

Range parsed(const char* text) {
  const auto r = parse_range(text);
  REQUIRE_MESSAGE(r.has_value(), "parse_range(\"", text, "\") refused a valid range");
  return *r;
}

}  // namespace

TEST_CASE("core::parse_range, 10: alert outside 0..10") {
  const Range r = parsed("10");
  CHECK(r.start == 0);
  CHECK(r.end == 10);
  CHECK_FALSE(r.start_infinite);
  CHECK_FALSE(r.end_infinite);
  CHECK_FALSE(r.inside);
  CHECK(r.text == "10");
  CHECK(r.alerts(-1));
  CHECK(r.alerts(-0.001));
  CHECK_FALSE(r.alerts(0));
  CHECK_FALSE(r.alerts(5));
  CHECK_FALSE(r.alerts(10));  // end points are inside the range
  CHECK(r.alerts(10.001));
  CHECK(r.alerts(11));
}

TEST_CASE("core::parse_range, 10: alert below 10") {
  const Range r = parsed("10:");
  CHECK(r.start == 10);
  CHECK(r.end_infinite);
  CHECK(r.alerts(9.999));
  CHECK(r.alerts(-5));
  CHECK_FALSE(r.alerts(10));
  CHECK_FALSE(r.alerts(1e12));
}

TEST_CASE("core::parse_range, ~:10 alert above 10") {
  const Range r = parsed("~:10");
  CHECK(r.start_infinite);
  CHECK_FALSE(r.end_infinite);
  CHECK(r.end == 10);
  CHECK_FALSE(r.alerts(-1e12));
  CHECK_FALSE(r.alerts(-1));
  CHECK_FALSE(r.alerts(10));
  CHECK(r.alerts(10.5));
}

TEST_CASE("core::parse_range, 10:20 alert outside 10..20") {
  const Range r = parsed("10:20");
  CHECK(r.start == 10);
  CHECK(r.end == 20);
  CHECK(r.alerts(9));
  CHECK_FALSE(r.alerts(10));
  CHECK_FALSE(r.alerts(15));
  CHECK_FALSE(r.alerts(20));
  CHECK(r.alerts(21));
  SUBCASE("a single point") {
    const Range p = parsed("5:5");
    CHECK_FALSE(p.alerts(5));
    CHECK(p.alerts(4.9));
    CHECK(p.alerts(5.1));
  }
}

TEST_CASE("core::parse_range, @10:20 alert inside 10..20") {
  const Range r = parsed("@10:20");
  CHECK(r.inside);
  CHECK(r.text == "@10:20");
  CHECK_FALSE(r.alerts(9.99));
  CHECK(r.alerts(10));  // end points included
  CHECK(r.alerts(15));
  CHECK(r.alerts(20));
  CHECK_FALSE(r.alerts(20.01));
  SUBCASE("@10 alerts inside 0..10") {
    const Range a = parsed("@10");
    CHECK(a.alerts(0));
    CHECK(a.alerts(10));
    CHECK_FALSE(a.alerts(-1));
    CHECK_FALSE(a.alerts(11));
  }
}

TEST_CASE("core::parse_range, negative and fractional end points") {
  SUBCASE("-5:-1") {
    const Range r = parsed("-5:-1");
    CHECK(r.start == -5);
    CHECK(r.end == -1);
    CHECK(r.alerts(-6));
    CHECK_FALSE(r.alerts(-5));
    CHECK_FALSE(r.alerts(-3));
    CHECK_FALSE(r.alerts(-1));
    CHECK(r.alerts(0));
  }
  SUBCASE("10.5:") {
    const Range r = parsed("10.5:");
    CHECK(r.start == doctest::Approx(10.5));
    CHECK(r.end_infinite);
    CHECK(r.alerts(10.4));
    CHECK_FALSE(r.alerts(10.5));
    CHECK_FALSE(r.alerts(1000));
  }
  SUBCASE("@~:0 alerts at zero and below") {
    const Range r = parsed("@~:0");
    CHECK(r.inside);
    CHECK(r.start_infinite);
    CHECK(r.alerts(0));
    CHECK(r.alerts(-100));
    CHECK_FALSE(r.alerts(0.001));
  }
  SUBCASE("0.25") {
    const Range r = parsed("0.25");
    CHECK_FALSE(r.alerts(0.25));
    CHECK(r.alerts(0.26));
  }
}

TEST_CASE("core::parse_range, surrounding blanks are ignored") {
  const Range r = parsed(" 10 ");
  CHECK(r.start == 0);
  CHECK(r.end == 10);
  CHECK_FALSE(r.alerts(10));
  CHECK(r.alerts(11));
}

TEST_CASE("core::parse_range, ~: is the whole line and never alerts") {
  // monitoring-plugins accept it (start -inf, no end); it can never fire.
  const Range r = parsed("~:");
  CHECK(r.start_infinite);
  CHECK(r.end_infinite);
  CHECK_FALSE(r.alerts(-1e300));
  CHECK_FALSE(r.alerts(0));
  CHECK_FALSE(r.alerts(1e300));
}

TEST_CASE("core::parse_range, malformed ranges are refused") {
  for (const char* bad : {"", " ", "@", "abc", "1:2:3", "20:10", "1e3", "~", "10:~", "inf", "nan", "-", ".", "1.2.3",
                          "10 20", "10;20", "@@10", "10@", "~10", "0x10", "10%", "--1", "1-"}) {
    const std::string text = bad;
    CAPTURE(text);
    CHECK_FALSE(parse_range(bad).has_value());
  }
}

TEST_SUITE_END();
