// opsdesk backup run|list|show|verify|restore|prune|key.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "backup/artifact.hpp"
#include "backup/backup.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"
#include "lock.hpp"
#include "output/progress.hpp"
#include "output/table.hpp"

namespace opsdesk::cli {

namespace {

std::string size_of(std::int64_t bytes) { return core::format_bytes(static_cast<double>(bytes)); }

void render_list(Runtime& rt, const std::vector<backup::Backup>& backups) {
  output::Table table({{"ID"}, {"TARGET"}, {"KIND"}, {"TAKEN"}, {"SIZE", true}, {"STATUS"}, {"VERIFIED"}});
  for (const auto& b : backups) {
    const std::string verified = b.verified_at ? fmt::format("{} {}", b.verified_deep ? "deep" : "checksum",
                                                             b.verify_status.value_or("?"))
                                               : "-";
    table.add({{b.id}, {b.target}, {b.kind}, {core::format_local(b.started_at)}, {size_of(b.size)},
               {b.status, b.status == "ok" ? output::Color::none : output::Color::red},
               {verified, b.verify_status && *b.verify_status != "ok" ? output::Color::red : output::Color::none}});
  }
  table.render(rt.out(), rt.term());
}

struct BackupOptions {
  std::vector<std::string> targets;
  std::string id, target, to, output;
  bool quiet = false, all = false, latest = false, deep = false, quick = false, force = false, in_place = false, dry_run = false,
       rescan = false;
  OutputOptions out;
};

void add_run(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<BackupOptions>();
  auto* cmd = group->add_subcommand("run", "Back up the targets (all, or those named); exit 0 only if every one succeeded");
  cmd->add_option("targets", o->targets, "Targets to back up (default: all)");
  cmd->add_flag("-q,--quiet", o->quiet, "Print only failures (cron)");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    output::check_fields(backup::to_json(backup::Backup{}), chosen_fields(o->out));  // before any work
    const auto& cfg = rt.config();
    std::vector<backup::Target> targets;
    if (o->targets.empty()) targets = cfg.backup.targets;
    for (const auto& name : o->targets) targets.push_back(backup::find_target(cfg, name));
    if (targets.empty()) {
      rt.note("no backup targets are configured; add [[backup.targets]] to the config");
      return;
    }
    const RunLock lock(rt.store_options(false), "backup", "backup run");
    rt.write("backup.run", [](desk::Session&) {});  // the permission first (a new desk gets its admin)
    output::Json results = output::Json::array();
    std::optional<ErrorKind> worst;
    const bool show_progress = rt.term().stderr_tty && !o->quiet && !o->out.json;
    for (const auto& t : targets) {
      output::ProgressLine line(std::cerr, show_progress, t.name);
      const auto outcome = backup::take_backup(cfg, t, rt.now(), [&](std::uint64_t done, std::optional<std::uint64_t> total) {
        line.update(done, total);
      });
      line.clear();
      rt.write("backup.run", [&](desk::Session& s) { backup::record_backup(s, outcome.backup); });
      const auto& b = outcome.backup;
      results.push_back(backup::to_json(b));
      if (outcome.failure) {
        if (!worst || (*worst != ErrorKind::unavailable && (outcome.failure == ErrorKind::unavailable || outcome.failure == ErrorKind::io)))
          worst = outcome.failure;
        std::cerr << fmt::format("opsdesk: error: backup of {} failed: {}\n", t.name, b.error.value_or("?"));
        continue;
      }
      if (!o->quiet && !o->out.json) {
        const double ratio = b.content_size > 0 ? 100.0 * static_cast<double>(b.size) / static_cast<double>(b.content_size) : 100.0;
        rt.out() << fmt::format("{}: {} → {} ({:.0f}%) in {}s{}: {}\n", t.name, size_of(b.content_size), size_of(b.size), ratio,
                                b.finished_at - b.started_at, b.encrypted ? ", encrypted" : "", b.id);
      }
    }
    if (o->out.json) output::write_json(rt.out(), output::select_fields(results, chosen_fields(o->out)));
    // 69: a snapshot that could not be had in time; 74: the repository could not be written
    // (a full disk); 1: any other failure.
    if (worst) rt.exit_code = *worst == ErrorKind::unavailable ? 69 : *worst == ErrorKind::io ? 74 : 1;
  });
}

