#include "audit/audit.hpp"

#include <fmt/format.h>

#include "core/hash.hpp"

namespace opsdesk::audit {

namespace {

const std::string k_genesis(64, '0');

void put(std::string& out, std::string_view field) { out += fmt::format("{}:{}\n", field.size(), field); }
void put_optional(std::string& out, const std::optional<std::string>& field) {
  if (field) put(out, *field);
  else out += "~\n";
}

Entry read_entry(store::Query& q) {
  Entry e;
  e.id = q.int64(0);
  e.at = q.int64(1);
  e.actor = q.text(2);
  e.action = q.text(3);
  e.object = q.text(4);
  e.before = q.opt_text(5);
  e.after = q.opt_text(6);
  e.prev_hash = q.text(7);
  e.hash = q.text(8);
  return e;
}

constexpr std::string_view k_columns = "id, at, actor, action, object, before_json, after_json, prev_hash, hash";

}  // namespace

std::string entry_hash(const Entry& e) {
  std::string canonical = "opsdesk-audit-1\n";
  put(canonical, std::to_string(e.id));
  put(canonical, std::to_string(e.at));
  put(canonical, e.actor);
  put(canonical, e.action);
  put(canonical, e.object);
  put_optional(canonical, e.before);
  put_optional(canonical, e.after);
  put(canonical, e.prev_hash);
  return core::sha256_hex(canonical);
}

void append(store::Db& db, core::Timestamp at, std::string_view actor, std::string_view action,
            std::string_view object, std::optional<std::string> before, std::optional<std::string> after) {
  Entry e;
  e.at = at;
  e.actor = actor;
  e.action = action;
  e.object = object;
  e.before = std::move(before);
  e.after = std::move(after);
  {
    auto q = db.query("SELECT last_id, last_hash FROM audit_head WHERE id = 1");
    if (q.next()) {
      e.id = q.int64(0) + 1;
      e.prev_hash = q.text(1);
    } else {
      e.id = 1;
      e.prev_hash = k_genesis;
    }
  }
  e.hash = entry_hash(e);
  db.run("INSERT INTO audit (id, at, actor, action, object, before_json, after_json, prev_hash, hash) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
         e.id, e.at, e.actor, e.action, e.object, e.before, e.after, e.prev_hash, e.hash);
  db.run("INSERT INTO audit_head (id, last_id, last_hash) VALUES (1, ?, ?) "
         "ON CONFLICT (id) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash",
         e.id, e.hash);
}

std::vector<Entry> list(store::Db& db, const Filter& f) {
  std::string where = " WHERE 1 = 1";
  std::vector<store::Param> params;
  if (f.actor) {
    where += " AND actor = ?";
    params.emplace_back(*f.actor);
  }
  if (f.action) {
    if (f.action->ends_with('.')) {
      where += " AND substr(action, 1, CAST(? AS INTEGER)) = ?";
      params.emplace_back(static_cast<std::int64_t>(f.action->size()));
    } else {
      where += " AND action = ?";
    }
    params.emplace_back(*f.action);
  }
  if (f.object) {
    where += " AND object = ?";
    params.emplace_back(*f.object);
  }
  if (f.since) {
    where += " AND at >= ?";
    params.emplace_back(*f.since);
  }
  if (f.until) {
    where += " AND at < ?";
    params.emplace_back(*f.until);
  }
  std::string sql = fmt::format("SELECT {} FROM audit{} ORDER BY id", k_columns, where);
  if (f.limit > 0) {  // the newest `limit`, shown oldest first
    sql = fmt::format("SELECT * FROM (SELECT {} FROM audit{} ORDER BY id DESC LIMIT ?) AS newest ORDER BY id", k_columns, where);
    params.emplace_back(f.limit);
  }
  std::vector<Entry> out;
  auto q = db.query_with(sql, params);
  while (q.next()) out.push_back(read_entry(q));
  return out;
}

Verification verify(store::Db& db) {
  Verification v;
  std::string prev = k_genesis;
  std::int64_t expected_id = 1;
  auto q = db.query(fmt::format("SELECT {} FROM audit ORDER BY id", k_columns));
  while (q.next()) {
    const Entry e = read_entry(q);
    ++v.checked;
    auto fail = [&](std::string problem, std::int64_t at) {
      v.first_bad = at;
      v.problem = std::move(problem);
    };
    if (e.id != expected_id) fail(fmt::format("entry {} is missing (deleted)", expected_id), expected_id);
    else if (e.prev_hash != prev) fail("it does not follow the entry before it (an entry was deleted, inserted or moved)", e.id);
    else if (entry_hash(e) != e.hash) fail("its content does not match its hash (edited after it was written)", e.id);
    if (v.first_bad) return v;
    prev = e.hash;
    ++expected_id;
  }
  auto head = db.query("SELECT last_id, last_hash FROM audit_head WHERE id = 1");
  const bool has_head = head.next();
  const std::int64_t last_id = has_head ? head.int64(0) : 0;
  if (!has_head && v.checked > 0) {
    v.first_bad = 1;
    v.problem = "the log's head record is missing (it was deleted)";
  } else if (last_id != expected_id - 1 || (has_head && head.text(1) != prev)) {
    v.first_bad = expected_id;
    v.problem = fmt::format("the log ends at entry {} but entry {} was written (entries were cut from the end)",
                            expected_id - 1, last_id);
  }
  return v;
}

}  // namespace opsdesk::audit
