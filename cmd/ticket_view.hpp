#pragma once
// How tickets look on a terminal: the list table and the `show` page.
#include <ostream>
#include <vector>

#include "output/terminal.hpp"
#include "ticket/ticket.hpp"

namespace opsdesk::cli {

output::Color priority_color(model::Priority p);
void render_ticket_table(std::ostream& out, const output::Terminal& term, const std::vector<ticket::Ticket>& tickets,
                         core::Timestamp now);
void render_ticket_detail(std::ostream& out, const output::Terminal& term, const ticket::TicketDetail& detail,
                          core::Timestamp now);

}  // namespace opsdesk::cli
