#pragma once
// One function per command group, each in its own file, registering its subcommands.
#include <CLI/CLI.hpp>

#include "runtime.hpp"

namespace opsdesk::cli {

void add_init_command(CLI::App& app, Runtime& rt);
void add_config_command(CLI::App& app, Runtime& rt);
void add_ticket_command(CLI::App& app, Runtime& rt);
void add_audit_command(CLI::App& app, Runtime& rt);
void add_account_command(CLI::App& app, Runtime& rt);
void add_downtime_command(CLI::App& app, Runtime& rt);
void add_kb_command(CLI::App& app, Runtime& rt);
void add_inspect_command(CLI::App& app, Runtime& rt);
void add_backup_command(CLI::App& app, Runtime& rt);
void add_dbtune_command(CLI::App& app, Runtime& rt);
void add_report_command(CLI::App& app, Runtime& rt);
void add_store_command(CLI::App& app, Runtime& rt);

// `completion`, and the hidden `__complete` and `__man` that read the whole command tree.
void add_describe_commands(CLI::App& app, Runtime& rt);
// Whether `command` needs the whole tree (every command's options built).
bool describes_whole_tree(std::string_view command);

}  // namespace opsdesk::cli
