// opsdesk audit log|verify.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "audit/audit.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "output/table.hpp"

namespace opsdesk::cli {

namespace {

output::Json entry_json(const audit::Entry& e) {
  auto parse = [](const std::optional<std::string>& s) { return s ? output::Json::parse(*s) : output::Json(nullptr); };
  return output::Json{{"id", e.id},         {"at", core::format_rfc3339(e.at)},
                      {"actor", e.actor},   {"action", e.action},
                      {"object", e.object}, {"before", parse(e.before)},
                      {"after", parse(e.after)}, {"hash", e.hash}};
}

// One line saying what changed: "status: new → acknowledged, assignee: null → li".
std::string summarize(const audit::Entry& e) {
  const auto after = e.after ? output::Json::parse(*e.after) : output::Json(nullptr);
  const auto before = e.before ? output::Json::parse(*e.before) : output::Json(nullptr);
  std::string line;
  if (after.is_object() && after.contains("title") && !before.is_object()) {
    line = after["title"].is_string() ? after["title"].get<std::string>() : output::dump_compact(after["title"]);
  } else if (after.is_object()) {
    for (const auto& item : after.items()) {
      if (item.key() == "updated_at") continue;
      if (!line.empty()) line += ", ";
      const auto was = before.is_object() && before.contains(item.key()) ? output::dump_compact(before[item.key()]) + " → " : "";
      line += fmt::format("{}: {}{}", item.key(), was, output::dump_compact(item.value()));
    }
  } else if (before.is_object()) {
    line = "removed " + output::dump_compact(before);
  }
  return line.size() > 120 ? line.substr(0, 117) + "..." : line;
}

struct LogOptions {
  std::string actor, action, object, since, until;
  std::int64_t limit = 50;
  OutputOptions out;
};

}  // namespace

void add_audit_command(CLI::App& app, Runtime& rt) {
  auto* cmd = app.add_subcommand("audit", "Read and verify the audit log");
  cmd->require_subcommand(1);

  auto o = std::make_shared<LogOptions>();
  auto* log = cmd->add_subcommand("log", "Show changes, newest last");
  log->add_option("--actor", o->actor, "Only changes made by this account");
  log->add_option("--action", o->action, "Only this action (ticket.ack), or a group ending in '.' (ticket.)");
  log->add_option("--object", o->object, "Only changes to this object (a ticket reference, account:NAME)");
  log->add_option("--since", o->since, "Changes at or after this time");
  log->add_option("--until", o->until, "Changes before this time");
  log->add_option("--limit", o->limit, "Show the newest N (0: all)")->default_str("50");
  add_format_option(log, o->out, {"table", "json", "jsonl", "csv", "tsv"});
  log->callback([&rt, o] {
    audit::Filter f;
    if (!o->actor.empty()) f.actor = o->actor;
    if (!o->action.empty()) f.action = o->action;
    if (!o->object.empty()) f.object = o->object;
    f.since = rt.parse_time_opt(o->since, "--since");
    f.until = rt.parse_time_opt(o->until, "--until");
    f.limit = o->limit;
    const auto entries = rt.read("audit.read", [&](desk::Session& s) { return audit::list(s.db, f); });
    output::Json records = output::Json::array();
    for (const auto& e : entries) records.push_back(entry_json(e));
    print_records(rt, o->out, records, entry_json(audit::Entry{}), [&] {
      output::Table table({{"ID", true}, {"WHEN"}, {"ACTOR"}, {"ACTION"}, {"OBJECT"}, {"CHANGE", false, true}});
      for (const auto& e : entries) {
        table.add({{std::to_string(e.id)}, {core::format_local(e.at)}, {e.actor}, {e.action}, {e.object},
                   {summarize(e)}});
      }
      if (table.empty()) rt.out() << "no audit entries match\n";
      else table.render(rt.out(), rt.term());
    });
  });

  auto* verify = cmd->add_subcommand("verify", "Check the hash chain; exit 1 naming the first bad entry");
  auto vout = std::make_shared<OutputOptions>();
  add_json_option(verify, *vout);
  verify->callback([&rt, vout] {
    const auto v = rt.read("audit.read", [](desk::Session& s) { return audit::verify(s.db); });
    const output::Json j{{"ok", v.ok()},
                         {"checked", v.checked},
                         {"first_bad", v.first_bad ? output::Json(*v.first_bad) : output::Json(nullptr)},
                         {"problem", v.ok() ? output::Json(nullptr) : output::Json(v.problem)}};
    print_object(rt, *vout, j, [&] {
      if (v.ok()) rt.out() << fmt::format("audit log OK: {} entries, chain intact\n", v.checked);
      else rt.out() << fmt::format("audit log BROKEN at entry {}: {}\n", *v.first_bad, v.problem);
    });
    if (!v.ok()) rt.exit_code = 1;
  });
}

}  // namespace opsdesk::cli
