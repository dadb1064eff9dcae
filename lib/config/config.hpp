#pragma once
// The TOML config: typed, validated, with every default built in so that no file is needed.
#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/range.hpp"
#include "core/time.hpp"
#include "model/vocabulary.hpp"

namespace opsdesk::config {

enum class ColorMode { auto_, always, never };

struct Config {
  std::filesystem::path source;  // the file it came from; empty for the built-in defaults

  struct Desk {
    std::string name = "opsdesk";
    std::string timezone = "local";  // an IANA zone, or "local" for the system's
  } desk;

  struct Store {
    std::string path;  // empty: $XDG_DATA_HOME/opsdesk/opsdesk.db
    std::string url;   // a PostgreSQL desk instead: postgresql://user@host/dbname (no password)
    std::string password_file;  // PostgreSQL: a file (0600) holding the password; else ~/.pgpass
    core::Seconds busy_timeout = 10;
  } store;

  struct Tickets {
    model::TicketType default_type = model::TicketType::incident;
    model::Priority default_priority = model::Priority::medium;
    // Small development work is at most 2 person-days (of 8 hours) in the contract.
    core::Seconds request_work_limit = 16 * 3600;
  } ticket;

  struct Sla {
    std::vector<model::TicketType> applies_to = {model::TicketType::incident, model::TicketType::request,
                                                 model::TicketType::complaint, model::TicketType::consult};
    std::vector<model::PendingReason> pause_on = {model::PendingReason::customer};
    std::vector<model::Priority> extension_needs_approval = {model::Priority::high, model::Priority::medium};
    double warn_at = 0.75;
    // targets[clock][priority]: clocks response, resolution, onsite, mitigation; priorities
    // urgent, high, medium, low. The contract's numbers.
    std::array<std::array<core::Seconds, 4>, 4> targets = {{
        {1800, 1800, 1800, 1800},
        {8 * 3600, 8 * 3600, 24 * 3600, 24 * 3600},
        {5 * 3600, 5 * 3600, 5 * 3600, 5 * 3600},
        {2 * 3600, 2 * 3600, 2 * 3600, 2 * 3600},
    }};
    struct Calendar {
      bool enabled = false;                          // false: 24x7, as the contract says
      std::vector<int> days = {1, 2, 3, 4, 5};       // working weekdays, 0 = Sunday
      std::vector<core::DaySpan> hours = {{540, 1080}};  // 09:00-18:00
      std::vector<int> holidays;                     // yyyymmdd
      std::vector<int> workdays;                     // weekend days worked, yyyymmdd
      std::vector<std::string> clocks = {"response", "resolution", "onsite", "mitigation"};
    } calendar;
  } sla;

  struct Inspect {
    int parallel = 8;                                   // checks run at once
    model::Priority incident_priority = model::Priority::high;  // incidents opened by failing checks
  } inspect;

  // One health check ([[checks]]). Which keys apply depends on `type`.
  struct Check {
    std::string name;
    std::string system;
    std::string type;  // disk load memory process tcp http certificate file_age sqlite postgres backup_freshness command
    std::vector<std::string> tags;
    std::string metric;  // which measured value the thresholds judge (each type has a default)
    std::optional<core::Range> warning;
    std::optional<core::Range> critical;
    core::Seconds interval = 300;
    core::Seconds timeout = 10;
    int retries = 0;
    core::Seconds retry_delay = 5;
    std::string timeout_state = "unknown";  // ok, warning, critical, unknown
    std::string open_ticket = "never";      // never, warning, critical
    bool auto_resolve = false;
    std::optional<model::Priority> priority;  // of the incidents it opens
    // disk, file_age, sqlite, certificate (a PEM file)
    std::string path;
    // tcp, certificate (a TLS endpoint)
    std::string host;
    int port = 0;
    std::string send;
    std::string expect;
    // http, certificate (an https URL), postgres (a postgresql:// URL, never with a password)
    std::string url;
    std::vector<int> expect_status;  // empty: 200-399
    std::string body_contains;
    std::string header_contains;
    bool verify = true;
    std::string ca_file;
    // process
    std::string process_name;
    std::string process_args;
    // sqlite
    std::string integrity = "quick";  // quick, full, none
    std::string query;
    // backup_freshness
    std::string target;
    // command
    std::vector<std::string> argv;
    std::string command;  // with shell = true
    bool shell = false;
  };
  std::vector<Check> checks;

  // What `backup prune` keeps, with restic's rules: the newest backup of each of the last N
  // hours/days/weeks/months/years that have one, the last N, and all within a duration of
  // the newest; the rules are OR-ed.
  struct Retention {
    int keep_last = 0;
    int keep_hourly = 0;
    int keep_daily = 0;
    int keep_weekly = 0;
    int keep_monthly = 0;
    int keep_yearly = 0;
    core::Seconds keep_within = 0;
    bool empty() const {
      return !keep_last && !keep_hourly && !keep_daily && !keep_weekly && !keep_monthly && !keep_yearly && !keep_within;
    }
  };

