// opsdesk init, opsdesk config show|check|path.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "store/store.hpp"

namespace opsdesk::cli {

void add_init_command(CLI::App& app, Runtime& rt) {
  auto* cmd = app.add_subcommand("init", "Write a commented config file and create the store");
  auto force = std::make_shared<bool>(false);
  cmd->add_flag("--force", *force, "Overwrite an existing config file");
  cmd->callback([&rt, force] {
    const auto where = config::locate(rt.globals.config);
    std::error_code ec;
    const bool existed = std::filesystem::exists(where.path, ec);
    if (existed && !*force)
      throw Error(ErrorKind::failed,
                  fmt::format("config {} already exists; keep it, or pass --force to replace it with the example",
                              where.path.string()));
    core::make_private_dirs(where.path.parent_path());
    core::write_file_atomic(where.path, config::example_text());
    auto options = rt.store_options(true);
    const auto db_path = options.path;
    const bool had_store = store::store_exists(options);
    store::open_store(options);
    rt.out() << fmt::format("config: {} ({})\nstore:  {} ({}, schema {})\n", where.path.string(),
                            existed ? "replaced" : "written", db_path.string(), had_store ? "kept" : "created",
                            store::schema_version());
  });
}

namespace {

// For `config path`: whether the store is there; a database server that cannot be reached
// counts as no.
bool store_exists(Runtime& rt) {
  try {
    return store::store_exists(rt.store_options(false));
  } catch (const Error&) {
    return false;
  }
}

}  // namespace

void add_config_command(CLI::App& app, Runtime& rt) {
  auto* cmd = app.add_subcommand("config", "Show, check and locate the configuration");
  cmd->require_subcommand(1);

  auto* show = cmd->add_subcommand("show", "Print the effective config (file values over built-in defaults)");
  auto show_out = std::make_shared<OutputOptions>();
  add_json_option(show, *show_out);
  show->callback([&rt, show_out] {
    print_object(rt, *show_out, output::Json::parse(config::to_json(rt.config())),
                 [&] { rt.out() << config::to_toml(rt.config()); });
  });

  auto* check = cmd->add_subcommand("check", "Validate the config file; exit 78 naming the first problem");
  check->callback([&rt] {
    const auto& c = rt.config();
    if (c.source.empty()) rt.out() << "no config file; the built-in defaults apply\n";
    else rt.out() << fmt::format("{}: OK\n", c.source.string());
  });

  auto* path = cmd->add_subcommand("path", "Print where the config and the store are");
  auto path_out = std::make_shared<OutputOptions>();
  add_json_option(path, *path_out);
  path->callback([&rt, path_out] {
    const auto where = config::locate(rt.globals.config);
    std::error_code ec;
    const bool exists = std::filesystem::exists(where.path, ec);
    const auto db = rt.store_path();
    const output::Json j{{"config", where.path.string()},
                         {"config_exists", exists},
                         {"store", db.string()},
                         {"store_exists", store_exists(rt)}};
    print_object(rt, *path_out, j, [&] {
      rt.out() << fmt::format("config: {}{}\nstore:  {}\n", where.path.string(),
                              exists ? "" : " (not found; the built-in defaults apply)", db.string());
    });
  });
}

}  // namespace opsdesk::cli
