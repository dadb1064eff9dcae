#include "ticket/staff.hpp"

#include <fmt/format.h>

#include "ticket/repository.hpp"

namespace opsdesk::ticket {

std::vector<Departure> departures(store::Db& db, core::Timestamp now, core::Seconds notice,
                                  const std::optional<std::string>& name) {
  std::string sql = fmt::format(
      "SELECT a.name, (SELECT count(*) FROM tickets t WHERE t.assignee = a.name AND t.{}) FROM accounts a "
      "WHERE a.leaves_on IS NOT NULL AND a.leaves_on <= ?",
      repo::k_open_condition);
  std::vector<store::Param> params{now + notice};
  if (name) {
    sql += " AND a.name = ?";
    params.emplace_back(*name);
  }
  std::vector<std::pair<std::string, std::int64_t>> found;
  {
    auto q = db.query_with(sql + " ORDER BY a.leaves_on, a.name", params);
    while (q.next())
      if (q.int64(1) > 0) found.emplace_back(q.text(0), q.int64(1));
  }
  std::vector<Departure> out;
  for (const auto& [who, open] : found) out.push_back({account::get(db, who), open});
  return out;
}

std::string describe(const Departure& d, core::Timestamp now) {
  const auto day = core::format_local(*d.account.leaves_on).substr(0, 10);
  const bool gone = *d.account.leaves_on <= now;
  return fmt::format("{} {} {} ({}) with {} open ticket{} assigned; reassign {}", d.account.name,
                     gone ? "left on" : "leaves on", day, core::format_relative(*d.account.leaves_on, now),
                     d.open_tickets, d.open_tickets == 1 ? "" : "s", d.open_tickets == 1 ? "it" : "them");
}

}  // namespace opsdesk::ticket
