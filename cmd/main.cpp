// opsdesk: parse the command line, run one command, turn its outcome into an exit code.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "runtime.hpp"

namespace {

using opsdesk::ErrorKind;

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::failed: return 1;
    case ErrorKind::usage: return 64;
    case ErrorKind::data: return 65;
    case ErrorKind::not_found: return 66;
    case ErrorKind::unavailable: return 69;
    case ErrorKind::internal: return 70;
    case ErrorKind::io: return 74;
    case ErrorKind::busy: return 75;
    case ErrorKind::permission: return 77;
    case ErrorKind::config: return 78;
  }
  return 70;
}

void fail(const std::string& message) { std::cerr << "opsdesk: error: " << message << '\n'; }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"opsdesk: the operations & maintenance desk — tickets with SLA clocks, inspections, backups, "
               "database tuning and the service report, on one SQLite store.",
               "opsdesk"};
  app.set_version_flag("--version", std::string("opsdesk ") + OPSDESK_VERSION);
  app.require_subcommand(1);
  app.fallthrough();
  app.option_defaults()->always_capture_default(false);

  opsdesk::cli::Runtime rt;
  app.add_option("--db", rt.globals.db, "Store file (default $OPSDESK_DB, store.path, ~/.local/share/opsdesk/opsdesk.db)");
  app.add_option("--config", rt.globals.config, "Config file (default $OPSDESK_CONFIG, ~/.config/opsdesk/config.toml)");
  app.add_option("--as", rt.globals.as, "Act as this account (default $OPSDESK_USER, then the login name)");
  app.add_flag("--no-color", rt.globals.no_color, "No colour, even on a terminal");
  app.add_flag("--color", rt.globals.color, "Colour even when not on a terminal");

  opsdesk::cli::add_init_command(app, rt);
  opsdesk::cli::add_config_command(app, rt);
  opsdesk::cli::add_ticket_command(app, rt);
  opsdesk::cli::add_account_command(app, rt);
  opsdesk::cli::add_audit_command(app, rt);

  std::vector<std::string> args(argv + 1, argv + argc);
  args = opsdesk::cli::rewrite_json_arguments(std::move(args));
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    fail(e.what());
    std::cerr << "Run 'opsdesk --help' or 'opsdesk COMMAND --help' for usage.\n";
    return 64;
  } catch (const opsdesk::Error& e) {
    fail(e.what());
    return exit_code(e.kind());
  } catch (const std::bad_alloc&) {
    fail("out of memory");
    return 70;
  } catch (const std::exception& e) {
    fail(fmt::format("internal error: {}", e.what()));
    return 70;
  }
  std::cout.flush();
  if (!std::cout) {
    fail("cannot write the output (standard output closed or the disk is full)");
    return 74;
  }
  return rt.exit_code;
}
