// opsdesk inspect run|list|history|availability.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "commands.hpp"
#include "lock.hpp"
#include "common.hpp"
#include "output/progress.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"
#include "inspect/formats.hpp"
#include "inspect/history.hpp"
#include "inspect/runner.hpp"
#include "output/table.hpp"

namespace opsdesk::cli {

namespace {

using Check = config::Config::Check;

output::Color color_of(inspect::State s) {
  switch (s) {
    case inspect::State::ok: return output::Color::green;
    case inspect::State::warning: return output::Color::yellow;
    case inspect::State::critical: return output::Color::red;
    case inspect::State::unknown: return output::Color::magenta;
  }
  return output::Color::none;
}

struct RunOptions {
  std::vector<std::string> names;
  std::string tag, system, format = "table";
  bool all = false, quiet = false, record = false;
  OutputOptions out;  // --json [FIELDS]: the same as --format json, with field selection
};

const std::vector<std::string> k_run_formats = {"table", "json", "nagios", "junit", "prometheus"};
output::Json run_json(const inspect::RunRecord& rec, const std::vector<inspect::Result>& results) {
  output::Json list = output::Json::array();
  for (const auto& r : results) list.push_back(inspect::to_json(r));
  output::Json tickets = output::Json::array();
  for (const auto& t : rec.tickets)
    tickets.push_back({{"check", t.check}, {"ref", t.ref.empty() ? output::Json(nullptr) : output::Json(t.ref)}, {"action", t.action}});
  return output::Json{{"run", rec.run_id},
                      {"worst", core::to_lower(inspect::state_name(rec.worst))},
                      {"results", list},
                      {"tickets", tickets},
                      {"record", rec.record_ref ? output::Json(*rec.record_ref) : output::Json(nullptr)}};
}

std::vector<Check> select(const config::Config& cfg, const RunOptions& o) {
  std::vector<std::string> known;
  for (const auto& c : cfg.checks) known.push_back(c.name);
  for (const auto& n : o.names)
    if (std::find(known.begin(), known.end(), n) == known.end()) model::throw_unknown("check", n, known);
  std::vector<Check> out;
  for (const auto& c : cfg.checks) {
    if (!o.names.empty() && std::find(o.names.begin(), o.names.end(), c.name) == o.names.end()) continue;
    if (!o.tag.empty() && std::find(c.tags.begin(), c.tags.end(), o.tag) == c.tags.end()) continue;
    if (!o.system.empty() && c.system != o.system) continue;
    out.push_back(c);
  }
  return out;
}

void print_table(Runtime& rt, const std::vector<inspect::Result>& results, bool only_bad) {
  output::Table table({{"CHECK"}, {"SYSTEM"}, {"STATE"}, {"RESULT", false, true}});
  for (const auto& r : results) {
    if (only_bad && r.state == inspect::State::ok) continue;
    table.add({{r.check}, {r.system.empty() ? "-" : r.system}, {std::string(inspect::state_name(r.state)), color_of(r.state)},
               {r.summary}});
  }
  table.render(rt.out(), rt.term());
}

void add_run(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<RunOptions>();
  auto* cmd = group->add_subcommand("run", "Run the configured checks that are due; exit with the worst state (0-3)");
  cmd->add_option("--check", o->names, "Only this check (repeatable)");
  cmd->add_option("--tag", o->tag, "Only checks with this tag");
  cmd->add_option("-s,--system", o->system, "Only checks of this system");
  cmd->add_flag("--all", o->all, "Run every selected check, due or not");
  choices(cmd->add_option("--format", o->format, "Output format (default table)"), k_run_formats);
  cmd->add_flag("-q,--quiet", o->quiet, "Print nothing when every check is OK, only the others otherwise (cron)");
  cmd->add_flag("--record", o->record, "Also record the run as an inspection ticket (the monthly inspection)");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    if (o->out.json) o->format = "json";
    output::check_fields(run_json({}, {}), chosen_fields(o->out));
    check_choice("format", o->format, k_run_formats);
    const auto& cfg = rt.config();
    const auto selected = select(cfg, *o);
    if (cfg.checks.empty()) {
      rt.note(fmt::format("no checks are configured; add [[checks]] to {}",
                          cfg.source.empty() ? config::locate(rt.globals.config).path.string() : cfg.source.string()));
      return;
    }
    const RunLock lock(rt.store_options(false), "inspect", "inspect run");
    inspect::ProbeContext ctx;
    ctx.now = rt.now();
    // A short write transaction: the permission is checked (and a new desk gets its admin)
    // before any check runs; the checks themselves run outside any transaction.
    const auto due = rt.write("inspect.run", [&](desk::Session& s) {
      ctx.last_verified = inspect::last_verified_backups(s.db);
      return inspect::due_checks(s.db, selected, s.now, o->all || !o->names.empty());
    });
    if (due.empty()) {
      if (!o->quiet) rt.note(fmt::format("nothing is due ({} checks selected); --all runs them now", selected.size()));
      return;
    }
    if (std::any_of(due.begin(), due.end(), [](const Check& c) { return c.type == "process"; }))
      ctx.processes = std::make_shared<const std::vector<inspect::ProcessInfo>>(inspect::list_processes());
    output::ProgressLine progress(std::cerr, rt.term().stderr_tty && !o->quiet && due.size() > 1, "checking", "checks");
    const auto results = inspect::run_checks(due, cfg.inspect.parallel, ctx, [&](std::size_t done) { progress.update(done, due.size()); });
    progress.clear();
    const auto rec = rt.write("inspect.run", [&](desk::Session& s) {
      return inspect::record_run(s, cfg.checks, results, ctx.now, o->record);
    });
    rt.exit_code = static_cast<int>(rec.worst);
    const bool all_ok = rec.worst == inspect::State::ok;
    if (o->format == "json") {
      output::write_json(rt.out(), output::select_fields(run_json(rec, results), chosen_fields(o->out)));
    } else if (o->format == "nagios") {
      rt.out() << inspect::to_nagios(results);
    } else if (o->format == "junit") {
      rt.out() << inspect::to_junit(results, ctx.now);
    } else if (o->format == "prometheus") {
      rt.out() << inspect::to_prometheus(results);
    } else if (!(o->quiet && all_ok)) {
      print_table(rt, results, o->quiet);
    }
    if (o->format == "table" && !(o->quiet && all_ok)) {
      for (const auto& t : rec.tickets)
        rt.out() << (t.action == "suppressed" ? fmt::format("{}: no incident opened (planned downtime)\n", t.check)
                                              : fmt::format("{}: incident {} {}\n", t.check, t.ref, t.action));
      if (rec.record_ref) rt.out() << fmt::format("inspection recorded as {}\n", *rec.record_ref);
    }
  });
}

