// opsdesk db-tune analyze|apply|undo|clean-temp|optimize|history.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "account/permissions.hpp"
#include "backup/backup.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "output/progress.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"
#include "dbtune/dbtune.hpp"
#include "lock.hpp"
#include "output/table.hpp"

namespace opsdesk::cli {

namespace {

struct TuneOptions {
  std::string target, workload;
  std::vector<std::string> findings;
  std::int64_t action = 0;
  bool all_safe = false, dry_run = false, apply = false, brief = false;
  OutputOptions out;
};

std::string size_of(std::int64_t bytes) { return core::format_bytes(static_cast<double>(bytes)); }

std::optional<std::string> read_workload(const std::string& file) {
  if (file.empty()) return std::nullopt;
  const core::InputFile in(file);
  return std::string(in.view());
}

output::Color color_of(dbtune::Severity s) {
  switch (s) {
    case dbtune::Severity::high: return output::Color::red;
    case dbtune::Severity::medium: return output::Color::yellow;
    default: return output::Color::none;
  }
}

void render_analysis(Runtime& rt, const dbtune::Analysis& a, bool brief) {
  auto& out = rt.out();
  out << fmt::format("{}: {} ({}), {} tables, {} indexes, journal {}; analysed in {:.1f}s\n", a.target, a.path.string(),
                     size_of(a.file_bytes), a.tables, a.indexes, a.journal_mode, a.seconds);
  if (brief) {
    output::Table table({{"SEVERITY"}, {"FINDING"}, {"SUMMARY"}});
    for (const auto& f : a.findings)
      table.add({{std::string(dbtune::severity_name(f.severity)), color_of(f.severity)}, {f.id}, {f.summary}});
    if (!a.findings.empty()) table.render(out, rt.term());
    else out << "no findings: nothing to tune\n";
    return;
  }
  if (a.findings.empty()) out << "\nno findings: nothing to tune\n";
  for (const auto& f : a.findings) {
    out << '\n'
        << output::paint(fmt::format("[{}]", dbtune::severity_name(f.severity)), color_of(f.severity), rt.term().color) << ' ' << f.id
        << (f.applicable ? (f.safe ? "  (safe)" : "") : "  (advice)") << '\n';
    out << "  " << f.summary << '\n';
    out << "  " << f.explanation << '\n';
    for (const auto& sql : f.fix_sql) out << "  fix:  " << sql << (sql.starts_with("--") ? "" : ";") << '\n';
    for (const auto& sql : f.undo_sql) out << "  undo: " << sql << ";\n";
  }
  if (!a.statements.empty()) {
    out << "\nworkload (" << a.statements.size() << " statements):\n";
    for (const auto& s : a.statements) {
      std::string sql = s.statement.sql;
      for (auto& ch : sql)
        if (ch == '\n' || ch == '\t') ch = ' ';
      if (sql.size() > 70) sql = sql.substr(0, 69) + "…";
      out << fmt::format("  line {}: {}\n", s.statement.line, sql);
      if (!s.error.empty()) {
        out << "    cannot prepare: " << s.error << '\n';
        continue;
      }
      const bool changed = s.plan_before != s.plan_after;
      for (const auto& line : s.plan_before) out << "    " << (changed ? "before: " : "plan:   ") << line << '\n';
      if (changed)
        for (const auto& line : s.plan_after) out << "    after:  " << line << '\n';
    }
  }
  const auto applicable = std::count_if(a.findings.begin(), a.findings.end(), [](const dbtune::Finding& f) { return f.applicable; });
  if (applicable > 0)
    out << fmt::format("\n`opsdesk db-tune apply {} --finding ID` applies one (a backup first); --all-safe applies those marked safe\n",
                       a.target);
}

dbtune::Analysis run_analysis(Runtime& rt, const dbtune::Target& target, const std::optional<std::string>& workload,
                              const std::string& permission) {
  rt.write(permission, [](desk::Session&) {});  // the permission first (a new desk gets its admin)
  const auto seen = rt.read(permission, [&](desk::Session& s) { return dbtune::first_seen(s.db, target.name); });
  auto a = [&] {
    const output::Activity activity(std::cerr, rt.term().stderr_tty, "analysing " + target.name);
    return dbtune::analyze(rt.config(), target, seen, rt.now(), workload);
  }();
  rt.write(permission, [&](desk::Session& s) { dbtune::record_seen(s, target.name, a.tables_seen); });
  return a;
}

// Backup, change ticket, each change in its own transaction, records. Returns the actions.
std::vector<dbtune::Action> apply_findings(Runtime& rt, const dbtune::Target& target, const std::vector<dbtune::Finding>& chosen,
                                           bool quiet) {
  const auto& cfg = rt.config();
  const RunLock lock(rt.store_options(false), "dbtune", "db-tune apply");
  // 1. A backup first: without it, nothing is changed.
  const auto bt = dbtune::backup_target_for(cfg, target);
  const auto outcome = backup::take_backup(cfg, bt, rt.now());
  rt.write("dbtune.apply", [&](desk::Session& s) { backup::record_backup(s, outcome.backup); });
  if (outcome.failure)
    throw Error(*outcome.failure == ErrorKind::unavailable ? ErrorKind::unavailable : ErrorKind::failed,
                fmt::format("the backup of {} before tuning failed: {}; nothing was changed", target.name,
                            outcome.backup.error.value_or("?")));
  const std::string backup_id = outcome.backup.id;
  if (!quiet) rt.out() << fmt::format("backup {} taken first\n", backup_id);
  // 2. The change record.
  const auto ref = rt.write("dbtune.apply", [&](desk::Session& s) { return dbtune::open_change(s, target, chosen, backup_id); });
  if (!quiet) rt.out() << fmt::format("change {} opened (standard change, approved by dbtune.apply)\n", ref);
  // 3. The changes.
  std::vector<dbtune::Action> actions;
  std::optional<std::string> stopped;
  for (const auto& f : chosen) {
    dbtune::Action a;
    try {
      a = dbtune::execute(cfg, target, f, rt.now(), rt.identity().name);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::busy) throw;
      stopped = e.what();
      break;
    }
    a.backup_id = backup_id;
    a.change_ref = ref;
    a = rt.write("dbtune.apply", [&](desk::Session& s) { return dbtune::record_action(s, a); });
    if (!quiet) {
      if (a.status == "applied")
        rt.out() << fmt::format("action {}: {} applied in {} ms ({} → {})\n", a.id, a.finding, a.duration_ms.value_or(0),
                                size_of(a.bytes_before.value_or(0)), size_of(a.bytes_after.value_or(0)));
      else
        std::cerr << fmt::format("opsdesk: error: action {}: {} failed: {}\n", a.id, a.finding, a.error.value_or("?"));
    }
    actions.push_back(a);
    if (a.status != "applied") {
      stopped = fmt::format("{} failed", a.finding);
      break;
    }
  }
  rt.write("dbtune.apply", [&](desk::Session& s) { dbtune::close_change(s, ref, actions, stopped); });
  if (stopped) {
    const auto applied = std::count_if(actions.begin(), actions.end(), [](const dbtune::Action& a) { return a.status == "applied"; });
    const bool busy = stopped->find("busy") != std::string::npos || stopped->find("in use") != std::string::npos;
    throw Error(busy ? ErrorKind::busy : ErrorKind::failed,
                fmt::format("{}; {} change(s) applied before it stay (change {}; `opsdesk db-tune undo ID` reverses one)", *stopped,
                            applied, ref));
  }
  return actions;
}

void add_analyze(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<TuneOptions>();
  auto* cmd = group->add_subcommand("analyze", "Find what slows a database (read-only): space, statistics, leftovers, indexes");
  cmd->add_option("target", o->target, "A [[dbtune.targets]] name (default: every target, one after another)");
  cmd->add_option("--workload", o->workload, "A file of SQL statements (or -): index advice for them");
  cmd->add_flag("--brief", o->brief, "One line per finding");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const auto workload = read_workload(o->workload);
    if (!o->target.empty()) {
      const auto a = run_analysis(rt, dbtune::find_target(rt.config(), o->target), workload, "dbtune.analyze");
      print_object(rt, o->out, dbtune::to_json(a), [&] { render_analysis(rt, a, o->brief); });
      return;
    }
    // Every target (the weekly cron job): one that cannot be analysed is reported and the
    // others still are; the exit code is the first failure's.
    const auto& targets = rt.config().dbtune.targets;
    if (targets.empty()) rt.note("no database targets are configured; add [[dbtune.targets]] to the config");
    output::Json all = output::Json::array();
    std::optional<ErrorKind> first_failure;
    std::size_t failed = 0, printed = 0;
    for (const auto& t : targets) {
      try {
        const auto a = run_analysis(rt, t, workload, "dbtune.analyze");
        if (o->out.json) {
          all.push_back(output::select_fields(dbtune::to_json(a), chosen_fields(o->out)));
        } else {
          if (printed++ > 0) rt.out() << '\n';
          render_analysis(rt, a, o->brief);
        }
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::permission || e.kind() == ErrorKind::config || e.kind() == ErrorKind::usage) throw;
        std::cerr << fmt::format("opsdesk: error: {}: {}\n", t.name, e.what());
        if (!first_failure) first_failure = e.kind();
        ++failed;
      }
    }
    if (o->out.json) output::write_json(rt.out(), all);
    if (first_failure)
      throw Error(*first_failure, fmt::format("{} of {} targets could not be analysed", failed, targets.size()));
  });
}