void add_list_show(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<BackupOptions>();
  auto* list = group->add_subcommand("list", "List backups (from the store; --rescan reads the repositories' manifests)");
  list->add_option("--target", o->target, "Only this target");
  list->add_flag("--all", o->all, "Also failed runs and pruned backups");
  list->add_flag("--rescan", o->rescan, "Rebuild the index from the manifests first (after losing the store)");
  add_format_option(list, o->out, {"table", "json", "jsonl", "csv", "tsv"});
  list->callback([&rt, o] {
    if (o->rescan) rt.write("backup.run", [](desk::Session& s) { backup::rescan(s); });
    backup::ListFilter f;
    if (!o->target.empty()) f.target = o->target;
    f.include_failed = f.include_pruned = o->all;
    const auto backups = rt.read("ticket.read", [&](desk::Session& s) { return backup::list(s.db, f); });
    output::Json records = output::Json::array();
    for (const auto& b : backups) records.push_back(backup::to_json(b));
    print_records(rt, o->out, records, backup::to_json(backup::Backup{}), [&] {
      if (backups.empty()) rt.out() << "no backups yet; `opsdesk backup run` takes them\n";
      else render_list(rt, backups);
    });
  });

  auto s = std::make_shared<BackupOptions>();
  auto* show = group->add_subcommand("show", "Show a backup and its manifest");
  show->add_option("id", s->id, "The backup")->required();
  add_json_option(show, s->out);
  show->callback([&rt, s] {
    const auto b = rt.read("ticket.read", [&](desk::Session& sess) { return backup::get(sess.db, s->id); });
    auto j = backup::to_json(b);
    j["manifest"] = b.manifest.empty() ? output::Json(nullptr) : output::Json::parse(b.manifest);
    print_object(rt, s->out, j, [&] {
      output::render_fields(rt.out(), {{"id", b.id}, {"target", b.target}, {"kind", b.kind}, {"status", b.status},
                                       {"taken", core::format_local(b.started_at)},
                                       {"artifact", (std::filesystem::path(b.repository) / b.artifact).string()},
                                       {"size", fmt::format("{} ({} of content)", size_of(b.size), size_of(b.content_size))},
                                       {"encrypted", b.encrypted ? "yes" : "no"},
                                       {"sha256", b.artifact_sha256},
                                       {"verified", b.verified_at ? fmt::format("{} ({}, {})", core::format_local(*b.verified_at),
                                                                                b.verified_deep ? "restore drill" : "checksum",
                                                                                b.verify_status.value_or("?"))
                                                                  : "never"}});
      if (b.error) rt.out() << "error: " << *b.error << '\n';
    });
  });
}

output::Json verification_json(const backup::Verification& v) {
  return output::Json{{"id", v.id}, {"ok", v.ok}, {"deep", v.deep}, {"detail", v.detail}};
}

output::Json prune_json(const backup::PruneDecision& d) {
  return output::Json{{"id", d.backup.id}, {"target", d.backup.target}, {"keep", d.keep}, {"reasons", d.reasons}};
}

void add_verify(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<BackupOptions>();
  auto* cmd = group->add_subcommand("verify", "Check backups: the artifact's SHA-256, or with --deep a restore drill");
  cmd->add_option("id", o->id, "The backup");
  cmd->add_flag("--latest", o->latest, "The newest backup of each target");
  cmd->add_flag("--all", o->all, "Every backup");
  cmd->add_option("--target", o->target, "Only this target's backups");
  cmd->add_flag("--deep", o->deep,
                "Restore into a temp dir and check the content (integrity_check, row counts, file hashes), or for postgres "
                "into a scratch database on its server");
  cmd->add_flag("--quick", o->quick, "In a deep drill of a SQLite backup, quick_check instead of integrity_check (faster)");
  cmd->add_flag("-q,--quiet", o->quiet, "Print only failures");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    // Fields are checked before any work, so a typo never follows a verification.
    output::check_fields(verification_json({}), chosen_fields(o->out));
    if ((o->id.empty() ? 0 : 1) + o->latest + o->all != 1) throw Error(ErrorKind::usage, "give one of ID, --latest or --all");
    const auto& cfg = rt.config();
    const auto chosen = rt.read("backup.run", [&](desk::Session& s) {
      if (!o->id.empty()) return std::vector<backup::Backup>{backup::get(s.db, o->id)};
      backup::ListFilter f;
      if (!o->target.empty()) f.target = o->target;
      auto all = backup::list(s.db, f);
      if (!o->latest) return all;
      std::map<std::string, backup::Backup> newest;
      for (auto& b : all) newest[b.target] = b;  // listed oldest first
      std::vector<backup::Backup> out;
      for (auto& [t, b] : newest) out.push_back(b);
      return out;
    });
    if (chosen.empty()) {
      rt.note("no backups to verify");
      return;
    }
    output::Json results = output::Json::array();
    bool failed = false;
    std::size_t nth = 0;
    for (const auto& b : chosen) {
      const auto v = [&] {
        const output::Activity activity(std::cerr, rt.term().stderr_tty && !o->quiet,
                                        fmt::format("verifying {} ({} of {})", b.id, ++nth, chosen.size()));
        return backup::verify(cfg, b, o->deep, o->quick);
      }();
      rt.write("backup.run", [&](desk::Session& s) { backup::record_verification(s, b, v); });
      failed = failed || !v.ok;
      results.push_back(verification_json(v));
      if (!o->out.json && (!o->quiet || !v.ok))
        (v.ok ? rt.out() : std::cerr) << fmt::format("{}: {} — {}\n", b.id, v.ok ? "OK" : "FAILED", v.detail);
    }
    if (o->out.json) output::write_json(rt.out(), output::select_fields(results, chosen_fields(o->out)));
    if (failed) rt.exit_code = 1;
  });
}

