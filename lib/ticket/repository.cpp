#include "ticket/repository.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace opsdesk::ticket::repo {

const char* const k_open_condition = "status NOT IN ('closed', 'cancelled', 'rejected', 'reviewed', 'released')";

namespace {

constexpr std::string_view k_columns =
    "id, ref, type, title, description, status, priority, system, category, channel, reporter, assignee, "
    "created_at, acknowledged_at, resolved_at, closed_at, updated_at, pending_reason, resolution, root_cause, "
    "workaround, known_error, risk, plan, rollback_plan, test_evidence, window_start, window_end, estimate";

template <typename E>
E enum_column(const store::Query& q, int col) {
  const auto text = q.text(col);
  if (const auto v = model::from_name<E>(text)) return *v;
  throw Error(ErrorKind::data, fmt::format("the store holds an unknown {} \"{}\"", model::Names<E>::what, text));
}

Ticket read_ticket(const store::Query& q) {
  Ticket t;
  t.id = q.int64(0);
  t.ref = q.text(1);
  t.type = enum_column<model::TicketType>(q, 2);
  t.title = q.text(3);
  t.description = q.text(4);
  t.status = enum_column<model::Status>(q, 5);
  t.priority = enum_column<model::Priority>(q, 6);
  t.system = q.opt_text(7);
  t.category = q.opt_text(8);
  if (!q.is_null(9)) t.channel = enum_column<model::Channel>(q, 9);
  t.reporter = q.opt_text(10);
  t.assignee = q.opt_text(11);
  t.created_at = q.int64(12);
  t.acknowledged_at = q.opt_int64(13);
  t.resolved_at = q.opt_int64(14);
  t.closed_at = q.opt_int64(15);
  t.updated_at = q.int64(16);
  t.pending_reason = q.opt_text(17);
  t.resolution = q.opt_text(18);
  t.root_cause = q.opt_text(19);
  t.workaround = q.opt_text(20);
  t.known_error = q.int64(21) != 0;
  if (!q.is_null(22)) t.risk = enum_column<model::Risk>(q, 22);
  t.plan = q.opt_text(23);
  t.rollback_plan = q.opt_text(24);
  t.test_evidence = q.opt_text(25);
  t.window_start = q.opt_int64(26);
  t.window_end = q.opt_int64(27);
  t.estimate = q.opt_int64(28);
  return t;
}

std::optional<std::string_view> channel_name(const Ticket& t) {
  if (!t.channel) return std::nullopt;
  return model::name(*t.channel);
}

template <typename E>
std::optional<std::string_view> opt_name(const std::optional<E>& v) {
  if (!v) return std::nullopt;
  return model::name(*v);
}

std::optional<std::string_view> status_name(const std::optional<model::Status>& s) { return opt_name(s); }

template <typename E>
std::string in_list(const std::vector<E>& values) {
  std::string out;
  for (const auto v : values) out += fmt::format("{}'{}'", out.empty() ? "" : ", ", model::name(v));
  return out;
}

// The WHERE and ORDER BY of a list query (enum names are fixed words and inlined).
std::string list_sql(const store::Db& db, const ListFilter& f, std::vector<store::Param>& params, bool by_id) {
  std::string sql = fmt::format("SELECT {} FROM tickets WHERE 1 = 1", k_columns);
  if (f.open_only) sql += fmt::format(" AND {}", k_open_condition);
  if (!f.statuses.empty()) sql += fmt::format(" AND status IN ({})", in_list(f.statuses));
  if (!f.types.empty()) sql += fmt::format(" AND type IN ({})", in_list(f.types));
  if (!f.priorities.empty()) sql += fmt::format(" AND priority IN ({})", in_list(f.priorities));
  if (f.assignee) {
    sql += " AND assignee = ?";
    params.emplace_back(*f.assignee);
  }
  if (f.system) {
    sql += " AND system = ?";
    params.emplace_back(*f.system);
  }
  if (f.search) {
    std::string pattern = "%";
    for (const char c : *f.search) {
      if (c == '%' || c == '_' || c == '\\') pattern += '\\';
      pattern += c;
    }
    pattern += '%';
    sql += " AND (lower(title) LIKE lower(?) ESCAPE '\\' OR lower(description) LIKE lower(?) ESCAPE '\\')";
    params.emplace_back(pattern);
    params.emplace_back(pattern);
  }
  if (f.breached) {
    sql += " AND (sla_breached = 1 OR id IN (SELECT ticket_id FROM ticket_sla WHERE state = 'running' AND deadline <= ?))";
    params.emplace_back(f.now);
  }
  if (f.at_risk) {
    sql += " AND id IN (SELECT ticket_id FROM ticket_sla WHERE state = 'running' AND warn_at <= ? AND deadline > ?)";
    params.emplace_back(f.now);
    params.emplace_back(f.now);
  }
  if (f.due_within) {
    sql += " AND id IN (SELECT ticket_id FROM ticket_sla WHERE state = 'running' AND deadline > ? AND deadline <= ?)";
    params.emplace_back(f.now);
    params.emplace_back(f.now + *f.due_within);
  }
  if (f.unsigned_only) {
    // A party's signature counts while nothing in the record changed after it.
    const auto k_signed = [&](std::string_view party) {
      return fmt::format("EXISTS (SELECT 1 FROM ticket_events s WHERE s.ticket_id = tickets.id AND s.kind = 'signed' "
                         "AND {} = '{}' AND NOT EXISTS (SELECT 1 FROM ticket_events x "
                         "WHERE x.ticket_id = tickets.id AND x.id > s.id AND x.kind IN ('comment', 'work', 'updated', "
                         "'resolved', 'reopened', 'assigned', 'acknowledged')))",
                         store::json_text(db, "s.data", "party"), party);
    };
    sql += fmt::format(" AND status IN ('resolved', 'closed') AND NOT ({} AND {})", k_signed("engineer"),
                       k_signed("customer"));
  }
  if (f.since) {
    sql += " AND created_at >= ?";
    params.emplace_back(*f.since);
  }
  if (f.until) {
    sql += " AND created_at < ?";
    params.emplace_back(*f.until);
  }
  if (by_id) return sql + " ORDER BY id";
  switch (f.sort) {
    case SortKey::created: sql += " ORDER BY created_at DESC, id DESC"; break;
    case SortKey::updated: sql += " ORDER BY updated_at DESC, id DESC"; break;
    case SortKey::ref: sql += " ORDER BY id"; break;
    case SortKey::priority:
      sql += " ORDER BY CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END, "
             "created_at DESC, id DESC";
      break;
  }
  if (f.limit > 0) {
    sql += " LIMIT ?";
    params.emplace_back(f.limit);
  }
  return sql;
}

}  // namespace

