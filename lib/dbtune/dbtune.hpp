#pragma once
// Database tuning for SQLite targets: analysis (read-only on the target), and the pieces of
// apply, undo, clean-temp and optimize — each change to the target in its own transaction,
// recorded in the store with its undo SQL and audited. cmd/dbtune.cpp runs them in order:
// permission, backup, change ticket, changes, records.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backup/backup.hpp"
#include "config/config.hpp"
#include "dbtune/advisor.hpp"
#include "dbtune/findings.hpp"
#include "desk/session.hpp"
#include "output/json.hpp"

namespace opsdesk::dbtune {

using Target = config::Config::DbtuneTarget;

// A configured target by name (Error(not_found) naming the configured ones).
const Target& find_target(const config::Config& config, std::string_view name);

struct Analysis {
  std::string target;
  std::filesystem::path path;
  std::int64_t file_bytes = 0, page_size = 0, pages = 0, free_pages = 0, tables = 0, indexes = 0;
  std::string journal_mode;
  std::vector<Finding> findings;
  std::vector<StatementPlan> statements;  // with a workload
  std::vector<std::string> tables_seen;   // every table, for first-seen records
  double seconds = 0;
};
output::Json to_json(const Analysis& a);

// When opsdesk first saw each table of `target` (store).
std::map<std::string, core::Timestamp> first_seen(store::Db& db, std::string_view target);
// Remember the tables seen now (no audit entry: bookkeeping, not a change).
void record_seen(const desk::Session& s, std::string_view target, const std::vector<std::string>& tables);

// Analyse the target read-only. `workload` is the text of a workload file.
Analysis analyze(const config::Config& config, const Target& target, const std::map<std::string, core::Timestamp>& seen,
                 core::Timestamp now, const std::optional<std::string>& workload);

// The findings to apply: those named by id (Error(usage) for an unknown id, with the closest;
// Error(failed) for advice that cannot be applied), or every safe one.
std::vector<Finding> choose(const Analysis& a, const std::vector<std::string>& ids, bool all_safe);

struct Action {
  std::int64_t id = 0;
  std::string target, finding, kind, object, summary;
  std::vector<std::string> sql, undo_sql;
  std::optional<std::string> backup_id, change_ref;
  core::Timestamp at = 0;
  std::string actor;
  std::string status;  // applied, failed, undone
  std::optional<std::string> error;
  std::optional<std::int64_t> bytes_before, bytes_after, duration_ms;
  std::optional<core::Timestamp> undone_at;
  std::optional<std::string> undone_by;
};
output::Json to_json(const Action& a);

// Run the finding's fix on the target in one transaction (VACUUM outside one), waiting up to
// the target's timeout for its write lock (Error(busy) then, with nothing changed). Index
// changes are followed by ANALYZE of the table. The returned action is not yet recorded.
Action execute(const config::Config& config, const Target& target, const Finding& f, core::Timestamp now, const std::string& actor);

// Record an action (and audit it).
Action record_action(const desk::Session& s, Action a);

std::vector<Action> list_actions(store::Db& db, const std::optional<std::string>& target);
Action get_action(store::Db& db, std::int64_t id);  // Error(not_found)

// Reverse an applied action on the target: its undo SQL in one transaction; statements that
// read "before" get the pre-apply backup restored to a temporary file and attached as it.
// `before` is the action's backup (from the store), if it still exists.
void undo_on_target(const config::Config& config, const Action& a, const std::optional<backup::Backup>& before, core::Timestamp now);
void record_undo(const desk::Session& s, const Action& a);

// The change ticket of an apply: opened as a standard change (pre-approved by dbtune.apply),
// then implemented with what was done (or commented with what failed).
std::string open_change(const desk::Session& s, const Target& target, const std::vector<Finding>& findings,
                        const std::optional<std::string>& backup_id);
void close_change(const desk::Session& s, const std::string& ref, const std::vector<Action>& actions,
                  const std::optional<std::string>& failure);

// The backup target apply backs up first: the [[backup.targets]] entry of the same database,
// or one made for it (named after the dbtune target) in the default repository.
config::Config::BackupTarget backup_target_for(const config::Config& config, const Target& target);

struct OptimizeStep {
  std::string kind;  // analyze, optimize, vacuum, incremental-vacuum
  std::string sql;
  bool done = false;
  std::string why;   // why it was skipped or what it needed
};
// ANALYZE with analysis_limit, PRAGMA optimize, and VACUUM (or incremental_vacuum) when the
// space findings say it is worth it and the disk has room. `dry_run`: the plan only.
std::vector<Action> optimize(const config::Config& config, const Target& target, core::Timestamp now, const std::string& actor,
                             bool dry_run, std::vector<OptimizeStep>& steps);

}  // namespace opsdesk::dbtune