void add_apply(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<TuneOptions>();
  auto* cmd = group->add_subcommand("apply", "Apply findings: a backup first, each change in its own transaction, with an undo");
  cmd->add_option("target", o->target, "A [[dbtune.targets]] name")->required();
  cmd->add_option("--finding", o->findings, "A finding's id (repeatable)");
  cmd->add_flag("--all-safe", o->all_safe, "Every finding marked safe");
  cmd->add_flag("--dry-run", o->dry_run, "Show what would be done; change nothing");
  cmd->add_option("--workload", o->workload, "The workload whose missing-index findings to apply");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    if (o->findings.empty() && !o->all_safe) throw Error(ErrorKind::usage, "give --finding ID (repeatable) or --all-safe");
    output::check_fields(o->dry_run ? dbtune::to_json(dbtune::Finding{}) : dbtune::to_json(dbtune::Action{}), chosen_fields(o->out));
    const auto& target = dbtune::find_target(rt.config(), o->target);
    rt.write("dbtune.apply", [](desk::Session&) {});  // the permission before any work
    const auto a = run_analysis(rt, target, read_workload(o->workload), "dbtune.apply");
    const auto chosen = dbtune::choose(a, o->findings, o->all_safe);
    if (chosen.empty()) {
      if (o->out.json) output::write_json(rt.out(), output::Json::array());
      else rt.out() << "nothing to apply: no safe finding in " << target.name << '\n';
      return;
    }
    if (o->dry_run) {
      output::Json j = output::Json::array();
      for (const auto& f : chosen) j.push_back(dbtune::to_json(f));
      print_object(rt, o->out, j, [&] {
        for (const auto& f : chosen) {
          rt.out() << f.id << ": " << f.summary << '\n';
          for (const auto& sql : f.fix_sql) rt.out() << "  " << sql << ";\n";
        }
        rt.out() << "dry run: nothing was changed (apply takes a backup first, then each change in its own transaction)\n";
      });
      return;
    }
    const auto actions = apply_findings(rt, target, chosen, o->out.json);
    if (o->out.json) {
      output::Json j = output::Json::array();
      for (const auto& x : actions) j.push_back(dbtune::to_json(x));
      output::write_json(rt.out(), output::select_fields(j, chosen_fields(o->out)));
    }
  });
}

