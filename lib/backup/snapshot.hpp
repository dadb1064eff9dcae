#pragma once
// A consistent copy of a live SQLite database: SQLite's online backup API copying every page
// in one step (a writer in WAL mode goes on; the step does not restart on each of its
// commits as page-by-page copying does), retried while the database is locked, given up at a
// deadline. Small databases are copied in memory, large ones through a temporary file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace opsdesk::backup {

struct SqliteFacts {
  std::int64_t page_count = 0;
  std::int64_t page_size = 0;
  std::string schema_sha256;                                   // of the schema's SQL, in name order
  std::vector<std::pair<std::string, std::int64_t>> row_counts;  // per table
};

// Copy the database at `path` and feed its bytes to `sink`. Error(unavailable) when no
// consistent copy can be had within `timeout`, Error(not_found) for a missing file.
SqliteFacts snapshot_sqlite(const std::filesystem::path& path, core::Seconds timeout, std::int64_t memory_limit,
                            const std::filesystem::path& temp_dir, const std::function<void(std::string_view)>& sink);

// Replace the content of the live database `to` with that of the file `from`, through SQLite's
// backup API (waiting for writers up to `timeout`, Error(unavailable) after).
void copy_sqlite(const std::filesystem::path& from, const std::filesystem::path& to, core::Seconds timeout);

// The facts of a database file (a restored copy), read with a large cache.
SqliteFacts sqlite_facts(const std::filesystem::path& path);

// PRAGMA integrity_check (or quick_check) with a large cache and memory map (several times
// faster); the problems found, empty when "ok".
std::vector<std::string> integrity_problems(const std::filesystem::path& path, bool quick = false);

}  // namespace opsdesk::backup
