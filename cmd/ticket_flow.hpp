#pragma once
#include <CLI/CLI.hpp>

#include "runtime.hpp"

namespace opsdesk::cli {

// ack start pend resume resolve reopen close cancel assign set comment log-work link.
void add_ticket_flow_commands(CLI::App* ticket, Runtime& rt);
// onsite extend extension submit approve reject implement review release sign survey record sla.
void add_ticket_process_commands(CLI::App* ticket, Runtime& rt);

}  // namespace opsdesk::cli
