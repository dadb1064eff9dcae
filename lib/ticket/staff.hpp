#pragma once
// Staff changes: the contract wants the assigned engineers stable and a departure announced
// three days ahead, so opsdesk warns about open tickets held by someone who is leaving.
#include <optional>
#include <string>
#include <vector>

#include "account/account.hpp"

namespace opsdesk::ticket {

struct Departure {
  account::Account account;
  std::int64_t open_tickets = 0;
};

// Accounts (all, or just `name`) leaving within `notice` of `now`, or already gone, that
// still have open tickets assigned.
std::vector<Departure> departures(store::Db& db, core::Timestamp now, core::Seconds notice,
                                  const std::optional<std::string>& name = std::nullopt);

// "zhang leaves on 2026-12-01 (in 2d) with 4 open tickets; reassign them"
std::string describe(const Departure& d, core::Timestamp now);

}  // namespace opsdesk::ticket