  struct BackupTarget {
    std::string name;
    std::string system;
    std::string kind;  // sqlite, files, command, postgres
    std::string path;                  // sqlite: the database
    std::vector<std::string> paths;    // files: files, directories, globs
    std::vector<std::string> exclude;  // files: patterns matched against each path and its name
    std::vector<std::string> argv;     // command: a dump program; its stdout is the backup
    std::string url;                   // postgres: postgresql://user@host/dbname (never a password)
    std::string repository;            // empty: backup.repository
    bool encrypt = false;
    std::string key_file;              // empty: backup.key_file
    std::optional<core::Seconds> timeout;
    std::optional<int> compression_level;
    std::optional<Retention> retention;  // empty: backup.retention
  };

  struct Backup {
    std::string repository;  // empty: $XDG_DATA_HOME/opsdesk/backups
    int compression_level = 3;
    int threads = 0;  // zstd workers; 0: one per CPU
    std::string key_file;
    core::Seconds timeout = 600;               // how long a consistent snapshot may take
    std::int64_t memory_snapshot_limit = 2LL << 30;  // larger SQLite databases are snapshotted to a temp file
    std::vector<std::string> restore_roots;  // `restore --to` only inside these; empty: anywhere
    Retention retention;
    std::vector<BackupTarget> targets;
  } backup;

  struct DbtuneThresholds {
    double vacuum_slack_percent = 20;  // free pages and unused bytes, as a share of the file
    std::int64_t vacuum_min_bytes = 16LL << 20;  // and at least this much to give back
    double stale_stats_percent = 25;   // row count drifted this far from sqlite_stat1's
    std::int64_t huge_table_rows = 5'000'000;
    double huge_table_share = 60;      // % of the file
  };
  struct DbtuneTarget {
    std::string name;
    std::string system;
    std::string path;
    std::vector<std::string> temp_patterns;  // empty: dbtune.temp_patterns
    std::optional<DbtuneThresholds> thresholds;  // empty: dbtune's
  };
  struct Dbtune {
    std::vector<std::string> temp_patterns = {"tmp_*",   "temp_*",  "*_tmp",     "*_temp",   "*_old",
                                              "*_bak",   "*_bak_*", "*_backup",  "*_backup_*", "*_copy",
                                              "bak_*",   "backup_*", "old_*"};
    DbtuneThresholds thresholds;
    core::Seconds timeout = 30;       // how long apply waits for the target's write lock
    std::int64_t sample_rows = 100'000;  // rows read per table for index statistics
    core::Seconds archive_keep = 90 * 86400;  // huge-table split proposals keep this much in the table
    std::vector<DbtuneTarget> targets;
  } dbtune;

  struct Report {
    // The contract's measures of the service, in percent.
    double acknowledged_on_time = 99;  // incidents acknowledged within the response target
    double resolved_on_time = 95;      // incidents resolved within the resolution target
    double availability = 98;          // each system, planned downtime left out
    int reports_per_quarter = 1;
  } report;

  struct Staff {
    core::Seconds departure_notice = 3 * 86400;  // the contract: staff changes announced 3 days ahead
  } staff;

  struct Output {
    ColorMode color = ColorMode::auto_;
  } output;
};

// Load `path`. Unknown keys and bad values throw Error(config) naming path:line:column, the key,
// the value and what is allowed.
Config load_file(const std::filesystem::path& path);
// Load TOML text (named `origin` in errors).
Config load_text(std::string_view text, const std::filesystem::path& origin);

// Which config file applies: `flag` (--config) > $OPSDESK_CONFIG > $XDG_CONFIG_HOME/opsdesk/config.toml.
struct ConfigLocation {
  std::filesystem::path path;
  bool explicit_choice = false;  // named by flag or environment: it must exist
};
ConfigLocation locate(const std::string& flag);

// Load the config that applies: the file at `where` if it exists, else the defaults.
// A file named explicitly that does not exist is an Error(config).
Config load(const ConfigLocation& where);

// Which store applies: `flag` (--db) > $OPSDESK_DB > store.path > $XDG_DATA_HOME/opsdesk/opsdesk.db.
std::filesystem::path store_path(const std::string& flag, const Config& config);

// The effective config as TOML or JSON text (secrets would be shown as "<redacted>").
std::string to_toml(const Config& config);
std::string to_json(const Config& config);

// The example config with every key, its default and its meaning (config/opsdesk.example.toml).
std::string_view example_text();

}  // namespace opsdesk::config