void add_undo(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<TuneOptions>();
  auto* cmd = group->add_subcommand("undo", "Reverse an applied action (rows of dropped tables come back from its backup)");
  cmd->add_option("action", o->action, "The action's id (`opsdesk db-tune history`)")->required();
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const auto& cfg = rt.config();
    rt.write("dbtune.apply", [](desk::Session&) {});
    const auto [a, before] = rt.read("dbtune.apply", [&](desk::Session& s) {
      const auto action = dbtune::get_action(s.db, o->action);
      std::optional<backup::Backup> b;
      if (action.backup_id) b = backup::find(s.db, *action.backup_id);
      return std::make_pair(action, b);
    });
    const RunLock lock(rt.store_options(false), "dbtune", "db-tune apply or undo");
    dbtune::undo_on_target(cfg, a, before, rt.now());
    rt.write("dbtune.apply", [&](desk::Session& s) { dbtune::record_undo(s, a); });
    const output::Json j{{"id", a.id}, {"finding", a.finding}, {"status", "undone"}, {"sql", a.undo_sql}};
    print_object(rt, o->out, j, [&] { rt.out() << fmt::format("action {} undone: {}\n", a.id, a.finding); });
  });
}

void add_clean_temp(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<TuneOptions>();
  auto* cmd = group->add_subcommand("clean-temp", "List leftover temporary tables; --apply drops those nothing depends on");
  cmd->add_option("target", o->target, "A [[dbtune.targets]] name")->required();
  cmd->add_flag("--apply", o->apply, "Drop them (after a backup); without it nothing changes");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const auto& target = dbtune::find_target(rt.config(), o->target);
    if (o->apply) rt.write("dbtune.apply", [](desk::Session&) {});
    const auto a = run_analysis(rt, target, std::nullopt, o->apply ? "dbtune.apply" : "dbtune.analyze");
    std::vector<dbtune::Finding> temps, droppable;
    for (const auto& f : a.findings)
      if (f.kind == "temp-table") {
        temps.push_back(f);
        if (f.applicable) droppable.push_back(f);
      }
    std::vector<dbtune::Action> actions;
    if (o->apply && !droppable.empty()) actions = apply_findings(rt, target, droppable, o->out.json);
    output::Json j = output::Json::array();
    for (const auto& f : temps) {
      auto x = dbtune::to_json(f);
      const auto act = std::find_if(actions.begin(), actions.end(), [&](const dbtune::Action& y) { return y.finding == f.id; });
      x["dropped"] = act != actions.end() && act->status == "applied";
      x["action"] = act != actions.end() ? output::Json(act->id) : output::Json(nullptr);
      j.push_back(x);
    }
    print_object(rt, o->out, j, [&] {
      if (temps.empty()) {
        rt.out() << "no leftover tables in " << target.name << '\n';
        return;
      }
      output::Table table({{"TABLE"}, {"ROWS", true}, {"SIZE", true}, {"AGE", true}, {"STATUS"}});
      for (const auto& f : temps) {
        const auto& d = f.details;
        const auto act = std::find_if(actions.begin(), actions.end(), [&](const dbtune::Action& y) { return y.finding == f.id; });
        std::string status = !f.applicable ? "kept: used by " + core::join(d["dependants"].get<std::vector<std::string>>(), ", ")
                             : act != actions.end() ? fmt::format("dropped (action {})", act->id)
                                                    : "would drop";
        table.add({{f.object}, {std::to_string(d["rows"].get<std::int64_t>())}, {size_of(d["bytes"].get<std::int64_t>())},
                   {fmt::format("{}d", d["age_days"].get<std::int64_t>())}, {status}});
      }
      table.render(rt.out(), rt.term());
      if (!o->apply && !droppable.empty())
        rt.out() << fmt::format("dry run: nothing was dropped; `opsdesk db-tune clean-temp {} --apply` drops {} table(s) after a backup\n",
                                target.name, droppable.size());
    });
  });
}

