#pragma once
// SLA clocks as pure functions of a ticket's history, the policy and the time: no store, no
// config file, no clock of its own. The ticket module turns its events into `Mark`s.
#include <array>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "model/vocabulary.hpp"
#include "sla/calendar.hpp"

namespace opsdesk::sla {

enum class Clock { response, resolution, onsite, mitigation };
enum class State { running, paused, met, breached, cancelled };

std::string_view clock_name(Clock clock);
std::string_view state_name(State state);
std::optional<Clock> clock_of(std::string_view name);
inline constexpr std::array k_clocks = {Clock::response, Clock::resolution, Clock::onsite, Clock::mitigation};

// Something in a ticket's history that moves a clock.
struct Mark {
  enum class Kind {
    acknowledged,  // stops the response clock
    paused,        // pending for a reason that stops the resolution clock
    unpaused,      // resumed (or pending for a reason that does not pause)
    resolved,      // stops the resolution clock (and the response clock if not stopped yet)
    reopened,      // the resolution clock goes on where it stopped
    cancelled,     // every running clock stops, counting for nothing
    arrived,       // on site: stops the on-site clock, starts the mitigation clock
    mitigated,     // stops the mitigation clock
    priority,      // the priority changed to `priority`
    extended,      // an approved extension of `seconds` to the resolution target
  };
  core::Timestamp at = 0;
  Kind kind = Kind::acknowledged;
  model::Priority priority = model::Priority::medium;
  core::Seconds seconds = 0;
};

struct Window {
  core::Timestamp start = 0;
  core::Timestamp end = 0;
};

// What the clocks of one ticket depend on.
struct History {
  core::Timestamp created_at = 0;
  model::Priority priority = model::Priority::medium;  // at creation
  bool onsite = false;                                  // on-site work: onsite and mitigation clocks
  std::vector<Mark> marks;                              // in time order
  std::vector<Window> downtime;                         // planned downtime of its system
};

struct Policy {
  std::array<std::array<core::Seconds, 4>, 4> targets{};  // [clock][priority]
  double warn_at = 0.75;                                   // share of the target that makes a clock at risk
  Calendar calendar;                                       // 24x7 unless configured
  std::set<Clock> business_clocks;                         // clocks counted in the calendar's working time

  core::Seconds target(Clock c, model::Priority p) const {
    return targets[static_cast<std::size_t>(c)][static_cast<std::size_t>(p)];
  }
};

struct ClockStatus {
  Clock clock = Clock::response;
  State state = State::running;
  core::Timestamp start = 0;                   // after planned downtime
  core::Seconds target = 0;                    // with approved extensions
  std::optional<core::Timestamp> stopped_at;   // met, breached or cancelled
  std::optional<core::Timestamp> deadline;     // while running: when the target runs out
  std::optional<core::Timestamp> warn_at;      // while running: when it becomes at risk
  std::optional<core::Timestamp> breached_at;  // when the target ran out, if it did
  core::Seconds elapsed = 0;                   // counted time
  core::Seconds paused = 0;                    // not counted: waiting for the customer, resolved before a reopen
  core::Seconds before_start = 0;              // from creation to the start (planned downtime)
  core::Seconds outside_hours = 0;             // not counted: outside working hours
  bool at_risk = false;                        // running, not breached, past the warning share
  core::Seconds remaining() const { return target - elapsed; }
};

// The clocks that apply to `history` at `now`, in k_clocks order. The response and resolution
// clocks always apply; onsite and mitigation only for on-site work (mitigation once arrived).
// Invariant: elapsed + paused + before_start + outside_hours == (stopped_at or now) - created_at.
std::vector<ClockStatus> evaluate(const History& history, const Policy& policy, core::Timestamp now);

// The first moment at or after `t` that no window holds.
core::Timestamp after_downtime(core::Timestamp t, const std::vector<Window>& downtime);

}  // namespace opsdesk::sla
