#pragma once
// Which status each lifecycle action leads to, and from where it is allowed. Pure.
#include <string_view>
#include <vector>

#include "model/vocabulary.hpp"

namespace opsdesk::ticket {

enum class Action { ack, start, pend, resume, resolve, reopen, close, cancel };

// The command's name ("ack") and the event it writes ("acknowledged").
std::string_view action_name(Action action);
std::string_view event_kind(Action action);

// Statuses from which `action` is allowed for tickets of `type`.
std::vector<model::Status> allowed_from(model::TicketType type, Action action);

// The status `action` leads to from `from`; Error(failed) naming the allowed statuses when it
// is not allowed (`ref` names the ticket in the message).
model::Status next_status(model::TicketType type, Action action, model::Status from, std::string_view ref);

// Open means still being worked on: not closed, cancelled (or, for changes, rejected or reviewed).
bool is_open(model::Status status);

}  // namespace opsdesk::ticket
