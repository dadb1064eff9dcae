#pragma once
// A service ticket and its history.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "model/vocabulary.hpp"

namespace opsdesk::ticket {

using model::Channel;
using model::Priority;
using model::Status;
using model::TicketType;

struct Ticket {
  std::int64_t id = 0;
  std::string ref;  // INC-2026-000042
  TicketType type = TicketType::incident;
  std::string title;
  std::string description;
  Status status = Status::new_;
  Priority priority = Priority::medium;
  std::optional<std::string> system;
  std::optional<std::string> category;
  std::optional<Channel> channel;
  std::optional<std::string> reporter;
  std::optional<std::string> assignee;
  core::Timestamp created_at = 0;
  std::optional<core::Timestamp> acknowledged_at;
  std::optional<core::Timestamp> resolved_at;
  std::optional<core::Timestamp> closed_at;
  core::Timestamp updated_at = 0;
  std::optional<std::string> pending_reason;
  std::optional<std::string> resolution;
  // Problems: what caused the incidents and how to live with it until it is fixed.
  std::optional<std::string> root_cause;
  std::optional<std::string> workaround;
  bool known_error = false;
  // Changes: the plan, the way back, the proof it was tested, and when it will be done.
  std::optional<model::Risk> risk;
  std::optional<std::string> plan;
  std::optional<std::string> rollback_plan;
  std::optional<std::string> test_evidence;
  std::optional<core::Timestamp> window_start;
  std::optional<core::Timestamp> window_end;
  // Requests: the estimated work (flagged above the contract's small-development limit).
  std::optional<core::Seconds> estimate;
};

// One thing that happened to a ticket. `at` is when it happened (an engineer may enter it
// later, with --at); `recorded_at` is when it was entered.
struct Event {
  std::int64_t id = 0;
  core::Timestamp at = 0;
  core::Timestamp recorded_at = 0;
  std::string actor;
  std::string kind;  // created, acknowledged, assigned, started, pending, resumed, resolved, ...
  std::optional<Status> from;
  std::optional<Status> to;
  std::optional<std::string> text;  // comment, resolution, reason
  std::optional<std::string> data;  // JSON object with the event's details
};

struct Link {
  std::string from_ref;
  std::string to_ref;
  model::LinkKind kind = model::LinkKind::relates;
  core::Timestamp created_at = 0;
  std::string actor;
};

// A ticket with everything `show` and `export` give.
struct TicketDetail {
  Ticket ticket;
  std::vector<Event> events;
  std::vector<Link> links;  // both directions
  core::Seconds work_logged = 0;
};

}  // namespace opsdesk::ticket
