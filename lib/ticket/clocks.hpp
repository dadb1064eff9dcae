#pragma once
// A ticket's SLA clocks: its events turned into the SLA engine's marks, evaluated with the
// configured policy and the planned downtime of its system, and kept in ticket_sla so that
// lists (--breached, --at-risk, --due-within) need no replay.
#include <vector>

#include "config/config.hpp"
#include "desk/session.hpp"
#include "sla/sla.hpp"
#include "store/db.hpp"
#include "ticket/ticket.hpp"

namespace opsdesk::ticket {

sla::Policy sla_policy(const config::Config& config);

// Whether tickets of `type` run clocks (config sla.applies_to).
bool has_clocks(const config::Config& config, model::TicketType type);

// The engine's view of a ticket: creation, priority at creation, marks from its events.
sla::History sla_history(const config::Config& config, const Ticket& ticket, const std::vector<Event>& events,
                         std::vector<sla::Window> downtime);

// Planned downtime that can move a clock of `ticket`: windows of its system or of all systems.
std::vector<sla::Window> downtime_for(store::Db& db, const Ticket& ticket);

// The ticket's clocks now (empty when its type has none).
std::vector<sla::ClockStatus> clocks(store::Db& db, const config::Config& config, const Ticket& ticket,
                                     core::Timestamp now);

// Recompute and store the ticket's clocks (and its "ever breached" flag).
void refresh_clocks(const desk::Session& s, const Ticket& ticket);
// Same, for a ticket whose events and the desk's downtime windows are at hand (imports).
struct SystemWindow {
  std::optional<std::string> system;  // empty: every system
  sla::Window window;
};
void store_clocks(const desk::Session& s, const Ticket& ticket, const std::vector<Event>& events,
                  const std::vector<SystemWindow>& downtime);
std::vector<SystemWindow> all_downtime(store::Db& db);

}  // namespace opsdesk::ticket