void add_list(CLI::App* group, Runtime& rt) {
  auto out = std::make_shared<OutputOptions>();
  auto* cmd = group->add_subcommand("list", "The configured checks, their last state and when they are next due");
  add_format_option(cmd, *out, {"table", "json", "jsonl", "csv", "tsv"});
  cmd->callback([&rt, out] {
    const auto statuses = rt.read("ticket.read", [&](desk::Session& s) { return inspect::check_statuses(s.db, s.config.checks); });
    auto json_of = [](const inspect::CheckStatus& st) {
      auto time = [](const std::optional<core::Timestamp>& t) { return t ? output::Json(core::format_rfc3339(*t)) : output::Json(nullptr); };
      return output::Json{{"name", st.check.name},
                          {"type", st.check.type},
                          {"system", st.check.system.empty() ? output::Json(nullptr) : output::Json(st.check.system)},
                          {"interval_seconds", st.check.interval},
                          {"state", st.state ? output::Json(core::to_lower(inspect::state_name(*st.state))) : output::Json(nullptr)},
                          {"since", time(st.since)},
                          {"last_at", time(st.last_at)},
                          {"next_due", st.last_at ? output::Json(core::format_rfc3339(st.next_due)) : output::Json(nullptr)},
                          {"ticket", st.ticket_ref ? output::Json(*st.ticket_ref) : output::Json(nullptr)}};
    };
    output::Json records = output::Json::array();
    for (const auto& st : statuses) records.push_back(json_of(st));
    print_records(rt, *out, records, json_of(inspect::CheckStatus{}), [&] {
      if (statuses.empty()) {
        rt.out() << "no checks are configured; add [[checks]] to the config (see config/opsdesk.example.toml)\n";
        return;
      }
      output::Table table({{"CHECK"}, {"TYPE"}, {"SYSTEM"}, {"STATE"}, {"SINCE"}, {"NEXT DUE"}, {"INCIDENT"}});
      for (const auto& st : statuses) {
        table.add({{st.check.name}, {st.check.type}, {st.check.system.empty() ? "-" : st.check.system},
                   st.state ? output::Cell{std::string(inspect::state_name(*st.state)), color_of(*st.state)} : output::Cell{"never run"},
                   {st.since ? core::format_local(*st.since) : "-"},
                   {st.last_at ? (st.next_due <= rt.now() ? "now" : core::format_relative(st.next_due, rt.now())) : "now"},
                   {st.ticket_ref.value_or("-")}});
      }
      table.render(rt.out(), rt.term());
    });
  });
}

struct HistoryOptions {
  std::string check, system, state, since, until;
  std::int64_t limit = 50;
  OutputOptions out;
};

