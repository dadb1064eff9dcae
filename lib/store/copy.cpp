#include "store/copy.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::store {

namespace {

// A table, the columns of its key (for reading it in pages), and whether its key is an
// integer id numbered by the database.
struct Table {
  std::string name;
  std::vector<std::pair<std::string, bool>> key;  // column, is an integer
  bool numbered = false;
};

const std::vector<Table>& tables() {
  static const std::vector<Table> all = {
      {"tickets", {{"id", true}}, true},
      {"ticket_events", {{"id", true}}, true},
      {"ticket_counters", {{"prefix", false}, {"year", true}}},
      {"ticket_links", {{"from_id", true}, {"to_id", true}, {"kind", false}}},
      {"ticket_sla", {{"ticket_id", true}, {"clock", false}}},
      {"audit", {{"id", true}}, true},
      {"audit_head", {{"id", true}}, true},
      {"accounts", {{"id", true}}, true},
      {"role_permissions", {{"role", false}, {"permission", false}}},
      {"downtime", {{"id", true}}, true},
      {"kb_articles", {{"id", true}}, true},
      {"inspection_runs", {{"id", true}}, true},
      {"check_results", {{"id", true}}, true},
      {"check_state", {{"check_name", false}}},
      {"backups", {{"id", false}}},
      {"backup_targets", {{"target", false}}},
      {"backup_restores", {{"id", true}}, true},
      {"dbtune_seen", {{"target", false}, {"name", false}}},
      {"dbtune_actions", {{"id", true}}, true},
      {"reports", {{"id", true}}, true},
  };
  return all;
}

constexpr std::int64_t k_page = 5000;

// Copy one table in pages ordered by its key; the number of rows.
std::int64_t copy_table(Db& from, Db& to, const Table& t) {
  std::vector<std::string> key_names;
  for (const auto& [column, integer] : t.key) key_names.push_back(column);
  const auto order = core::join(key_names, ", ");
  std::vector<std::string> marks(key_names.size(), "?");
  const auto after = key_names.size() == 1 ? fmt::format("{} > ?", order)
                                            : fmt::format("({}) > ({})", order, core::join(marks, ", "));
  const auto first_page = fmt::format("SELECT * FROM {} ORDER BY {} LIMIT {}", t.name, order, k_page);
  const auto next_page = fmt::format("SELECT * FROM {} WHERE {} ORDER BY {} LIMIT {}", t.name, after, order, k_page);

  std::vector<Param> last;
  std::int64_t copied = 0;
  std::string insert_head;  // INSERT INTO t (columns) VALUES
  std::size_t width = 0;
  std::vector<int> key_at;
  while (true) {
    auto q = last.empty() ? from.query(first_page) : from.query_with(next_page, last);
    std::vector<Param> values;
    std::int64_t rows = 0;
    while (q.next()) {
      if (insert_head.empty()) {
        std::vector<std::string> names;
        for (int c = 0; c < q.columns(); ++c) names.push_back(q.column_name(c));
        width = names.size();
        insert_head = fmt::format("INSERT INTO {} ({}) VALUES ", t.name, core::join(names, ", "));
        for (const auto& k : key_names) {
          const auto it = std::find(names.begin(), names.end(), k);
          if (it == names.end()) throw Error(ErrorKind::internal, fmt::format("{} has no column {}", t.name, k));
          key_at.push_back(static_cast<int>(it - names.begin()));
        }
      }
      for (std::size_t c = 0; c < width; ++c) {
        const int col = static_cast<int>(c);
        if (q.is_null(col)) values.emplace_back(nullptr);
        else values.emplace_back(q.text(col));
      }
      ++rows;
      last.clear();
      for (std::size_t k = 0; k < key_at.size(); ++k) {
        if (t.key[k].second) last.emplace_back(q.int64(key_at[k]));
        else last.emplace_back(q.text(key_at[k]));
      }
    }
    if (rows == 0) break;
    // Several rows per INSERT: one round trip to a database server for each batch, not each row.
    const std::size_t per_batch = std::max<std::size_t>(1, 2000 / width);
    const std::string row = "(" + core::join(std::vector<std::string>(width, "?"), ", ") + ")";
    for (std::size_t start = 0; start < static_cast<std::size_t>(rows); start += per_batch) {
      const auto n = std::min(per_batch, static_cast<std::size_t>(rows) - start);
      const auto sql = insert_head + core::join(std::vector<std::string>(n, row), ", ");
      const std::vector<Param> batch(values.begin() + static_cast<std::ptrdiff_t>(start * width),
                                     values.begin() + static_cast<std::ptrdiff_t>((start + n) * width));
      auto ins = to.query_with(sql, batch);
      while (ins.next()) {
      }
    }
    copied += rows;
    if (rows < k_page) break;
  }
  return copied;
}

}  // namespace

const std::vector<std::string>& desk_tables() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& t : tables()) out.push_back(t.name);
    return out;
  }();
  return names;
}

std::vector<TableCount> count_rows(Db& db) {
  std::vector<TableCount> out;
  for (const auto& t : tables())
    out.push_back({t.name, db.one_int(fmt::format("SELECT count(*) FROM {}", t.name)).value_or(0)});
  return out;
}

std::vector<TableCount> copy_desk(Db& from, Db& to, const std::function<void(Db&)>& check,
                                  const std::function<void(const TableCount&)>& progress) {
  const auto source = count_rows(from);
  Transaction tx(to, true);
  for (const auto& c : count_rows(to)) {
    if (c.table != "role_permissions" && c.rows > 0)
      throw Error(ErrorKind::failed,
                  fmt::format("{} already holds a desk ({} has {} rows); copy only into a new, empty store",
                              to.path().string(), c.table, c.rows));
  }
  to.run("DELETE FROM role_permissions");  // the defaults; the source's own come next
  std::vector<TableCount> copied;
  for (const auto& t : tables()) {
    copied.push_back({t.name, copy_table(from, to, t)});
    if (progress) progress(copied.back());
  }
  if (to.backend() == Backend::postgres) {
    for (const auto& t : tables())
      if (t.numbered)
        to.one_int(fmt::format("SELECT setval(pg_get_serial_sequence('{0}', 'id'), (SELECT coalesce(max(id), 0) FROM {0}) + 1, "
                               "false)",
                               t.name));
  }
  const auto landed = count_rows(to);
  for (std::size_t i = 0; i < source.size(); ++i) {
    if (source[i].rows != copied[i].rows || landed[i].rows != copied[i].rows)
      throw Error(ErrorKind::failed,
                  fmt::format("the copy of {} does not add up: {} rows in the source, {} read, {} in {}; nothing was "
                              "written",
                              source[i].table, source[i].rows, copied[i].rows, landed[i].rows, to.path().string()));
  }
  if (check) check(to);
  tx.commit();
  return copied;
}

}  // namespace opsdesk::store
