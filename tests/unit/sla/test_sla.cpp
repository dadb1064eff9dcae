#include <doctest/doctest.h>

#include <random>

#include "core/time.hpp"
#include "sla/sla.hpp"

using namespace opsdesk;
using namespace opsdesk::sla;
using core::Timestamp;
using Kind = Mark::Kind;
using model::Priority;

TEST_SUITE_BEGIN("sla");

namespace {

constexpr Timestamp k_t0 = 1795588200;  // 2026-11-25T06:30:00Z, a Wednesday
constexpr core::Seconds k_min = 60, k_hour = 3600;

Policy contract() {
  Policy p;
  p.targets = {{{30 * k_min, 30 * k_min, 30 * k_min, 30 * k_min},
                {8 * k_hour, 8 * k_hour, 24 * k_hour, 24 * k_hour},
                {5 * k_hour, 5 * k_hour, 5 * k_hour, 5 * k_hour},
                {2 * k_hour, 2 * k_hour, 2 * k_hour, 2 * k_hour}}};
  return p;
}

History incident(Priority p = Priority::urgent) {
  History h;
  h.created_at = k_t0;
  h.priority = p;
  return h;
}

Mark mark(Timestamp at, Kind kind) { return Mark{at, kind, Priority::medium, 0}; }

const ClockStatus& clock(const std::vector<ClockStatus>& all, Clock c) {
  for (const auto& s : all)
    if (s.clock == c) return s;
  FAIL("no such clock");
  return all.front();
}

struct ZoneGuard {
  explicit ZoneGuard(const char* z) { core::set_time_zone(z); }
  ~ZoneGuard() { core::set_time_zone("UTC"); }
};

}  // namespace

TEST_CASE("sla::evaluate, response clock") {
  SUBCASE("acknowledged in time") {
    auto h = incident();
    h.marks = {mark(k_t0 + 10 * k_min, Kind::acknowledged)};
    const auto r = clock(evaluate(h, contract(), k_t0 + k_hour), Clock::response);
    CHECK(r.state == State::met);
    CHECK(r.elapsed == 10 * k_min);
    CHECK(r.stopped_at == k_t0 + 10 * k_min);
    CHECK(r.remaining() == 20 * k_min);
  }
  SUBCASE("acknowledged exactly at the target is met") {
    auto h = incident();
    h.marks = {mark(k_t0 + 30 * k_min, Kind::acknowledged)};
    CHECK(clock(evaluate(h, contract(), k_t0 + k_hour), Clock::response).state == State::met);
  }
  SUBCASE("acknowledged late") {
    auto h = incident();
    h.marks = {mark(k_t0 + 31 * k_min, Kind::acknowledged)};
    const auto r = clock(evaluate(h, contract(), k_t0 + k_hour), Clock::response);
    CHECK(r.state == State::breached);
    CHECK(r.breached_at == k_t0 + 30 * k_min);
  }
  SUBCASE("running, then at risk, then breached as time passes") {
    const auto h = incident();
    auto r = clock(evaluate(h, contract(), k_t0 + 10 * k_min), Clock::response);
    CHECK(r.state == State::running);
    CHECK_FALSE(r.at_risk);
    CHECK(r.deadline == k_t0 + 30 * k_min);
    CHECK(r.warn_at == k_t0 + 1350);  // 75% of 30m
    r = clock(evaluate(h, contract(), k_t0 + 25 * k_min), Clock::response);
    CHECK(r.at_risk);
    r = clock(evaluate(h, contract(), k_t0 + 40 * k_min), Clock::response);
    CHECK(r.state == State::breached);
    CHECK_FALSE(r.at_risk);
  }
  SUBCASE("a resolution without acknowledgement answers too") {
    auto h = incident();
    h.marks = {mark(k_t0 + 5 * k_min, Kind::resolved)};
    CHECK(clock(evaluate(h, contract(), k_t0 + k_hour), Clock::response).state == State::met);
  }
}

