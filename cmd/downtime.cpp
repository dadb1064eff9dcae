// opsdesk downtime add|list|remove.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "output/table.hpp"
#include "ticket/downtime.hpp"

namespace opsdesk::cli {

namespace {

struct DowntimeOptions {
  std::string start, end, system, reason, since, until;
  std::int64_t id = 0;
  OutputOptions out;
};

}  // namespace

void add_downtime_command(CLI::App& app, Runtime& rt) {
  auto* group = app.add_subcommand("downtime", "Planned downtime: clocks that would start inside start at its end");
  group->require_subcommand(1);

  auto a = std::make_shared<DowntimeOptions>();
  auto* add = group->add_subcommand("add", "Plan a downtime window");
  add->add_option("--start", a->start, "When it starts")->required();
  add->add_option("--end", a->end, "When it ends")->required();
  add->add_option("-s,--system", a->system, "The system that is down (default: every system)");
  add->add_option("--reason", a->reason, "What it is for")->required();
  add_json_option(add, a->out);
  add->callback([&rt, a] {
    ticket::Downtime d;
    d.start = rt.parse_time(a->start, "--start");
    d.end = rt.parse_time(a->end, "--end");
    if (!a->system.empty()) d.system = a->system;
    d.reason = a->reason;
    const auto made = rt.write("downtime.manage", [&](desk::Session& s) { return ticket::add_downtime(s, d); });
    print_object(rt, a->out, ticket::to_json(made), [&] {
      rt.out() << fmt::format("downtime {}: {} {} → {}\n", made.id, made.system.value_or("all systems"),
                              core::format_local(made.start), core::format_local(made.end));
    });
  });

  auto l = std::make_shared<DowntimeOptions>();
  auto* list = group->add_subcommand("list", "List downtime windows (all, or those overlapping --since/--until)");
  list->add_option("-s,--system", l->system, "Windows of this system (and of every system)");
  list->add_option("--since", l->since, "Windows ending after this time");
  list->add_option("--until", l->until, "Windows starting before this time");
  add_format_option(list, l->out, {"table", "json", "jsonl", "csv", "tsv"});
  list->callback([&rt, l] {
    ticket::DowntimeFilter f;
    if (!l->system.empty()) f.system = l->system;
    f.since = rt.parse_time_opt(l->since, "--since");
    f.until = rt.parse_time_opt(l->until, "--until");
    const auto windows = rt.read("ticket.read", [&](desk::Session& s) { return ticket::list_downtime(s.db, f); });
    output::Json records = output::Json::array();
    for (const auto& d : windows) records.push_back(ticket::to_json(d));
    print_records(rt, l->out, records, ticket::to_json(ticket::Downtime{}), [&] {
      if (windows.empty()) {
        rt.out() << "no downtime planned\n";
        return;
      }
      output::Table table({{"ID", true}, {"SYSTEM"}, {"START"}, {"END"}, {"REASON", false, true}, {"FROM"}});
      for (const auto& d : windows)
        table.add({{std::to_string(d.id)}, {d.system.value_or("(all)")}, {core::format_local(d.start)},
                   {core::format_local(d.end)}, {d.reason}, {d.source.value_or(d.created_by)}});
      table.render(rt.out(), rt.term());
    });
  });

  auto r = std::make_shared<DowntimeOptions>();
  auto* remove = group->add_subcommand("remove", "Remove a downtime window");
  remove->add_option("id", r->id, "The window's number (see `downtime list`)")->required();
  remove->callback([&rt, r] {
    const auto d = rt.write("downtime.manage", [&](desk::Session& s) { return ticket::remove_downtime(s, r->id); });
    rt.out() << fmt::format("removed downtime {} ({})\n", d.id, d.reason);
  });
}

}  // namespace opsdesk::cli
