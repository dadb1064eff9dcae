// opsdesk account add|list|show|set|disable|enable|remove|whoami|role.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "account/account.hpp"
#include "account/permissions.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "output/table.hpp"
#include "ticket/staff.hpp"

namespace opsdesk::cli {

namespace {

struct AccountOptions {
  std::string name, role, leaves;
  std::optional<std::string> display_name, email, os_user;
  bool all = false;
  OutputOptions out;
};

std::string day_of(const std::optional<core::Timestamp>& t) {
  return t ? core::format_local(*t).substr(0, 10) : std::string("-");
}

void render_accounts(Runtime& rt, const std::vector<account::Account>& accounts) {
  output::Table table({{"NAME"}, {"ROLE"}, {"DISPLAY NAME", false, true}, {"EMAIL"}, {"LOGIN"}, {"STATE"}, {"LEAVES"}});
  for (const auto& a : accounts) {
    table.add({{a.name}, {std::string(model::name(a.role))}, {a.display_name.value_or("-")}, {a.email.value_or("-")},
               {a.os_user.value_or("-")},
               {a.disabled ? "disabled" : "enabled", a.disabled ? output::Color::gray : output::Color::none},
               {day_of(a.leaves_on)}});
  }
  table.render(rt.out(), rt.term());
}

void print_account(Runtime& rt, const OutputOptions& out, const account::Account& a, const std::string& line) {
  print_object(rt, out, account::to_json(a), [&] { rt.out() << line << '\n'; });
}

void add_add(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<AccountOptions>();
  auto* cmd = group->add_subcommand("add", "Add an account");
  cmd->add_option("name", o->name, "Login-like name (lowercase letters, digits, . _ -)")->required();
  choices(cmd->add_option("--role", o->role, "What the account may do (see `account role list`)")->required(), model::Names<model::Role>::values);
  cmd->add_option("--display-name", o->display_name, "Full name");
  cmd->add_option("--email", o->email, "Email address");
  cmd->add_option("--os-user", o->os_user, "The login that acts as this account when no --as is given");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    account::NewAccount r{o->name, model::parse<model::Role>(o->role), o->display_name, o->email, o->os_user};
    const auto a = rt.write("account.manage", [&](desk::Session& s) { return account::add(s, r); });
    print_account(rt, o->out, a, fmt::format("added {} ({})", a.name, model::name(a.role)));
  });
}

void add_list(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<AccountOptions>();
  auto* cmd = group->add_subcommand("list", "List accounts");
  cmd->add_flag("--all", o->all, "Include disabled accounts");
  add_format_option(cmd, o->out, {"table", "json", "jsonl", "csv", "tsv"});
  cmd->callback([&rt, o] {
    const auto accounts = rt.read("", [&](desk::Session& s) { return account::list(s.db, o->all); });
    output::Json records = output::Json::array();
    for (const auto& a : accounts) records.push_back(account::to_json(a));
    print_records(rt, o->out, records, account::to_json(account::Account{}), [&] {
      if (accounts.empty()) rt.out() << "no accounts yet; the first person to change something becomes admin\n";
      else render_accounts(rt, accounts);
    });
  });
}

void add_show(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<AccountOptions>();
  auto* cmd = group->add_subcommand("show", "Show an account and what its role may do");
  cmd->add_option("name", o->name, "The account")->required();
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const auto [a, perms] = rt.read("", [&](desk::Session& s) {
      auto found = account::get(s.db, o->name);
      return std::pair{found, account::role_permissions(s.db, found.role)};
    });
    auto j = account::to_json(a);
    j["permissions"] = perms;
    print_object(rt, o->out, j, [&] {
      output::render_fields(rt.out(), {{"name", a.name},
                                       {"role", std::string(model::name(a.role))},
                                       {"display name", a.display_name.value_or("-")},
                                       {"email", a.email.value_or("-")},
                                       {"login", a.os_user.value_or("-")},
                                       {"state", a.disabled ? "disabled" : "enabled"},
                                       {"leaves on", day_of(a.leaves_on)},
                                       {"permissions", core::join(perms, ", ")}});
    });
  });
}

void add_set(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<AccountOptions>();
  auto* cmd = group->add_subcommand("set", "Change an account (an empty value clears a field)");
  cmd->add_option("name", o->name, "The account")->required();
  choices(cmd->add_option("--role", o->role, "What the account may do (see `account role list`)"), model::Names<model::Role>::values);
  cmd->add_option("--display-name", o->display_name, "Full name");
  cmd->add_option("--email", o->email, "Email address");
  cmd->add_option("--os-user", o->os_user, "The login that acts as this account");
  cmd->add_option("--leaves", o->leaves, "A planned departure date (YYYY-MM-DD), or 'none'");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    account::AccountChanges c;
    if (!o->role.empty()) c.role = model::parse<model::Role>(o->role);
    c.display_name = o->display_name;
    c.email = o->email;
    c.os_user = o->os_user;
    if (o->leaves == "none") c.leaves_on = std::optional<core::Timestamp>{};
    else if (!o->leaves.empty()) c.leaves_on = core::local_midnight(rt.parse_time(o->leaves, "--leaves"));
    const auto notice = rt.config().staff.departure_notice;
    const auto [a, leaving] = rt.write("account.manage", [&](desk::Session& s) {
      auto changed = account::set(s, o->name, c);
      return std::pair{changed, ticket::departures(s.db, s.now, notice, changed.name)};
    });
    print_account(rt, o->out, a, fmt::format("updated {}", a.name));
    if (c.leaves_on && a.leaves_on && *a.leaves_on - rt.now() < notice)
      rt.note(fmt::format("warning: {} leaves in less than {}; the contract asks for {} notice of staff changes",
                          a.name, core::format_duration(notice), core::format_duration(notice)));
    for (const auto& d : leaving) rt.note("warning: " + ticket::describe(d, rt.now()));
  });
}