TEST_CASE("sla::evaluate, planned downtime moves the start") {
  auto h = incident();
  h.downtime = {{k_t0 - k_hour, k_t0 + 2 * k_hour}};
  h.marks = {mark(k_t0 + 2 * k_hour + 20 * k_min, Kind::acknowledged)};
  const auto all = evaluate(h, contract(), k_t0 + 3 * k_hour);
  const auto r = clock(all, Clock::response);
  CHECK(r.start == k_t0 + 2 * k_hour);
  CHECK(r.before_start == 2 * k_hour);
  CHECK(r.elapsed == 20 * k_min);
  CHECK(r.state == State::met);
  SUBCASE("chained windows") {
    h.downtime.push_back({k_t0 + 2 * k_hour, k_t0 + 3 * k_hour});
    CHECK(after_downtime(k_t0, h.downtime) == k_t0 + 3 * k_hour);
  }
  SUBCASE("a window that starts after the ticket does not move it") {
    CHECK(after_downtime(k_t0 - 2 * k_hour, h.downtime) == k_t0 - 2 * k_hour);
    CHECK(after_downtime(k_t0 + 2 * k_hour, h.downtime) == k_t0 + 2 * k_hour);  // the end is not inside
  }
}

TEST_CASE("sla::evaluate, waiting for the customer pauses the resolution clock") {
  auto h = incident();
  h.marks = {mark(k_t0 + 10 * k_min, Kind::acknowledged), mark(k_t0 + k_hour, Kind::paused),
             mark(k_t0 + 3 * k_hour, Kind::unpaused), mark(k_t0 + 9 * k_hour, Kind::resolved)};
  const auto r = clock(evaluate(h, contract(), k_t0 + 10 * k_hour), Clock::resolution);
  CHECK(r.paused == 2 * k_hour);
  CHECK(r.elapsed == 7 * k_hour);
  CHECK(r.state == State::met);  // 9h on the wall, 7h counted, 8h target
  SUBCASE("paused now: no deadline, remaining frozen") {
    auto p = clock(evaluate(h, contract(), k_t0 + 2 * k_hour), Clock::resolution);
    CHECK(p.state == State::paused);
    CHECK_FALSE(p.deadline);
    CHECK(p.remaining() == 7 * k_hour);
  }
}

TEST_CASE("sla::evaluate, reopened: the clock resumes where it stopped, a breach stays") {
  auto h = incident();
  h.marks = {mark(k_t0 + 10 * k_min, Kind::acknowledged), mark(k_t0 + 6 * k_hour, Kind::resolved),
             mark(k_t0 + 30 * k_hour, Kind::reopened)};
  auto r = clock(evaluate(h, contract(), k_t0 + 31 * k_hour), Clock::resolution);
  CHECK(r.state == State::running);
  CHECK(r.elapsed == 7 * k_hour);
  CHECK(r.paused == 24 * k_hour);
  CHECK(r.deadline == k_t0 + 31 * k_hour + k_hour);
  h.marks.push_back(mark(k_t0 + 34 * k_hour, Kind::resolved));
  r = clock(evaluate(h, contract(), k_t0 + 40 * k_hour), Clock::resolution);
  CHECK(r.state == State::breached);
  CHECK(r.breached_at == k_t0 + 32 * k_hour);
  CHECK(r.elapsed == 10 * k_hour);
}

