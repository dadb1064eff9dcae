#include "desk/session.hpp"

#include <cstdlib>
#include <ctime>

#include "audit/audit.hpp"

namespace opsdesk::desk {

core::Timestamp current_time() {
  const auto wall = static_cast<core::Timestamp>(std::time(nullptr));
  if (const char* fixed = std::getenv("OPSDESK_NOW"); fixed && *fixed) return core::parse_time(fixed, wall);
  return wall;
}

void Session::audit(std::string_view action, std::string_view object, std::optional<std::string> before,
                    std::optional<std::string> after) const {
  audit::append(db, now, actor, action, object, std::move(before), std::move(after));
}

}  // namespace opsdesk::desk
