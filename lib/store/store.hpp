#pragma once
// Opening the store: a SQLite file (created private) or a PostgreSQL database named by a URL;
// set what every connection needs, and bring the schema up to date with forward migrations.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "store/db.hpp"

namespace opsdesk::store {

struct StoreOptions {
  std::filesystem::path path;  // a file, or a postgresql:// URL
  bool write = false;          // read-only otherwise
  std::chrono::milliseconds busy_timeout{10000};
  std::filesystem::path password_file;  // PostgreSQL: a file holding the password, if any
};

// Open the store described by `options`. A writer creates a missing file (0600, parent
// directories 0700) or the schema in an empty PostgreSQL database; a reader of a missing file
// or an empty database gets an empty in-memory store, so read commands on a new desk answer
// "nothing yet" instead of failing. Throws Error(unavailable) for a store written by a newer
// opsdesk or a database server that cannot be reached, and Error(data) for a file or database
// that is not a store.
std::unique_ptr<Db> open_store(const StoreOptions& options);

// Is there a store at `options.path`: a file, or a database that holds opsdesk's schema?
// Creates nothing; throws Error(unavailable) when the database server cannot be reached.
bool store_exists(const StoreOptions& options);

// The schema version this opsdesk writes.
int schema_version();

// The script of migration `step` (0-based: it brings the schema from version step to step + 1)
// in the words of `backend`.
std::string migration_script(std::size_t step, Backend backend);

// The schema version of an open store.
int stored_schema_version(Db& db);

}  // namespace opsdesk::store