TEST_CASE("sla::evaluate, a priority change re-targets from the original start") {
  auto h = incident(Priority::low);  // 24h
  Mark up = mark(k_t0 + 3 * k_hour, Kind::priority);
  up.priority = Priority::urgent;  // 8h
  h.marks = {mark(k_t0 + 10 * k_min, Kind::acknowledged), mark(k_t0 + k_hour, Kind::paused),
             mark(k_t0 + 2 * k_hour, Kind::unpaused), up};
  const auto r = clock(evaluate(h, contract(), k_t0 + 4 * k_hour), Clock::resolution);
  CHECK(r.target == 8 * k_hour);
  CHECK(r.elapsed == 3 * k_hour);  // the earlier pause is kept
  CHECK(r.deadline == k_t0 + 9 * k_hour);
  SUBCASE("raised after the new target had passed: breached from the original start") {
    auto late = incident(Priority::low);
    Mark raise = mark(k_t0 + 10 * k_hour, Kind::priority);
    raise.priority = Priority::urgent;
    late.marks = {mark(k_t0 + 10 * k_min, Kind::acknowledged), raise};
    const auto s = clock(evaluate(late, contract(), k_t0 + 11 * k_hour), Clock::resolution);
    CHECK(s.state == State::breached);
    CHECK(s.breached_at == k_t0 + 8 * k_hour);
  }
  SUBCASE("lowered after a breach: still breached") {
    auto low = incident(Priority::urgent);
    Mark down = mark(k_t0 + 10 * k_hour, Kind::priority);
    down.priority = Priority::low;
    low.marks = {mark(k_t0 + 10 * k_min, Kind::acknowledged), down};
    const auto s = clock(evaluate(low, contract(), k_t0 + 11 * k_hour), Clock::resolution);
    CHECK(s.state == State::breached);
  }
}

TEST_CASE("sla::evaluate, an approved extension adds to the resolution target") {
  auto h = incident();
  Mark ext = mark(k_t0 + 5 * k_hour, Kind::extended);
  ext.seconds = 4 * k_hour;
  h.marks = {mark(k_t0 + 10 * k_min, Kind::acknowledged), ext, mark(k_t0 + 11 * k_hour, Kind::resolved)};
  const auto r = clock(evaluate(h, contract(), k_t0 + 12 * k_hour), Clock::resolution);
  CHECK(r.target == 12 * k_hour);
  CHECK(r.state == State::met);
  CHECK(clock(evaluate(h, contract(), k_t0 + 12 * k_hour), Clock::response).target == 30 * k_min);
}

TEST_CASE("sla::evaluate, on-site work") {
  auto h = incident();
  h.onsite = true;
  SUBCASE("before arrival there is no mitigation clock") {
    const auto all = evaluate(h, contract(), k_t0 + k_hour);
    CHECK(all.size() == 3);
    CHECK(clock(all, Clock::onsite).deadline == k_t0 + 5 * k_hour);
  }
  SUBCASE("arrival stops on-site and starts mitigation") {
    h.marks = {mark(k_t0 + 4 * k_hour, Kind::arrived), mark(k_t0 + 6 * k_hour + 30 * k_min, Kind::mitigated)};
    const auto all = evaluate(h, contract(), k_t0 + 7 * k_hour);
    CHECK(clock(all, Clock::onsite).state == State::met);
    const auto m = clock(all, Clock::mitigation);
    CHECK(m.start == k_t0 + 4 * k_hour);
    CHECK(m.elapsed == 2 * k_hour + 30 * k_min);
    CHECK(m.state == State::breached);
  }
}

TEST_CASE("sla::evaluate, a cancelled ticket's clocks stop counting for nothing") {
  auto h = incident();
  h.marks = {mark(k_t0 + 2 * k_hour, Kind::cancelled)};
  const auto all = evaluate(h, contract(), k_t0 + 20 * k_hour);
  CHECK(clock(all, Clock::response).state == State::cancelled);
  CHECK(clock(all, Clock::resolution).state == State::cancelled);
}

