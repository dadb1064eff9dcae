#pragma once
// Findings: what `db-tune analyze` reports about a database. Each has a stable id (the user
// names it to apply it), a severity, a plain explanation with the measured numbers, the SQL that
// would fix it and the SQL that would undo the fix.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/time.hpp"
#include "dbtune/catalog.hpp"
#include <nlohmann/json.hpp>

#include "output/json.hpp"

namespace opsdesk::dbtune {

enum class Severity { high, medium, low, info };
std::string_view severity_name(Severity s);

struct Finding {
  std::string id;    // "duplicate-index:orders_customer2", "vacuum", "missing-index:orders(customer_id, at)"
  std::string kind;  // vacuum, stats, journal-mode, cache-size, mmap-size, temp-table, duplicate-index,
                     // prefix-index, rowid-suffix-index, missing-index, unused-index, huge-table
  Severity severity = Severity::low;
  std::string object;   // the table or index it is about
  std::string summary;  // one line
  std::string explanation;
  std::vector<std::string> fix_sql;
  // Statements that reverse the fix; they may read the pre-apply backup attached as "before".
  std::vector<std::string> undo_sql;
  bool safe = false;        // `apply --all-safe` applies it
  bool applicable = true;   // false: advice for the application or a person (connection settings, a split)
  output::Json details = output::Json::object();
};

output::Json to_json(const Finding& f);

struct AnalyzeOptions {
  config::Config::DbtuneThresholds thresholds;
  std::vector<std::string> temp_patterns;
  core::Timestamp now = 0;
  core::Seconds archive_keep = 90 * 86400;
  // When opsdesk first saw each table of this database (from the store); tables not in it are
  // seen now.
  std::map<std::string, core::Timestamp> first_seen;
};

// Findings from the catalog alone (read with space): space, statistics, settings, temp tables,
// redundant indexes, huge tables. `db` is read for dependants and time ranges.
std::vector<Finding> analyze_catalog(TargetDb& db, const Catalog& catalog, const AnalyzeOptions& options);

// Sort by severity, then kind, then id.
void sort_findings(std::vector<Finding>& findings);

// Pattern matching for temporary tables: '*' is any run of characters, "YYYYMMDD" eight
// digits; case-insensitive.
bool matches_pattern(std::string_view name, std::string_view pattern);
// A date written in a name (20261125, 2026_11_25, 2026-11-25), as local midnight.
std::optional<core::Timestamp> date_in_name(std::string_view name);
// Names of views, triggers and tables that refer to `table` (found by renaming it in an
// in-memory copy of the schema and seeing whose SQL SQLite rewrites).
std::vector<std::string> dependants(const Catalog& catalog, std::string_view table);
// Same, on a copy made by copy_schema (reused across tables).
std::vector<std::string> dependants_in(TargetDb& copy, const Catalog& catalog, std::string_view table);

}  // namespace opsdesk::dbtune