void add_optimize(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<TuneOptions>();
  auto* cmd = group->add_subcommand("optimize", "ANALYZE (with analysis_limit), PRAGMA optimize, and VACUUM when worth it");
  cmd->add_option("target", o->target, "A [[dbtune.targets]] name")->required();
  cmd->add_flag("--dry-run", o->dry_run, "Show the steps; change nothing");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const auto& target = dbtune::find_target(rt.config(), o->target);
    rt.write("dbtune.apply", [](desk::Session&) {});
    std::optional<RunLock> lock;
    if (!o->dry_run) lock.emplace(rt.store_options(false), "dbtune", "db-tune apply or optimize");
    std::vector<dbtune::OptimizeStep> steps;
    auto actions = dbtune::optimize(rt.config(), target, rt.now(), rt.identity().name, o->dry_run, steps);
    for (auto& a : actions) a = rt.write("dbtune.apply", [&](desk::Session& s) { return dbtune::record_action(s, a); });
    output::Json j{{"target", target.name}, {"dry_run", o->dry_run}, {"steps", output::Json::array()}};
    for (const auto& s : steps) j["steps"].push_back({{"kind", s.kind}, {"sql", s.sql}, {"done", s.done}, {"why", s.why}});
    j["actions"] = output::Json::array();
    for (const auto& a : actions) j["actions"].push_back(dbtune::to_json(a));
    print_object(rt, o->out, j, [&] {
      for (const auto& s : steps) {
        const auto act = std::find_if(actions.begin(), actions.end(), [&](const dbtune::Action& a) {
          return (s.kind == "analyze" && a.kind == "analyze") || (s.kind != "analyze" && a.kind == "vacuum");
        });
        std::string what = o->dry_run ? "would run" : s.done ? "done" : "skipped";
        if (act != actions.end() && s.done)
          what += fmt::format(" in {} ms ({} → {}), action {}", act->duration_ms.value_or(0), size_of(act->bytes_before.value_or(0)),
                              size_of(act->bytes_after.value_or(0)), act->id);
        rt.out() << fmt::format("{}: {} — {} ({})\n", s.kind, s.sql, what, s.why);
      }
    });
    for (const auto& a : actions)
      if (a.status != "applied") {
        rt.exit_code = 1;
        std::cerr << fmt::format("opsdesk: error: {} failed: {}\n", a.finding, a.error.value_or("?"));
      }
  });
}

