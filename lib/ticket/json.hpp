#pragma once
// The JSON contract of tickets: stable snake_case keys, every key always present (null when
// unset), times in RFC 3339 UTC.
#include "output/json.hpp"
#include "ticket/ticket.hpp"

namespace opsdesk::ticket {

output::Json to_json(const Ticket& ticket);
output::Json to_json(const Event& event);
// The ticket with `events` (what export writes, one per line).
output::Json to_json(const Ticket& ticket, const std::vector<Event>& events);
// Everything `show --json` gives: the ticket, `events`, `links` and `work_logged`.
output::Json to_json(const TicketDetail& detail);

}  // namespace opsdesk::ticket
