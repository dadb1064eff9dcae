#pragma once
// Helpers shared by the dbtune unit tests: a target database file made in a temp dir, the
// findings of analyze_catalog with the built-in patterns and thresholds, and look-ups in them.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "core/time.hpp"
#include "dbtune/advisor.hpp"
#include "dbtune/catalog.hpp"
#include "dbtune/findings.hpp"
#include "dbtune/target_db.hpp"
#include "support/helpers.hpp"

namespace opsdesk::test::dbtune_support {

using dbtune::Catalog;
using dbtune::Finding;
using dbtune::TargetDb;

// 2025-03-31T00:00:00Z: "now" for the findings.
inline core::Timestamp test_now() { return core::from_utc({2025, 3, 31}); }

// A new database file at `path` (made with the C API, as an outside program would), opened
// read-write through TargetDb, with `sql` run on it.
inline std::unique_ptr<TargetDb> create_db(const std::filesystem::path& path, std::string_view sql = {}) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  sqlite3_close(raw);
  REQUIRE(rc == SQLITE_OK);
  auto db = std::make_unique<TargetDb>(path, TargetDb::Mode::read_write, std::chrono::milliseconds(2000), path.filename().string());
  if (!sql.empty()) db->exec(sql);
  return db;
}

// The options `db-tune analyze` uses by default, with a fixed now.
inline dbtune::AnalyzeOptions default_options() {
  const config::Config config;
  dbtune::AnalyzeOptions o;
  o.thresholds = config.dbtune.thresholds;
  o.temp_patterns = config.dbtune.temp_patterns;
  o.archive_keep = config.dbtune.archive_keep;
  o.now = test_now();
  return o;
}

inline std::vector<Finding> analyze(TargetDb& db, const dbtune::AnalyzeOptions& o = default_options()) {
  const auto catalog = dbtune::read_catalog(db, true);
  return dbtune::analyze_catalog(db, catalog, o);
}

inline std::vector<std::string> ids(const std::vector<Finding>& findings, std::string_view kind = {}) {
  std::vector<std::string> out;
  for (const auto& f : findings)
    if (kind.empty() || f.kind == kind) out.push_back(f.id);
  std::sort(out.begin(), out.end());
  return out;
}

inline const Finding* find(const std::vector<Finding>& findings, std::string_view id) {
  const auto it = std::find_if(findings.begin(), findings.end(), [&](const Finding& f) { return f.id == id; });
  return it == findings.end() ? nullptr : &*it;
}

// The finding with `id`; fails the test when there is none.
inline const Finding& get(const std::vector<Finding>& findings, std::string_view id) {
  const Finding* f = find(findings, id);
  REQUIRE_MESSAGE(f != nullptr, "no finding ", std::string(id), " among ", ids(findings));
  return *f;
}

inline void run_all(TargetDb& db, const std::vector<std::string>& statements) {
  for (const auto& s : statements) db.exec(s);
}

// Every row of a query, each as its cells' text joined by '|', for comparisons.
inline std::vector<std::string> dump(TargetDb& db, std::string_view sql) {
  std::vector<std::string> out;
  for (const auto& r : db.rows(sql)) {
    std::string line;
    for (std::size_t i = 0; i < r.cells.size(); ++i) {
      if (i) line += '|';
      line += r.is_null(i) ? std::string("NULL") : r.text(i);
    }
    out.push_back(std::move(line));
  }
  return out;
}

inline bool has_table(TargetDb& db, std::string_view name) {
  return db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?", {std::string(name)}) == 1;
}

inline bool has_index(TargetDb& db, std::string_view name) {
  return db.integer("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = ?", {std::string(name)}) == 1;
}

// The key columns of an index, by name.
inline std::vector<std::string> index_columns(TargetDb& db, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& r : db.rows("SELECT coalesce(name, '<expr>') FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno",
                               {std::string(name)}))
    out.push_back(r.text(0));
  return out;
}

inline std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

}  // namespace opsdesk::test::dbtune_support