void add_history(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<TuneOptions>();
  auto* cmd = group->add_subcommand("history", "The tuning actions applied, with their change tickets and undo state");
  cmd->add_option("target", o->target, "Only this target's");
  add_format_option(cmd, o->out, {"table", "json", "jsonl", "csv", "tsv"});
  cmd->callback([&rt, o] {
    const auto actions = rt.read("", [&](desk::Session& s) {
      if (s.role) account::require(s, "dbtune.analyze");  // a desk with no accounts yet has no history
      return dbtune::list_actions(s.db, o->target.empty() ? std::nullopt : std::optional<std::string>(o->target));
    });
    output::Json records = output::Json::array();
    for (const auto& a : actions) records.push_back(dbtune::to_json(a));
    print_records(rt, o->out, records, dbtune::to_json(dbtune::Action{}), [&] {
      if (actions.empty()) {
        rt.out() << "no tuning actions yet; `opsdesk db-tune analyze TARGET` finds what to do\n";
        return;
      }
      output::Table table({{"ID", true}, {"TARGET"}, {"WHEN"}, {"FINDING"}, {"STATUS"}, {"CHANGE"}, {"BACKUP"}});
      for (const auto& a : actions)
        table.add({{std::to_string(a.id)}, {a.target}, {core::format_local(a.at)}, {a.finding},
                   {a.status, a.status == "failed" ? output::Color::red : output::Color::none}, {a.change_ref.value_or("-")},
                   {a.backup_id.value_or("-")}});
      table.render(rt.out(), rt.term());
    });
  });
}

}  // namespace

void add_dbtune_command(CLI::App& app, Runtime& rt) {
  auto* group = app.add_subcommand("db-tune", "Tune SQLite databases: analyze, apply with a backup first, undo, clean-temp, optimize");
  group->require_subcommand(1);
  add_analyze(group, rt);
  add_apply(group, rt);
  add_undo(group, rt);
  add_clean_temp(group, rt);
  add_optimize(group, rt);
  add_history(group, rt);
}

}  // namespace opsdesk::cli
