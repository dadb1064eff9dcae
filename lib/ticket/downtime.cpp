#include "ticket/downtime.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "ticket/clocks.hpp"
#include "ticket/repository.hpp"
#include "ticket/service.hpp"

namespace opsdesk::ticket {

namespace {

constexpr std::string_view k_columns = "id, system, start_at, end_at, reason, source, created_by, created_at";

Downtime read(const store::Query& q) {
  return {q.int64(0), q.opt_text(1), q.int64(2), q.int64(3), q.text(4), q.opt_text(5), q.text(6), q.int64(7)};
}

// Recompute the clocks of tickets whose clocks may start inside `d`.
void refresh_window(const desk::Session& s, const Downtime& d) {
  std::vector<std::string> refs;
  {
    auto q = d.system ? s.db.query("SELECT ref FROM tickets WHERE created_at >= ? AND created_at < ? AND system = ?",
                                   d.start, d.end, *d.system)
                      : s.db.query("SELECT ref FROM tickets WHERE created_at >= ? AND created_at < ?", d.start, d.end);
    while (q.next()) refs.push_back(q.text(0));
  }
  {
    // On-site arrivals inside the window start mitigation clocks there.
    auto q = s.db.query("SELECT DISTINCT t.ref FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id "
                        "WHERE e.kind = 'arrived' AND e.at >= ? AND e.at < ? AND (CAST(? AS TEXT) IS NULL OR t.system = ?)",
                        d.start, d.end, d.system, d.system);
    while (q.next()) refs.push_back(q.text(0));
  }
  for (const auto& ref : refs) refresh_clocks(s, repo::get(s.db, ref));
}

}  // namespace

output::Json to_json(const Downtime& d) {
  return output::Json{{"id", d.id},
                      {"system", d.system ? output::Json(*d.system) : output::Json(nullptr)},
                      {"start", core::format_rfc3339(d.start)},
                      {"end", core::format_rfc3339(d.end)},
                      {"reason", d.reason},
                      {"source", d.source ? output::Json(*d.source) : output::Json(nullptr)},
                      {"created_by", d.created_by},
                      {"created_at", core::format_rfc3339(d.created_at)}};
}

Downtime add_downtime(const desk::Session& s, Downtime d) {
  if (d.end <= d.start)
    throw Error(ErrorKind::data, fmt::format("the window ends ({}) before it starts ({}); expected --end after --start",
                                             core::format_local(d.end), core::format_local(d.start)));
  if (d.end - d.start > 31 * 86400)
    throw Error(ErrorKind::data, fmt::format("a window of {} is longer than 31 days; plan it in parts",
                                             core::format_duration(d.end - d.start)));
  if (d.reason.empty()) throw Error(ErrorKind::data, "a downtime window needs --reason: what it is for");
  check_text("reason", d.reason, 2000);
  if (d.system && d.system->empty()) d.system.reset();
  d.created_by = s.actor;
  d.created_at = s.now;
  d.id = s.db.insert("INSERT INTO downtime (system, start_at, end_at, reason, source, created_by, created_at) "
           "VALUES (?, ?, ?, ?, ?, ?, ?)",
           d.system, d.start, d.end, d.reason, d.source, d.created_by, d.created_at);
  refresh_window(s, d);
  s.audit("downtime.add", fmt::format("downtime:{}", d.id), std::nullopt, output::dump_compact(to_json(d)));
  return d;
}

Downtime remove_downtime(const desk::Session& s, std::int64_t id) {
  std::optional<Downtime> found;
  {
    auto q = s.db.query(fmt::format("SELECT {} FROM downtime WHERE id = ?", k_columns), id);
    if (q.next()) found = read(q);
  }
  if (!found) throw Error(ErrorKind::not_found, fmt::format("no downtime window {}; `opsdesk downtime list` shows them", id));
  s.db.run("DELETE FROM downtime WHERE id = ?", id);
  refresh_window(s, *found);
  s.audit("downtime.remove", fmt::format("downtime:{}", id), output::dump_compact(to_json(*found)), std::nullopt);
  return *found;
}

void remove_downtime_of(const desk::Session& s, std::string_view source) {
  std::vector<std::int64_t> ids;
  {
    auto q = s.db.query("SELECT id FROM downtime WHERE source = ?", source);
    while (q.next()) ids.push_back(q.int64(0));
  }
  for (const auto id : ids) remove_downtime(s, id);
}

std::vector<Downtime> list_downtime(store::Db& db, const DowntimeFilter& f) {
  std::string sql = fmt::format("SELECT {} FROM downtime WHERE 1 = 1", k_columns);
  std::vector<store::Param> params;
  if (f.system) {
    sql += " AND (system = ? OR system IS NULL)";
    params.emplace_back(*f.system);
  }
  if (f.since) {
    sql += " AND end_at > ?";
    params.emplace_back(*f.since);
  }
  if (f.until) {
    sql += " AND start_at < ?";
    params.emplace_back(*f.until);
  }
  std::vector<Downtime> out;
  auto q = db.query_with(sql + " ORDER BY start_at, id", params);
  while (q.next()) out.push_back(read(q));
  return out;
}

}  // namespace opsdesk::ticket