void add_toggle(CLI::App* group, Runtime& rt, bool disable) {
  auto o = std::make_shared<AccountOptions>();
  auto* cmd = group->add_subcommand(disable ? "disable" : "enable",
                                    disable ? "Disable an account: it can do nothing until enabled" : "Enable an account");
  cmd->add_option("name", o->name, "The account")->required();
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o, disable] {
    const auto a = rt.write("account.manage", [&](desk::Session& s) { return account::set_disabled(s, o->name, disable); });
    print_account(rt, o->out, a, fmt::format("{} {}", disable ? "disabled" : "enabled", a.name));
  });
}

void add_remove(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<AccountOptions>();
  auto* cmd = group->add_subcommand("remove", "Remove an account that has no history (otherwise: disable it)");
  cmd->add_option("name", o->name, "The account")->required();
  cmd->callback([&rt, o] {
    rt.write("account.manage", [&](desk::Session& s) { account::remove(s, o->name); });
    rt.out() << fmt::format("removed {}\n", o->name);
  });
}

void add_whoami(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<AccountOptions>();
  auto* cmd = group->add_subcommand("whoami", "Show who you act as and what you may do");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const auto who = rt.identity();
    const char* source = who.source == account::Identity::Source::flag          ? "--as"
                         : who.source == account::Identity::Source::environment ? "OPSDESK_USER"
                                                                                : "login name";
    const auto [name, role, perms] = rt.read("", [&](desk::Session& s) {
      std::vector<std::string> p;
      if (s.role) p = account::role_permissions(s.db, *s.role);
      return std::tuple{s.actor, s.role, p};
    });
    const output::Json j{{"name", name},
                         {"role", role ? output::Json(std::string(model::name(*role))) : output::Json(nullptr)},
                         {"identified_by", source},
                         {"permissions", perms}};
    print_object(rt, o->out, j, [&] {
      if (!role) {
        rt.out() << fmt::format("{} (from {}); this store has no accounts yet: your first change makes you its admin\n",
                                name, source);
        return;
      }
      rt.out() << fmt::format("{} ({}, from {})\nmay: {}\n", name, model::name(*role), source, core::join(perms, ", "));
    });
  });
}

void add_role(CLI::App* group, Runtime& rt) {
  auto* role = group->add_subcommand("role", "List roles and grant or revoke their permissions");
  role->require_subcommand(1);
  auto o = std::make_shared<AccountOptions>();
  auto* list = role->add_subcommand("list", "Each permission and the roles that hold it");
  add_format_option(list, o->out, {"table", "json", "jsonl", "csv", "tsv"});
  list->callback([&rt, o] {
    const auto holders = rt.read("", [&](desk::Session& s) {
      std::vector<std::pair<account::PermissionInfo, std::vector<std::string>>> rows;
      for (const auto& p : account::permissions()) {
        std::vector<std::string> roles;
        for (const auto r : account::roles_with(s.db, p.name)) roles.emplace_back(model::name(r));
        rows.emplace_back(p, roles);
      }
      return rows;
    });
    output::Json records = output::Json::array();
    for (const auto& [p, roles] : holders)
      records.push_back({{"permission", p.name}, {"roles", roles}, {"description", p.description}});
    const output::Json sample{{"permission", ""}, {"roles", output::Json::array()}, {"description", ""}};
    print_records(rt, o->out, records, sample, [&] {
      output::Table table({{"PERMISSION"}, {"ROLES"}, {"ALLOWS", false, true}});
      for (const auto& [p, roles] : holders)
        table.add({{std::string(p.name)}, {roles.empty() ? "-" : core::join(roles, ", ")}, {std::string(p.description)}});
      table.render(rt.out(), rt.term());
    });
  });
  for (const bool grant : {true, false}) {
    auto* cmd = role->add_subcommand(grant ? "grant" : "revoke", grant ? "Give a role a permission" : "Take a permission from a role");
    auto r = std::make_shared<std::pair<std::string, std::string>>();
    choices(cmd->add_option("role", r->first, "The role")->required(), model::Names<model::Role>::values);
    cmd->add_option("permission", r->second, "A permission name (see `account role list`)")->required();
    cmd->callback([&rt, r, grant] {
      const auto role_value = model::parse<model::Role>(r->first);
      rt.write("account.manage", [&](desk::Session& s) {
        if (grant) account::grant(s, role_value, r->second);
        else account::revoke(s, role_value, r->second);
      });
      rt.out() << fmt::format("{} {} {}\n", grant ? "granted" : "revoked", r->second, grant ? "to " + r->first : "from " + r->first);
    });
  }
}

}  // namespace

void add_account_command(CLI::App& app, Runtime& rt) {
  auto* group = app.add_subcommand("account", "People of the desk, their roles and permissions");
  group->require_subcommand(1);
  add_add(group, rt);
  add_list(group, rt);
  add_show(group, rt);
  add_set(group, rt);
  add_toggle(group, rt, true);
  add_toggle(group, rt, false);
  add_remove(group, rt);
  add_whoami(group, rt);
  add_role(group, rt);
}

}  // namespace opsdesk::cli
