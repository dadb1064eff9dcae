#pragma once
// Named permissions, who holds them, and the check every command makes before it touches anything.
#include <string>
#include <string_view>
#include <vector>

#include "desk/session.hpp"
#include "model/vocabulary.hpp"
#include "store/db.hpp"

namespace opsdesk::account {

struct PermissionInfo {
  std::string_view name;
  std::string_view description;
};

// Every permission opsdesk knows, with what it allows.
const std::vector<PermissionInfo>& permissions();
// Error(usage) with a did-you-mean for an unknown permission name.
void check_permission_name(std::string_view permission);

bool role_has(store::Db& db, model::Role role, std::string_view permission);
std::vector<std::string> role_permissions(store::Db& db, model::Role role);
std::vector<model::Role> roles_with(store::Db& db, std::string_view permission);

// Error(permission) unless the session's actor may do `permission`: "wang (engineer) may not
// sla.extend.approve (approve SLA extensions); roles that may: customer". A session without a
// role (a store with no accounts yet) may read but nothing else. An empty `permission` asks
// only for a known, enabled account.
void require(const desk::Session& s, std::string_view permission);

}  // namespace opsdesk::account