TEST_CASE("sla::Calendar, working time") {
  ZoneGuard zone("Asia/Shanghai");
  std::array<std::vector<Span>, 7> week;
  for (int d = 1; d <= 5; ++d) week[static_cast<std::size_t>(d)] = {{9 * 60, 12 * 60}, {13 * 60, 18 * 60}};
  const auto day = [](int y, int m, int d) { return y * 10000 + m * 100 + d; };
  const Calendar cal(week, {day(2026, 10, 1)}, {day(2026, 10, 10)}, {{9 * 60, 18 * 60}});
  const auto at = [](const char* text) { return core::parse_time(text, 0); };
  SUBCASE("within a day, around lunch") {
    CHECK(cal.working_seconds(at("2026-11-25 08:00"), at("2026-11-25 19:00")) == 8 * k_hour);
    CHECK(cal.working_seconds(at("2026-11-25 11:30"), at("2026-11-25 13:30")) == k_hour);
    CHECK(cal.add(at("2026-11-25 11:30"), k_hour) == at("2026-11-25 13:30"));
  }
  SUBCASE("across midnight and a weekend") {
    // Friday 17:00 + 2h → Monday 10:00.
    CHECK(cal.add(at("2026-11-27 17:00"), 2 * k_hour) == at("2026-11-30 10:00"));
    CHECK(cal.working_seconds(at("2026-11-27 17:00"), at("2026-11-30 10:00")) == 2 * k_hour);
    CHECK(cal.working_seconds(at("2026-11-28 00:00"), at("2026-11-30 00:00")) == 0);
  }
  SUBCASE("a holiday and a make-up workday") {
    CHECK(cal.working_seconds(at("2026-10-01 00:00"), at("2026-10-02 00:00")) == 0);          // Thursday off
    CHECK(cal.working_seconds(at("2026-10-10 00:00"), at("2026-10-11 00:00")) == 9 * k_hour);  // Saturday worked
  }
  SUBCASE("a new ticket outside hours starts at the next working minute") {
    CHECK(cal.add(at("2026-11-25 20:00"), 0) == at("2026-11-26 09:00"));
    CHECK(cal.add(at("2026-11-25 20:00"), 30 * k_min) == at("2026-11-26 09:30"));
  }
}

TEST_CASE("sla::Calendar, DST changes") {
  ZoneGuard zone("Europe/Berlin");
  std::array<std::vector<Span>, 7> week;
  for (auto& d : week) d = {{0, 24 * 60}};  // every day, all day: working time is wall time
  const Calendar all_day(week, {}, {}, {});
  const auto at = [](const char* text) { return core::parse_time(text, 0); };
  // The night of 2026-03-29 has 23 hours, that of 2026-10-25 has 25.
  CHECK(all_day.working_seconds(at("2026-03-29 00:00"), at("2026-03-30 00:00")) == 23 * k_hour);
  CHECK(all_day.working_seconds(at("2026-10-25 00:00"), at("2026-10-26 00:00")) == 25 * k_hour);
  std::array<std::vector<Span>, 7> office;
  for (auto& d : office) d = {{9 * 60, 17 * 60}};
  const Calendar nine_to_five(office, {}, {}, {});
  CHECK(nine_to_five.working_seconds(at("2026-03-28 12:00"), at("2026-03-30 12:00")) == 16 * k_hour);
  CHECK(nine_to_five.add(at("2026-10-24 16:00"), 2 * k_hour) == at("2026-10-25 10:00"));
}

TEST_CASE("sla::evaluate, with a business calendar") {
  ZoneGuard zone("Asia/Shanghai");
  std::array<std::vector<Span>, 7> week;
  for (int d = 1; d <= 5; ++d) week[static_cast<std::size_t>(d)] = {{9 * 60, 18 * 60}};
  Policy p = contract();
  p.calendar = Calendar(week, {}, {}, {});
  p.business_clocks = {Clock::resolution};
  History h;
  h.created_at = core::parse_time("2026-11-27 16:00", 0);  // Friday afternoon
  h.priority = Priority::urgent;
  const auto r = clock(evaluate(h, p, h.created_at + 60), Clock::resolution);
  CHECK(r.deadline == core::parse_time("2026-11-30 15:00", 0));  // 2h Friday + 6h Monday
  const auto resp = clock(evaluate(h, p, h.created_at + 60), Clock::response);
  CHECK(resp.deadline == h.created_at + 30 * k_min);  // the response clock stays 24x7
}