void add_history(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<HistoryOptions>();
  auto* cmd = group->add_subcommand("history", "Past results, newest last");
  cmd->add_option("--check", o->check, "Only this check");
  cmd->add_option("-s,--system", o->system, "Only this system");
  choices(cmd->add_option("--state", o->state, "Only results in this state"), std::vector<std::string>{"ok", "warning", "critical", "unknown"});
  cmd->add_option("--since", o->since, "Results at or after this time");
  cmd->add_option("--until", o->until, "Results before this time");
  cmd->add_option("-L,--limit", o->limit, "The newest N (0: all)")->default_str("50");
  add_format_option(cmd, o->out, {"table", "json", "jsonl", "csv", "tsv"});
  cmd->callback([&rt, o] {
    inspect::HistoryFilter f;
    if (!o->check.empty()) f.check = o->check;
    if (!o->system.empty()) f.system = o->system;
    if (!o->state.empty()) {
      f.state = inspect::state_of(o->state);
      if (!f.state) model::throw_unknown("state", o->state, {"ok", "warning", "critical", "unknown"});
    }
    f.since = rt.parse_time_opt(o->since, "--since");
    f.until = rt.parse_time_opt(o->until, "--until");
    f.limit = o->limit;
    const auto results = rt.read("ticket.read", [&](desk::Session& s) { return inspect::history(s.db, f); });
    output::Json records = output::Json::array();
    for (const auto& r : results) records.push_back(inspect::to_json(r));
    print_records(rt, o->out, records, inspect::to_json(inspect::Result{}), [&] {
      if (results.empty()) {
        rt.out() << "no results match\n";
        return;
      }
      output::Table table({{"WHEN"}, {"CHECK"}, {"STATE"}, {"RESULT", false, true}});
      for (const auto& r : results)
        table.add({{core::format_local(r.at)}, {r.check}, {std::string(inspect::state_name(r.state)), color_of(r.state)}, {r.summary}});
      table.render(rt.out(), rt.term());
    });
  });
}

struct AvailabilityOptions {
  std::string system, period, since, until;
  OutputOptions out;
};

void add_availability(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<AvailabilityOptions>();
  auto* cmd = group->add_subcommand("availability", "Time OK / (period - planned downtime), per system and check");
  cmd->add_option("-s,--system", o->system, "Only this system");
  cmd->add_option("--period", o->period, "2026-11, 2026-Q3, 2026 or a day (default: this month so far)");
  cmd->add_option("--since", o->since, "From this time");
  cmd->add_option("--until", o->until, "Until this time");
  add_format_option(cmd, o->out, {"table", "json", "jsonl", "csv", "tsv"});
  cmd->callback([&rt, o] {
    core::Timestamp from = 0, to = 0;
    if (!o->period.empty()) {
      if (!o->since.empty() || !o->until.empty()) throw Error(ErrorKind::usage, "give --period or --since/--until, not both");
      const auto p = core::parse_period(o->period);
      if (!p) throw Error(ErrorKind::usage, fmt::format("--period \"{}\"; expected 2026-11, 2026-Q3, 2026 or 2026-11-25", o->period));
      from = p->start;
      to = std::min(p->end, rt.now());
    } else {
      from = o->since.empty() ? core::month_of(rt.now()).start : rt.parse_time(o->since, "--since");
      to = o->until.empty() ? rt.now() : rt.parse_time(o->until, "--until");
    }
    if (to <= from) throw Error(ErrorKind::usage, "the period is empty (it ends before it starts, or has not started)");
    const auto system = o->system.empty() ? std::nullopt : std::optional(o->system);
    const auto rows = rt.read("ticket.read", [&](desk::Session& s) {
      return inspect::availability(s.db, s.config.checks, system, from, to);
    });
    output::Json records = output::Json::array();
    for (const auto& a : rows) records.push_back(inspect::to_json(a));
    print_records(rt, o->out, records, inspect::to_json(inspect::Availability{}), [&] {
      if (rows.empty()) {
        rt.out() << "no checks with a system are configured\n";
        return;
      }
      rt.out() << fmt::format("{} → {}\n", core::format_local(from), core::format_local(to));
      output::Table table({{"SYSTEM"}, {"CHECK"}, {"AVAILABLE", true}, {"UP", true}, {"DOWN", true}, {"NO DATA", true},
                           {"PLANNED", true}});
      for (const auto& a : rows) {
        const bool whole = a.check.empty();
        table.add({{a.system, whole ? output::Color::bold : output::Color::none},
                   {whole ? "(system)" : a.check},
                   {a.percent() ? fmt::format("{:.2f}%", *a.percent()) : "no data",
                    a.percent().value_or(100.0) < 98.0 ? output::Color::red : output::Color::none},
                   {core::format_duration(a.up)}, {core::format_duration(a.down)}, {core::format_duration(a.no_data)},
                   {core::format_duration(a.downtime)}});
      }
      table.render(rt.out(), rt.term());
    });
  });
}

}  // namespace

void add_inspect_command(CLI::App& app, Runtime& rt) {
  auto* group = app.add_subcommand("inspect", "Health checks from the config: run them, their history, availability");
  group->require_subcommand(1);
  add_run(group, rt);
  add_list(group, rt);
  add_history(group, rt);
  add_availability(group, rt);
}

}  // namespace opsdesk::cli