void add_restore(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<BackupOptions>();
  auto* cmd = group->add_subcommand("restore", "Restore a backup to a new place (or in place, after a safety backup)");
  cmd->add_option("id", o->id, "The backup")->required();
  cmd->add_option("--to", o->to, "Where: a file (sqlite, command), a directory (files) or a postgresql:// URL (postgres)");
  cmd->add_flag("--force", o->force, "Replace what is there");
  cmd->add_flag("--in-place", o->in_place, "sqlite, postgres: over the target's own database, after a safety backup of it");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    if (o->in_place == !o->to.empty()) throw Error(ErrorKind::usage, "give --to PATH|URL or --in-place (not both)");
    const auto& cfg = rt.config();
    const auto b = rt.read("backup.restore", [&](desk::Session& s) { return backup::get(s.db, o->id); });
    const RunLock lock(rt.store_options(false), "backup", "backup run or restore");
    backup::RestoreOptions ro{o->to, o->force, o->in_place};
    const auto r = [&] {
      const output::Activity activity(std::cerr, rt.term().stderr_tty, "restoring " + b.id);
      return backup::restore(cfg, b, ro, rt.now(), [&](const backup::Backup& safety) {
        rt.write("backup.restore", [&](desk::Session& s) { backup::record_backup(s, safety); });
      });
    }();
    rt.write("backup.restore", [&](desk::Session& s) { backup::record_restore(s, b, r); });
    const output::Json j{{"id", b.id}, {"to", r.path.string()},
                         {"safety_backup", r.safety_backup ? output::Json(*r.safety_backup) : output::Json(nullptr)}};
    print_object(rt, o->out, j, [&] { rt.out() << r.detail << '\n'; });
  });
}

void add_prune(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<BackupOptions>();
  auto* cmd = group->add_subcommand("prune", "Remove the backups the retention policy does not keep (restic's rules)");
  cmd->add_option("--target", o->target, "Only this target");
  cmd->add_flag("-n,--dry-run", o->dry_run, "Say what would be removed, remove nothing");
  cmd->add_flag("-q,--quiet", o->quiet, "Print nothing (cron)");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    output::check_fields(prune_json({}), chosen_fields(o->out));
    const RunLock lock(rt.store_options(false), "backup", "backup run or prune");
    const auto target = o->target.empty() ? std::nullopt : std::optional(o->target);
    const auto plan = rt.write("backup.run", [&](desk::Session& s) {
      auto p = backup::plan_prune(s.db, s.config, target, s.now);
      if (!o->dry_run) backup::prune(s, p);
      return p;
    });
    output::Json list = output::Json::array();
    for (const auto& d : plan)
      list.push_back(prune_json(d));
    if (o->out.json) {
      output::write_json(rt.out(), output::select_fields(list, chosen_fields(o->out)));
      return;
    }
    if (o->quiet) return;
    std::size_t removed = 0;
    for (const auto& d : plan) {
      removed += !d.keep;
      rt.out() << fmt::format("{}  {}\n", d.backup.id,
                              d.keep ? "kept because: " + core::join(d.reasons, ", ") : (o->dry_run ? "would be removed" : "removed"));
    }
    rt.out() << fmt::format("{} {} of {} backups\n", o->dry_run ? "would remove" : "removed", removed, plan.size());
  });
}

void add_key(CLI::App* group, Runtime& rt) {
  auto o = std::make_shared<BackupOptions>();
  auto* cmd = group->add_subcommand("key", "Make a new encryption key file (0600) for encrypted targets");
  cmd->add_option("-o,--output", o->output, "The key file to create (never overwritten)")->required();
  cmd->callback([&rt, o] {
    const std::filesystem::path path = core::expand_home(o->output);
    std::error_code ec;
    if (std::filesystem::exists(path, ec))
      throw Error(ErrorKind::failed, fmt::format("{} exists; a key file is never overwritten (its backups need it)", path.string()));
    core::make_private_dirs(path.parent_path());
    core::write_file_atomic(path, backup::new_key_text());
    rt.out() << fmt::format("wrote {}; keep a copy away from the backups: without it they cannot be restored\n", path.string());
  });
}

}  // namespace

void add_backup_command(CLI::App& app, Runtime& rt) {
  auto* group = app.add_subcommand("backup", "Backups that are provably restorable: run, verify, restore, prune");
  group->require_subcommand(1);
  add_run(group, rt);
  add_list_show(group, rt);
  add_verify(group, rt);
  add_restore(group, rt);
  add_prune(group, rt);
  add_key(group, rt);
}

}  // namespace opsdesk::cli
