#pragma once
// The service report the contract asks for at least every quarter: the period's figures
// against the contract's targets, SLA, availability, inspections, backups, tuning, technical
// and service-quality problems, and the remediation plan. One model, built by aggregate
// queries (memory stays bounded however many tickets the store holds), rendered per format.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/time.hpp"
#include "desk/session.hpp"
#include "output/json.hpp"
#include "store/db.hpp"

namespace opsdesk::report {

// "2026-Q3", "2026-11", "2026" (Error(usage) otherwise); the default is the last complete month.
core::Period period_of(std::string_view text);
core::Period default_period(core::Timestamp now);

struct Target {
  std::string name;     // acknowledged_on_time, resolved_on_time, availability
  std::string label;    // "incidents acknowledged in time"
  double aim = 0;       // percent
  std::optional<double> measured;  // nothing measured: not judged
  bool met = true;
  std::string basis;    // "297 of 300 clocks"
};

struct TicketCount {
  std::string type, priority;
  std::int64_t opened = 0, resolved = 0, open_at_end = 0;
};

struct SlaRow {
  std::string clock, priority;
  std::int64_t met = 0, breached = 0, running = 0;
  std::optional<double> compliance;            // met / (met + breached), percent
  std::optional<core::Seconds> median, p90;    // of stopped clocks
};

struct Breach {
  std::string ref, clock, priority, title;
  core::Seconds overrun = 0;
  std::string cause;  // the recorded pending reason, extension reason or resolution
};

struct Named {
  std::string name;
  std::int64_t count = 0, previous = 0;  // this period and the one before
};

struct ProblemLine {
  std::string ref, title, status, assignee, detail;  // detail: root cause, or the plan / window
  std::optional<core::Timestamp> due;
};

struct Report {
  std::string desk;
  core::Period period;
  std::optional<std::string> system;
  core::Timestamp generated_at = 0;
  bool redacted = false;
  // 1. Summary
  std::vector<TicketCount> tickets;
  // Tickets opened per week of the period (7-day buckets from its start), by priority.
  struct Week {
    core::Timestamp start = 0;
    std::map<std::string, std::int64_t> by_priority;
  };
  std::vector<Week> weeks;
  std::vector<Target> targets;
  std::int64_t reports_issued = 0;  // recorded reports of this period
  int reports_per_quarter = 1;      // what the contract asks
  // 2. SLA
  std::vector<SlaRow> sla;
  std::int64_t extensions_requested = 0, extensions_approved = 0;
  // 3. Availability per system
  struct Availability {
    std::string system;
    std::optional<double> percent;
    core::Seconds up = 0, down = 0, no_data = 0, planned = 0;
  };
  std::vector<Availability> availability;
  // 4. Inspections
  std::int64_t inspection_runs = 0;
  std::map<std::string, std::int64_t> results_by_state;
  std::vector<Named> recurring_failures;  // checks that failed more than once
  // 5. Backups
  std::int64_t backups_ok = 0, backups_failed = 0, restores = 0, verified = 0;
  struct BackupTarget {
    std::string target;
    std::optional<core::Timestamp> last_ok, last_verified;
  };
  std::vector<BackupTarget> backup_targets;
  // 6. Database tuning
  struct Tuning {
    std::string target, kind;
    std::int64_t applied = 0, failed = 0, undone = 0;
    std::int64_t bytes_freed = 0;
  };
  std::vector<Tuning> tuning;
  // 7. Technical problems
  std::vector<Named> categories, systems;
  std::vector<ProblemLine> problems_opened;
  // 8. Service quality
  std::vector<Breach> breaches;
  std::int64_t unsigned_records = 0;
  std::int64_t survey_responses = 0, low_scores = 0;
  std::optional<double> csat;  // average score, 1-5
  // 9. Remediation plan
  std::vector<ProblemLine> open_problems, planned_changes;
  // Staff leaving soon with open tickets (the contract wants changes announced ahead).
  std::vector<std::string> staff_warnings;

  bool targets_met() const;
};

Report build(store::Db& db, const config::Config& config, const core::Period& period, const std::optional<std::string>& system,
             core::Timestamp now, bool redact);

// The report as titled tables ("1. Summary", "Tickets", "2. SLA", ...), shared by the
// text, Markdown, CSV and HTML renderings so that they say the same.
struct Section {
  std::string title;
  std::vector<std::string> notes;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::string empty;  // said when there are no rows
};
std::vector<Section> sections(const Report& r);

output::Json to_json(const Report& r);
std::string render_text(const Report& r);
std::string render_markdown(const Report& r);
// One self-contained page (inline CSS and SVG charts, nothing fetched) that prints on A4.
std::string render_html(const Report& r, const config::Config& config);
// One CSV table per section ("summary", "sla", ...), or just `section`.
std::string render_csv(const Report& r, const std::optional<std::string>& section);
std::vector<std::string> csv_sections();

// A report recorded as issued: what was written (its SHA-256), for which period, by whom.
struct Issued {
  std::int64_t id = 0;
  std::string period;
  core::Timestamp period_start = 0, period_end = 0;
  std::optional<std::string> system;
  std::string format, sha256;
  bool targets_met = true;
  core::Timestamp at = 0;
  std::string actor;
  std::optional<std::string> output;
};
// Record `text` as issued (and audit it) in the session's transaction.
Issued record_issued(const desk::Session& s, const Report& r, const std::string& format, const std::string& text,
                     const std::optional<std::string>& output);
std::vector<Issued> issued(store::Db& db);
output::Json to_json(const Issued& i);

}  // namespace opsdesk::report