TEST_CASE("sla::evaluate, the README's worked example") {
  const auto at = [](const char* hhmm) { return core::parse_time(std::string("2026-11-25T") + hhmm + ":00Z", 0); };
  History h;
  h.created_at = at("09:00");
  h.priority = Priority::high;
  h.downtime = {{at("08:30"), at("09:30")}};
  h.marks = {mark(at("09:40"), Kind::acknowledged), mark(at("11:00"), Kind::paused), mark(at("13:00"), Kind::unpaused),
             mark(at("17:00"), Kind::resolved)};
  const auto all = evaluate(h, contract(), at("18:00"));
  CHECK(clock(all, Clock::response).elapsed == 10 * k_min);
  const auto r = clock(all, Clock::resolution);
  CHECK(r.start == at("09:30"));
  CHECK(r.elapsed == 5 * k_hour + 30 * k_min);
  CHECK(r.state == State::met);
}

TEST_CASE("sla::evaluate, property: the time is all accounted for, and met/breached agree with the deadline") {
  std::mt19937_64 rng(20261125);
  const Policy p = contract();
  for (int round = 0; round < 3000; ++round) {
    History h;
    h.created_at = k_t0;
    h.priority = static_cast<Priority>(rng() % 4);
    h.onsite = rng() % 3 == 0;
    if (rng() % 4 == 0) h.downtime.push_back({k_t0 - static_cast<Timestamp>(rng() % 3600), k_t0 + static_cast<Timestamp>(rng() % 7200)});
    Timestamp t = k_t0;
    bool resolved = false, arrived = false, cancelled = false;
    const int steps = static_cast<int>(rng() % 12);
    for (int i = 0; i < steps && !cancelled; ++i) {
      t += static_cast<Timestamp>(rng() % (4 * k_hour));
      const auto pick = rng() % 9;
      Mark m = mark(t, Kind::acknowledged);
      switch (pick) {
        case 0: m.kind = Kind::acknowledged; break;
        case 1: m.kind = Kind::paused; break;
        case 2: m.kind = Kind::unpaused; break;
        case 3: m.kind = resolved ? Kind::reopened : Kind::resolved; resolved = !resolved; break;
        case 4: m.kind = Kind::priority; m.priority = static_cast<Priority>(rng() % 4); break;
        case 5: m.kind = Kind::extended; m.seconds = static_cast<core::Seconds>(rng() % 7200); break;
        case 6: if (arrived) continue; m.kind = Kind::arrived; arrived = true; break;
        case 7: m.kind = Kind::mitigated; break;
        default: if (rng() % 4) continue; m.kind = Kind::cancelled; cancelled = true; break;
      }
      h.marks.push_back(m);
    }
    const Timestamp now = t + static_cast<Timestamp>(rng() % (10 * k_hour));
    for (const auto& c : evaluate(h, p, now)) {
      CAPTURE(round);
      CAPTURE(static_cast<int>(c.clock));
      const Timestamp end = c.stopped_at.value_or(now);
      CHECK(c.elapsed + c.paused + c.before_start + c.outside_hours == end - h.created_at);
      CHECK(c.elapsed >= 0);
      CHECK(c.paused >= 0);
      if (c.state == State::met) CHECK(c.elapsed <= c.target);
      if (c.state == State::breached) CHECK(c.breached_at.has_value());
      if (c.state == State::running) {
        REQUIRE(c.deadline.has_value());
        CHECK(*c.deadline >= now);
        CHECK(*c.deadline - std::max(now, c.start) == c.target - c.elapsed);
      }
      if (c.breached_at) CHECK(*c.breached_at <= end);
    }
  }
}

TEST_SUITE_END();