std::optional<Ticket> find(store::Db& db, std::string_view ref) {
  auto q = db.query(fmt::format("SELECT {} FROM tickets WHERE ref = ?", k_columns), ref);
  if (!q.next()) return std::nullopt;
  return read_ticket(q);
}

Ticket get(store::Db& db, std::string_view ref) {
  if (auto t = find(db, ref)) return *t;
  throw Error(ErrorKind::not_found, fmt::format("no ticket {}; `opsdesk ticket list --status all` lists them", ref));
}

std::int64_t insert(store::Db& db, const Ticket& t) {
  return db.insert(
          "INSERT INTO tickets (ref, type, title, description, status, priority, system, category, channel, "
          "reporter, assignee, created_at, acknowledged_at, resolved_at, closed_at, updated_at, pending_reason, "
          "resolution, root_cause, workaround, known_error, risk, plan, rollback_plan, test_evidence, window_start, "
          "window_end, estimate) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
          "?, ?)",
          t.ref, model::name(t.type), t.title, t.description, model::name(t.status), model::name(t.priority), t.system,
          t.category, channel_name(t), t.reporter, t.assignee, t.created_at, t.acknowledged_at, t.resolved_at,
          t.closed_at, t.updated_at, t.pending_reason, t.resolution, t.root_cause, t.workaround, t.known_error,
          opt_name(t.risk), t.plan, t.rollback_plan, t.test_evidence, t.window_start, t.window_end, t.estimate);
}

void update(store::Db& db, const Ticket& t) {
  db.run(
      "UPDATE tickets SET title = ?, description = ?, status = ?, priority = ?, system = ?, category = ?, "
      "channel = ?, reporter = ?, assignee = ?, acknowledged_at = ?, resolved_at = ?, closed_at = ?, "
      "updated_at = ?, pending_reason = ?, resolution = ?, root_cause = ?, workaround = ?, known_error = ?, risk = ?, "
      "plan = ?, rollback_plan = ?, test_evidence = ?, window_start = ?, window_end = ?, estimate = ? WHERE id = ?",
      t.title, t.description, model::name(t.status), model::name(t.priority), t.system, t.category, channel_name(t),
      t.reporter, t.assignee, t.acknowledged_at, t.resolved_at, t.closed_at, t.updated_at, t.pending_reason,
      t.resolution, t.root_cause, t.workaround, t.known_error, opt_name(t.risk), t.plan, t.rollback_plan,
      t.test_evidence, t.window_start, t.window_end, t.estimate, t.id);
}

