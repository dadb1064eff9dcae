#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "output/progress.hpp"
#include "support/helpers.hpp"

using namespace opsdesk::output;
using namespace std::chrono_literals;
using Clock = ProgressLine::Clock;

TEST_SUITE_BEGIN("output");

namespace {

constexpr std::uint64_t KiB = 1024;
constexpr std::uint64_t MiB = 1024 * KiB;

std::size_t draws(const std::string& out) { return static_cast<std::size_t>(std::count(out.begin(), out.end(), '\r')); }

}  // namespace

TEST_CASE("output::ProgressLine::render") {
  SUBCASE("done only, when the total is unknown") {
    CHECK(ProgressLine::render("erp-db", 0, std::nullopt, 0) == "erp-db  0 B");
    CHECK(ProgressLine::render("erp-db", 512, std::nullopt, 0.2) == "erp-db  512 B");
    CHECK(ProgressLine::render("erp-db", 3 * MiB / 2, std::nullopt, 0) == "erp-db  1.5 MiB");
  }
  SUBCASE("with a total: of what, and the share in percent") {
    CHECK(ProgressLine::render("erp-db", KiB, 4 * KiB, 0) == "erp-db  1.0 KiB of 4.0 KiB  25%");
    CHECK(ProgressLine::render("erp-db", 0, 4 * KiB, 0) == "erp-db  0 B of 4.0 KiB  0%");
    CHECK(ProgressLine::render("erp-db", 4 * KiB, 4 * KiB, 0) == "erp-db  4.0 KiB of 4.0 KiB  100%");
    CHECK(ProgressLine::render("x", 1, 3, 0) == "x  1 B of 3 B  33%");
    CHECK(ProgressLine::render("x", 996, 1000, 0) == "x  996 B of 1000 B  99%");  // 100% only when done
  }
  SUBCASE("the share is capped at 100% when more was done than announced") {
    CHECK(ProgressLine::render("x", 5000, 4 * KiB, 0) == "x  4.9 KiB of 4.0 KiB  100%");
    CHECK(ProgressLine::render("x", 10 * MiB, 1, 0) == "x  10.0 MiB of 1 B  100%");
  }
  SUBCASE("a total of zero counts as unknown") { CHECK(ProgressLine::render("x", 10, 0, 0) == "x  10 B"); }
  SUBCASE("the rate appears from half a second on, once something is done") {
    CHECK(ProgressLine::render("x", KiB, std::nullopt, 0.49) == "x  1.0 KiB");
    CHECK(ProgressLine::render("x", KiB, std::nullopt, 0.5) == "x  1.0 KiB  2.0 KiB/s");
    CHECK(ProgressLine::render("x", 0, std::nullopt, 10) == "x  0 B");
    CHECK(ProgressLine::render("x", 0, 4 * KiB, 10) == "x  0 B of 4.0 KiB  0%");
  }
  SUBCASE("all together, as in the header's example") {
    CHECK(ProgressLine::render("erp-db", 412 * MiB, 1181116006, 2.0) == "erp-db  412.0 MiB of 1.1 GiB  36%  206.0 MiB/s");
  }
  SUBCASE("a CJK label is kept as it is") {
    CHECK(ProgressLine::render("数据库", 512, std::nullopt, 0) == "数据库  512 B");
  }
}

TEST_CASE("output::ProgressLine disabled") {
  std::ostringstream out;
  {
    ProgressLine line(out, false, "erp-db");
    const auto t0 = Clock::now();
    line.update(0, 100, t0);
    line.update(50, 100, t0 + 1s);
    line.update(100, 100, t0 + 2s);
    line.clear();
  }
  CHECK(out.str().empty());
}

