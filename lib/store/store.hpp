#pragma once
// Opening the store: create it private, set the pragmas every connection needs, and bring its
// schema up to date with forward migrations numbered by PRAGMA user_version.
#include <chrono>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>

#include "store/db.hpp"

namespace opsdesk::store {

struct StoreOptions {
  std::filesystem::path path;
  bool write = false;  // read-only otherwise
  std::chrono::milliseconds busy_timeout{10000};
};

// Open the store described by `options`. A writer creates a missing file (0600, parent
// directories 0700); a reader of a missing file gets an empty in-memory store, so read
// commands on a new desk answer "nothing yet" instead of failing. Throws Error(unavailable)
// for a store written by a newer opsdesk and Error(data) for a file that is not a store.
std::unique_ptr<Db> open_store(const StoreOptions& options);

// The schema version this opsdesk writes.
int schema_version();

// The migration scripts, oldest first; script i brings the schema from version i to i + 1.
std::span<const std::string_view> migrations();

}  // namespace opsdesk::store
