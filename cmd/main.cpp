// opsdesk: parse the command line, run one command, turn its outcome into an exit code.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
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

struct Group {
  std::string_view name;
  void (*add)(CLI::App&, opsdesk::cli::Runtime&);
};

constexpr Group k_groups[] = {
    {"init", opsdesk::cli::add_init_command},       {"config", opsdesk::cli::add_config_command},
    {"ticket", opsdesk::cli::add_ticket_command},   {"account", opsdesk::cli::add_account_command},
    {"downtime", opsdesk::cli::add_downtime_command}, {"kb", opsdesk::cli::add_kb_command},
    {"inspect", opsdesk::cli::add_inspect_command},   {"backup", opsdesk::cli::add_backup_command},
    {"db-tune", opsdesk::cli::add_dbtune_command},    {"report", opsdesk::cli::add_report_command},
    {"audit", opsdesk::cli::add_audit_command},       {"store", opsdesk::cli::add_store_command},
};

// The first word of the command line that is not a global option or its value: the command.
std::string_view command_word(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--db" || a == "--config" || a == "--as") {
      ++i;
      continue;
    }
    if (a.starts_with("-")) continue;
    return a;
  }
  return {};
}

// The command group named on the command line, so that only that group's command tree is
// built (building all of them is most of a short command's start-up time); empty for all.
std::string_view wanted_group(const std::vector<std::string>& args) {
  const auto word = command_word(args);
  for (const auto& g : k_groups)
    if (g.name == word) return g.name;
  return {};
}

// "opsdesk tickt list" or "opsdesk ticket lst": name the unknown command and the closest one,
// as git and gh do, instead of CLI11's "A subcommand is required".
void check_command_words(CLI::App& app, const std::vector<std::string>& args) {
  CLI::App* at = &app;
  std::string path = "opsdesk";
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") return;
    if (at == &app && (a == "--db" || a == "--config" || a == "--as")) {
      ++i;
      continue;
    }
    if (a.starts_with("-")) {
      // A group that is a command too (`report --period 2026-11`): skip its options' values.
      if (a.find('=') == std::string::npos)
        if (const auto* opt = at->get_option_no_throw(a); opt && opt->get_expected_min() > 0 && opt->get_type_size_max() > 0) ++i;
      continue;
    }
    const auto subs = at->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) return;  // a command: the rest are its arguments
    std::vector<std::string> names;
    CLI::App* next = nullptr;
    for (auto* sub : subs) {
      names.push_back(sub->get_name());
      if (sub->get_name() == a) next = sub;
    }
    if (!next) {
      std::string message = fmt::format("unknown command \"{}\" for \"{}\"", a, path);
      if (const auto guess = opsdesk::core::closest_match(a, names)) message += fmt::format("; did you mean \"{}\"?", *guess);
      throw opsdesk::Error(ErrorKind::usage, message + fmt::format(" (see '{} --help')", path));
    }
    at = next;
    path += " " + a;
  }
}

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

  std::vector<std::string> args(argv + 1, argv + argc);
  rt.words = args;
  rt.whole_tree = opsdesk::cli::describes_whole_tree(command_word(args));
  const auto wanted = rt.whole_tree ? std::string_view() : wanted_group(args);
  for (const auto& g : k_groups)
    if (wanted.empty() || g.name == wanted) g.add(app, rt);
  opsdesk::cli::add_describe_commands(app, rt);

  args = opsdesk::cli::rewrite_json_arguments(std::move(args));
  try {
    check_command_words(app, args);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
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
