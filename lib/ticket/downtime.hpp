#pragma once
// Planned downtime: windows in which a system is down on purpose. A clock that would start
// inside one starts at its end, and availability leaves them out.
#include <optional>
#include <string>
#include <vector>

#include "desk/session.hpp"
#include "output/json.hpp"

namespace opsdesk::ticket {

struct Downtime {
  std::int64_t id = 0;
  std::optional<std::string> system;  // empty: every system
  core::Timestamp start = 0;
  core::Timestamp end = 0;
  std::string reason;
  std::optional<std::string> source;  // the change it came from
  std::string created_by;
  core::Timestamp created_at = 0;
};

output::Json to_json(const Downtime& d);

// Plan a window (start before end, a reason) and recompute the clocks it moves.
Downtime add_downtime(const desk::Session& s, Downtime window);
// Remove window `id` (Error(not_found)) and recompute the clocks it moved.
Downtime remove_downtime(const desk::Session& s, std::int64_t id);
// Remove the windows made by change `source` (when it is rejected or cancelled).
void remove_downtime_of(const desk::Session& s, std::string_view source);

struct DowntimeFilter {
  std::optional<std::string> system;
  std::optional<core::Timestamp> since;  // windows ending after
  std::optional<core::Timestamp> until;  // windows starting before
};
std::vector<Downtime> list_downtime(store::Db& db, const DowntimeFilter& filter);

}  // namespace opsdesk::ticket