std::int64_t add_event(store::Db& db, std::int64_t ticket_id, const Event& e) {
  return db.insert("INSERT INTO ticket_events (ticket_id, at, recorded_at, actor, kind, from_status, to_status, body, data) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
         ticket_id, e.at, e.recorded_at, e.actor, e.kind, status_name(e.from), status_name(e.to), e.text, e.data);
}

std::vector<Event> events(store::Db& db, std::int64_t ticket_id) {
  std::vector<Event> out;
  auto q = db.query(
      "SELECT id, at, recorded_at, actor, kind, from_status, to_status, body, data FROM ticket_events "
      "WHERE ticket_id = ? ORDER BY id",
      ticket_id);
  while (q.next()) {
    Event e;
    e.id = q.int64(0);
    e.at = q.int64(1);
    e.recorded_at = q.int64(2);
    e.actor = q.text(3);
    e.kind = q.text(4);
    if (!q.is_null(5)) e.from = enum_column<model::Status>(q, 5);
    if (!q.is_null(6)) e.to = enum_column<model::Status>(q, 6);
    e.text = q.opt_text(7);
    e.data = q.opt_text(8);
    out.push_back(std::move(e));
  }
  return out;
}

std::optional<core::Timestamp> last_status_change(store::Db& db, std::int64_t ticket_id) {
  return db.one_int("SELECT max(at) FROM ticket_events WHERE ticket_id = ? AND (to_status IS NOT NULL OR kind = 'created')",
                    ticket_id);
}

core::Seconds work_logged(store::Db& db, std::int64_t ticket_id) {
  return db
      .one_int(fmt::format("SELECT coalesce(sum({}), 0) FROM ticket_events WHERE ticket_id = ? AND kind = 'work'",
                           store::json_number(db, "data", "seconds")),
               ticket_id)
      .value_or(0);
}

std::int64_t next_sequence(store::Db& db, model::TicketType type, int year) {
  return db
      .one_int(
          "INSERT INTO ticket_counters (prefix, year, last) VALUES (?, ?, 1) "
          "ON CONFLICT (prefix, year) DO UPDATE SET last = ticket_counters.last + 1 RETURNING last",
          model::ref_prefix(type), year)
      .value();
}

void raise_counter(store::Db& db, model::TicketType type, int year, std::int64_t sequence) {
  db.run(
      "INSERT INTO ticket_counters (prefix, year, last) VALUES (?, ?, ?) "
      "ON CONFLICT (prefix, year) DO UPDATE SET last = CASE WHEN excluded.last > ticket_counters.last "
      "THEN excluded.last ELSE ticket_counters.last END",
      model::ref_prefix(type), year, sequence);
}

void add_link(store::Db& db, const Ticket& from, const Ticket& to, model::LinkKind kind, core::Timestamp at,
              std::string_view actor) {
  db.run("INSERT INTO ticket_links (from_id, to_id, kind, created_at, actor) VALUES (?, ?, ?, ?, ?)", from.id, to.id,
         model::name(kind), at, actor);
}

std::vector<Link> links(store::Db& db, std::int64_t ticket_id) {
  std::vector<Link> out;
  auto q = db.query(
      "SELECT f.ref, t.ref, l.kind, l.created_at, l.actor FROM ticket_links l "
      "JOIN tickets f ON f.id = l.from_id JOIN tickets t ON t.id = l.to_id "
      "WHERE l.from_id = ? OR l.to_id = ? ORDER BY l.created_at, f.ref, t.ref",
      ticket_id, ticket_id);
  while (q.next()) {
    out.push_back(Link{q.text(0), q.text(1), enum_column<model::LinkKind>(q, 2), q.int64(3), q.text(4)});
  }
  return out;
}

std::vector<Ticket> list(store::Db& db, const ListFilter& filter) {
  std::vector<store::Param> params;
  const std::string sql = list_sql(db, filter, params, false);
  std::vector<Ticket> out;
  auto q = db.query_with(sql, params);
  while (q.next()) out.push_back(read_ticket(q));
  return out;
}

void for_each(store::Db& db, const ListFilter& filter, const std::function<void(const Ticket&)>& visit) {
  std::vector<store::Param> params;
  const std::string sql = list_sql(db, filter, params, true);
  auto q = db.stream(sql, params);
  while (q.next()) visit(read_ticket(q));
}

}  // namespace opsdesk::ticket::repo
