#pragma once
// Helpers the ticket service files share; not for other modules.
#include <optional>
#include <string>
#include <utility>

#include "desk/session.hpp"
#include "output/json.hpp"
#include "ticket/ticket.hpp"

namespace opsdesk::ticket::internal {

std::string dump(const output::Json& j);

// When an event happened: `at` if given (not in the future, not before the ticket's last
// change: Error(data)), else now (or the last change, if a clock between hosts ran behind).
core::Timestamp when(const desk::Session& s, const Ticket& t, std::optional<core::Timestamp> at);

Event make_event(const desk::Session& s, core::Timestamp at, std::string kind);

// The JSON of the fields that differ between two versions of a ticket, for the audit log.
std::pair<std::string, std::string> diff(const Ticket& before, const Ticket& after);

// Write the changed ticket, refresh its clocks and audit the change as "ticket.<action>".
void save(const desk::Session& s, const Ticket& before, const Ticket& after, std::string_view action);

// The trimmed text, or nullopt when empty.
std::optional<std::string> non_empty(const std::optional<std::string>& v);

}  // namespace opsdesk::ticket::internal
