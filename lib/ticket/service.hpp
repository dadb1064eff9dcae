#pragma once
// What the desk does to tickets. Each function runs inside the caller's write transaction,
// writes the ticket, its events and the audit entry together, and returns the result.
#include <optional>
#include <string>

#include "desk/session.hpp"
#include "ticket/lifecycle.hpp"
#include "ticket/repository.hpp"
#include "ticket/ticket.hpp"

namespace opsdesk::ticket {

struct NewTicket {
  TicketType type = TicketType::incident;
  std::string title;
  std::string description;
  Priority priority = Priority::medium;
  std::optional<std::string> system;
  std::optional<std::string> category;
  std::optional<Channel> channel;
  std::optional<std::string> reporter;
  std::optional<std::string> assignee;
  std::optional<core::Timestamp> at;  // reported earlier (by phone); default now
  std::optional<core::Seconds> estimate;  // requests: the expected work
};

// Open a ticket and give it its reference.
Ticket create(const desk::Session& s, const NewTicket& request);

struct TransitionOptions {
  std::optional<core::Timestamp> at;  // when it really happened; default now
  std::optional<std::string> note;    // resolution (required by resolve), reason for cancel/reopen
  std::optional<model::PendingReason> reason;  // required by pend
};

struct Transitioned {
  Status from;
  Ticket ticket;
};

// Move a ticket through its lifecycle. Error(failed) for a transition that is not allowed,
// Error(data) for a time in the future or before the ticket's last change.
Transitioned transition(const desk::Session& s, Action action, std::string_view ref, const TransitionOptions& options);

// Give the ticket to `assignee`, or take it from whoever has it (nullopt).
Ticket assign(const desk::Session& s, std::string_view ref, const std::optional<std::string>& assignee,
              std::optional<core::Timestamp> at);

// Fields `set` may change; an engaged empty string clears an optional field.
struct FieldChanges {
  std::optional<std::string> title;
  std::optional<std::string> description;
  std::optional<Priority> priority;
  std::optional<std::string> system;
  std::optional<std::string> category;
  std::optional<std::string> channel;
  std::optional<std::string> reporter;
  bool empty() const {
    return !title && !description && !priority && !system && !category && !channel && !reporter;
  }
};
Ticket set_fields(const desk::Session& s, std::string_view ref, const FieldChanges& changes);

Event comment(const desk::Session& s, std::string_view ref, const std::string& text, std::optional<core::Timestamp> at);

// Record time spent; returns the ticket's total.
core::Seconds log_work(const desk::Session& s, std::string_view ref, core::Seconds spent,
                       const std::optional<std::string>& note, std::optional<core::Timestamp> at);

Link link(const desk::Session& s, std::string_view ref, std::string_view to, model::LinkKind kind);

// A ticket with its events, links and logged work.
TicketDetail detail(store::Db& db, std::string_view ref);

// Checks on text typed or imported: valid UTF-8 and within size. Error(data) naming `field`.
void check_text(std::string_view field, std::string_view value, std::size_t max_bytes);
inline constexpr std::size_t k_max_title = 1000;
inline constexpr std::size_t k_max_text = 1 << 20;
inline constexpr std::size_t k_max_label = 200;  // system, category, reporter

}  // namespace opsdesk::ticket
