#pragma once
// Backups that are provably restorable. A repository is a directory holding, per backup, one
// artifact and one JSON manifest; the artifact is written under a temporary name and renamed
// only when complete, and the manifest is written last, so a crash never leaves a backup that
// can be listed or restored half-way. The store indexes the repository (and can be rebuilt
// from the manifests).
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "backup/tarball.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "desk/session.hpp"
#include "output/json.hpp"

namespace opsdesk::backup {

using Target = config::Config::BackupTarget;

struct Backup {
  std::string id;  // erp-db-20261125T021000Z
  std::string target;
  std::string kind;
  std::string repository;
  core::Timestamp started_at = 0;
  core::Timestamp finished_at = 0;
  std::string status;  // ok, failed
  std::optional<std::string> error;
  std::string artifact;  // file name inside the repository
  std::int64_t size = 0;
  std::int64_t content_size = 0;
  std::string artifact_sha256;
  std::string content_sha256;
  bool encrypted = false;
  std::optional<core::Timestamp> verified_at;
  bool verified_deep = false;
  std::optional<std::string> verify_status;  // ok, corrupt, failed
  std::optional<core::Timestamp> pruned_at;
  std::string manifest;  // JSON text; empty for failed runs
};

output::Json to_json(const Backup& b);

std::filesystem::path repository_of(const config::Config& config, const Target& target);
const Target& find_target(const config::Config& config, std::string_view name);  // Error(not_found)

// Take one backup of `target` (no store access: it may take long). A failure is returned as a
// Backup with status "failed" and nothing left in the repository; Error(unavailable) is kept
// for a snapshot that could not be had in time.
struct RunOutcome {
  Backup backup;
  std::optional<ErrorKind> failure;
};
// `progress` hears, from the thread running the backup, how much content has been written and,
// where it is known beforehand (a SQLite file's size), the total.
using Progress = std::function<void(std::uint64_t done, std::optional<std::uint64_t> total)>;
RunOutcome take_backup(const config::Config& config, const Target& target, core::Timestamp now,
                       const Progress& progress = {});

// Index a finished run in the store (and audit it).
void record_backup(const desk::Session& s, const Backup& b);

struct ListFilter {
  std::optional<std::string> target;
  bool include_failed = false;
  bool include_pruned = false;
};
std::vector<Backup> list(store::Db& db, const ListFilter& filter);
std::optional<Backup> find(store::Db& db, std::string_view id);
Backup get(store::Db& db, std::string_view id);  // Error(not_found)

// Read the manifests of the configured repositories back into the store; returns the backups
// found (and marks indexed backups whose files are gone).
std::vector<Backup> rescan(const desk::Session& s);

struct Verification {
  std::string id;
  bool ok = false;
  bool deep = false;
  std::string detail;  // what was checked, or what is wrong
};
// Check the artifact's SHA-256 (and for PostgreSQL that pg_restore reads the dump's table of
// contents); `deep` restores it into a temporary directory and checks the content
// (integrity_check and row counts for SQLite, file hashes for files), or for PostgreSQL into a
// scratch database on the target's server, dropped again, its tables counted. No store access.
// `quick` uses quick_check instead of integrity_check in a deep drill (several times faster; it
// does not cross-check indexes against their tables).
Verification verify(const config::Config& config, const Backup& b, bool deep, bool quick = false);
// Store the outcome (a deep success records the target as verified restorable).
void record_verification(const desk::Session& s, const Backup& b, const Verification& v);

struct RestoreOptions {
  std::filesystem::path to;  // a file or directory; for postgres a postgresql:// URL of a database
  bool force = false;
  bool in_place = false;  // sqlite, postgres: over the target's own database, after a safety backup
};
struct Restored {
  std::filesystem::path path;  // for postgres the database's URL
  std::optional<std::string> safety_backup;
  std::string detail;
};
// Restore `b` (guards: no overwrite without force, no destination through a symlink or in a
// directory that does not exist; a postgres backup only into an empty database without force).
// No store access.
Restored restore(const config::Config& config, const Backup& b, const RestoreOptions& options, core::Timestamp now,
                 const std::function<void(const Backup&)>& record_safety);
void record_restore(const desk::Session& s, const Backup& b, const Restored& r);

struct PruneDecision {
  Backup backup;
  bool keep = false;
  std::vector<std::string> reasons;
};
// What the retention policy keeps of each target's backups (Error(config) for an empty policy).
std::vector<PruneDecision> plan_prune(store::Db& db, const config::Config& config, const std::optional<std::string>& target,
                                      core::Timestamp now);
// Remove the files of the backups not kept and mark them pruned.
void prune(const desk::Session& s, const std::vector<PruneDecision>& plan);

// When each target was last verified restorable: the creation time of its newest backup that
// passed a deep verification.
std::map<std::string, core::Timestamp> last_verified(store::Db& db);

}  // namespace opsdesk::backup
