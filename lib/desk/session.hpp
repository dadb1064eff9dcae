#pragma once
// What a command's library call runs with: the open store (inside the command's transaction),
// the config, who is acting, and one "now" for the whole command.
#include <optional>
#include <string>

#include "config/config.hpp"
#include "core/time.hpp"
#include "store/db.hpp"

namespace opsdesk::desk {

// The current time: $OPSDESK_NOW when set (any form parse_time accepts; for reproducing a
// situation and for tests), otherwise the system clock.
core::Timestamp current_time();

struct Session {
  store::Db& db;
  const config::Config& config;
  std::string actor;
  core::Timestamp now;
  // The actor's role; empty only in a store that has no accounts yet (read-only commands).
  std::optional<model::Role> role;

  // Record a change in the audit log, in the current transaction. `before`/`after` are JSON.
  void audit(std::string_view action, std::string_view object, std::optional<std::string> before,
             std::optional<std::string> after) const;
};

}  // namespace opsdesk::desk
