#pragma once
// What inspections leave in the store: every result with its time, the state of each check,
// the incidents failing checks open (one per failure, commented while it lasts, resolved when
// it recovers), the monthly inspection record, and availability computed from the history.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "desk/session.hpp"
#include "inspect/result.hpp"
#include "output/json.hpp"

namespace opsdesk::inspect {

// When each backup target was last verified restorable (for backup_freshness checks).
std::map<std::string, core::Timestamp> last_verified_backups(store::Db& db);

// Checks whose interval has passed since their last result (all of them with `all`).
std::vector<config::Config::Check> due_checks(store::Db& db, const std::vector<config::Config::Check>& checks,
                                              core::Timestamp now, bool all);

struct TicketAction {
  std::string check;
  std::string ref;     // empty when suppressed
  std::string action;  // opened, commented, resolved, suppressed (planned downtime)
};

struct RunRecord {
  std::int64_t run_id = 0;
  State worst = State::ok;
  std::vector<TicketAction> tickets;
  std::optional<std::string> record_ref;  // the inspection ticket, with --record
};

// Store a run's results, move each check's state, open/comment/resolve incidents, and with
// `record` make an inspection ticket holding the result table.
RunRecord record_run(const desk::Session& s, const std::vector<config::Config::Check>& checks,
                     const std::vector<Result>& results, core::Timestamp started, bool record);

struct CheckStatus {
  config::Config::Check check;
  std::optional<State> state;
  std::optional<core::Timestamp> since;
  std::optional<core::Timestamp> last_at;
  std::optional<std::string> ticket_ref;
  core::Timestamp next_due = 0;
};
std::vector<CheckStatus> check_statuses(store::Db& db, const std::vector<config::Config::Check>& checks);

struct HistoryFilter {
  std::optional<std::string> check;
  std::optional<std::string> system;
  std::optional<State> state;
  std::optional<core::Timestamp> since;
  std::optional<core::Timestamp> until;
  std::int64_t limit = 0;
};
std::vector<Result> history(store::Db& db, const HistoryFilter& filter);

struct Availability {
  std::string system;
  std::string check;  // empty: the whole system (down while any of its checks is down)
  core::Seconds period = 0;
  core::Seconds downtime = 0;  // planned, left out
  core::Seconds up = 0;
  core::Seconds down = 0;
  core::Seconds no_data = 0;  // gaps longer than twice the interval: reported, not counted as up
  // up / (period - planned downtime); nothing when nothing was measured (a 0% would claim an
  // outage), 100 when the whole period was planned downtime.
  std::optional<double> percent() const {
    if (up == 0 && down == 0 && no_data > 0) return std::nullopt;
    return period - downtime > 0 ? 100.0 * static_cast<double>(up) / static_cast<double>(period - downtime) : 100.0;
  }
};
// Availability of each check and each system over [from, to) from the stored results.
std::vector<Availability> availability(store::Db& db, const std::vector<config::Config::Check>& checks,
                                       const std::optional<std::string>& system, core::Timestamp from, core::Timestamp to);

output::Json to_json(const Result& r);
output::Json to_json(const Availability& a);

}  // namespace opsdesk::inspect
