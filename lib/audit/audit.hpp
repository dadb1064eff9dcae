#pragma once
// The audit log: one entry per change, written in the change's own transaction, each entry
// carrying the hash of the one before so that `verify` finds edited, deleted or reordered rows.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "store/db.hpp"

namespace opsdesk::audit {

struct Entry {
  std::int64_t id = 0;
  core::Timestamp at = 0;
  std::string actor;
  std::string action;  // "ticket.ack", "account.add", ...
  std::string object;  // "INC-2026-000042", "account:zhang", ...
  std::optional<std::string> before;  // JSON text
  std::optional<std::string> after;   // JSON text
  std::string prev_hash;
  std::string hash;
};

// The SHA-256 of an entry's canonical form (every field but `hash`, length-prefixed).
std::string entry_hash(const Entry& entry);

// Append an entry; the caller holds the write transaction.
void append(store::Db& db, core::Timestamp at, std::string_view actor, std::string_view action,
            std::string_view object, std::optional<std::string> before, std::optional<std::string> after);

struct Filter {
  std::optional<std::string> actor;
  std::optional<std::string> action;  // exact, or a prefix ending in '.' ("ticket.")
  std::optional<std::string> object;
  std::optional<core::Timestamp> since;
  std::optional<core::Timestamp> until;
  std::int64_t limit = 0;  // 0: all
};

// Entries matching `filter`, oldest first (the newest `limit` when limited).
std::vector<Entry> list(store::Db& db, const Filter& filter);

struct Verification {
  std::int64_t checked = 0;
  std::optional<std::int64_t> first_bad;  // id of the first entry that fails
  std::string problem;                    // what is wrong there
  bool ok() const { return !first_bad; }
};

// Walk the whole chain.
Verification verify(store::Db& db);

}  // namespace opsdesk::audit
