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