TEST_CASE("output::ProgressLine enabled") {
  std::ostringstream out;
  SUBCASE("draws at column 0 and erases the rest of the line") {
    ProgressLine line(out, true, "erp-db");
    line.update(KiB, 4 * KiB, Clock::now());
    CHECK(out.str() == "\rerp-db  1.0 KiB of 4.0 KiB  25%\033[K");
  }
  SUBCASE("redrawn at most ten times a second") {
    ProgressLine line(out, true, "x");
    const auto t0 = Clock::now();
    line.update(1, std::nullopt, t0);
    line.update(2, std::nullopt, t0 + 50ms);
    line.update(3, std::nullopt, t0 + 99ms);
    CHECK(out.str() == "\rx  1 B\033[K");
    line.update(4, std::nullopt, t0 + 100ms);
    CHECK(out.str() == "\rx  1 B\033[K\rx  4 B\033[K");
    line.update(5, std::nullopt, t0 + 199ms);  // 99 ms after the last drawing
    CHECK(draws(out.str()) == 2);
    line.update(6, std::nullopt, t0 + 200ms);
    CHECK(draws(out.str()) == 3);
  }
  SUBCASE("a call every 10 ms for a second draws eleven times") {
    ProgressLine line(out, true, "x");
    const auto t0 = Clock::now();
    for (int ms = 0; ms <= 1000; ms += 10) line.update(static_cast<std::uint64_t>(ms), 1000, t0 + std::chrono::milliseconds(ms));
    CHECK(draws(out.str()) == 11);
    CHECK(out.str().ends_with("\rx  1000 B of 1000 B  100%  1000 B/s\033[K"));
  }
  SUBCASE("the rate uses the time since the line was made") {
    ProgressLine line(out, true, "erp-db");
    const auto t0 = Clock::now();
    line.update(0, 8 * MiB, t0);
    line.update(2 * MiB, 8 * MiB, t0 + 300ms);  // too early for a rate
    line.update(4 * MiB, 8 * MiB, t0 + 2s);
    CHECK(out.str() ==
          "\rerp-db  0 B of 8.0 MiB  0%\033[K"
          "\rerp-db  2.0 MiB of 8.0 MiB  25%\033[K"
          "\rerp-db  4.0 MiB of 8.0 MiB  50%  2.0 MiB/s\033[K");
  }
  SUBCASE("clear erases a drawn line once") {
    ProgressLine line(out, true, "x");
    line.update(1, std::nullopt, Clock::now());
    line.clear();
    CHECK(out.str() == "\rx  1 B\033[K\r\033[K");
    line.clear();
    CHECK(out.str() == "\rx  1 B\033[K\r\033[K");
  }
  SUBCASE("clear before anything was drawn writes nothing") {
    ProgressLine line(out, true, "x");
    line.clear();
    CHECK(out.str().empty());
  }
}

TEST_CASE("output::ProgressLine destructor") {
  std::ostringstream out;
  SUBCASE("erases a line still shown") {
    { ProgressLine line(out, true, "x"); line.update(1, std::nullopt, Clock::now()); }
    CHECK(out.str() == "\rx  1 B\033[K\r\033[K");
  }
  SUBCASE("writes nothing after clear") {
    {
      ProgressLine line(out, true, "x");
      line.update(1, std::nullopt, Clock::now());
      line.clear();
    }
    CHECK(out.str() == "\rx  1 B\033[K\r\033[K");
  }
  SUBCASE("writes nothing when nothing was drawn") {
    { const ProgressLine line(out, true, "x"); }
    CHECK(out.str().empty());
  }
}

TEST_CASE("output::ProgressLine::render counts things") {
  CHECK(ProgressLine::render("exporting", 12345, std::nullopt, 0.1, "tickets") == "exporting  12,345 tickets");
  CHECK(ProgressLine::render("checking", 3, 12, 0.2, "checks") == "checking  3 of 12 checks  25%");
  CHECK(ProgressLine::render("checking", 12, 12, 2.0, "checks") == "checking  12 of 12 checks  100%  6/s");
}

TEST_CASE("output::Activity") {
  CHECK(Activity::render("analysing erp", 12.7) == "analysing erp  12s");
  CHECK(Activity::render("restoring x", 125) == "restoring x  2m5s");
  std::ostringstream out;
  SUBCASE("work done within a second shows nothing") {
    { const Activity a(out, true, "quick"); }
    CHECK(out.str().empty());
  }
  SUBCASE("longer work shows the label and the time, then clears the line") {
    {
      const Activity a(out, true, "slow");
      std::this_thread::sleep_for(1300ms);
    }
    const auto text = out.str();
    CHECK(text.starts_with("\rslow  1s\033[K"));
    CHECK(text.ends_with("\r\033[K"));
  }
  SUBCASE("disabled, nothing ever") {
    {
      const Activity a(out, false, "slow");
      std::this_thread::sleep_for(1100ms);
    }
    CHECK(out.str().empty());
  }
}

TEST_SUITE_END();
