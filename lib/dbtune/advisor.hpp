#pragma once
// Index advice from a workload, the way SQLite's `.expert` works, built here: each statement is
// prepared against a copy of the schema whose tables are virtual tables that record what the
// planner asks of them (equality and range constraints with their collations, ORDER BY);
// candidate indexes are made from those; the candidates are created for real on an in-memory
// copy of the schema that carries the target's statistics (sqlite_stat1 where it has them,
// otherwise measured on rows sampled from the target, scaled with the Duj1 estimator); a
// candidate is kept when EXPLAIN QUERY PLAN uses it. Beyond `.expert`: the statements each index
// speeds up, its estimated size, its write cost, and the indexes no statement uses.
#include <string>
#include <vector>

#include "dbtune/catalog.hpp"
#include "dbtune/findings.hpp"

namespace opsdesk::dbtune {

struct Statement {
  std::string sql;
  std::size_t line = 0;  // where it starts in the file
};

// Split a workload file into statements: `;`-terminated (the last may lack it), `--` and /* */
// comments, quotes and trigger bodies respected; blank statements skipped.
std::vector<Statement> read_workload(std::string_view text);

struct StatementPlan {
  Statement statement;
  std::string error;  // it could not be prepared against the schema
  std::vector<std::string> plan_before, plan_after;
  std::vector<std::string> indexes_used;  // after
  std::vector<std::string> writes;        // tables it inserts into, updates or deletes from
};

struct Advice {
  std::vector<Finding> findings;  // missing-index, unused-index
  std::vector<StatementPlan> statements;
};

Advice advise(TargetDb& db, const std::filesystem::path& path, const Catalog& catalog, const std::vector<Statement>& workload,
              std::int64_t sample_rows);

// A rough quality of a plan, for comparisons: full scans and temp b-trees cost, searches by more
// terms gain. Higher is better.
int plan_score(const std::vector<std::string>& plan);

// EXPLAIN QUERY PLAN of `sql` on `db`, one line per plan row, indented by depth.
std::vector<std::string> query_plan(TargetDb& db, const std::string& sql);

}  // namespace opsdesk::dbtune
