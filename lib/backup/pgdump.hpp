#pragma once
// PostgreSQL targets: one database dumped by pg_dump in its custom format, read back by
// pg_restore (its table of contents, a restore drill into a scratch database on the same
// server, a restore into a database). The programs run as children (core::run_checked) and
// never prompt for a password: libpq's own sources (~/.pgpass, $PGPASSFILE) supply it.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/time.hpp"

namespace opsdesk::backup {

struct PgFacts {
  std::string server_version;  // as the server reports it
  std::int64_t tables = 0;     // user tables (not those of extensions), in the dump's snapshot
};

// Dump the database at `url` into `sink` (pg_dump --format=custom, uncompressed: the artifact's
// zstd compresses it). A connection reads the facts first and exports its snapshot, which
// pg_dump then uses, so the facts describe exactly what was dumped. Error(unavailable) when the
// server cannot be reached or the dump does not finish within `timeout`; Error(failed) when
// pg_dump fails.
PgFacts dump_postgres(const std::string& url, core::Seconds timeout, const std::function<void(std::string_view)>& sink);

// pg_restore --list on the dump file `dump`: the number of entries in its table of contents.
// Error(failed) when pg_restore cannot read it.
std::size_t list_dump(const std::filesystem::path& dump, core::Seconds timeout);

// A restore drill: `dump` restored into a new database on the server of `url`
// (opsdesk_drill_<random>, the source database's encoding and locale) with pg_restore
// --no-owner --exit-on-error, its user tables counted, and the scratch database dropped again
// (WITH (FORCE)) whatever happened. Returns that count.
std::int64_t drill_postgres(const std::string& url, const std::filesystem::path& dump, core::Seconds timeout);

// How many relations (tables, views, sequences, ...) the database at `url` has outside the
// system schemas, not counting those of extensions: 0 for an empty database.
std::int64_t relations_in(const std::string& url, core::Seconds timeout);

// Restore `dump` into the database at `url` in one transaction (all or nothing), the objects
// owned by the restoring role (--no-owner); `replace` drops the dump's objects first (--clean).
void restore_postgres(const std::string& url, const std::filesystem::path& dump, bool replace, core::Seconds timeout);

}  // namespace opsdesk::backup
