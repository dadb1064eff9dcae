#include "dbtune/catalog.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/strings.hpp"

namespace opsdesk::dbtune {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::int64_t Table::index_bytes() const {
  std::int64_t n = 0;
  for (const auto& i : indexes) n += i.bytes;
  return n;
}

std::string Table::stored_columns() const {
  std::vector<std::string> names;
  for (const auto& c : columns)
    if (!c.generated) names.push_back(quote(c.name));
  return core::join(names, ", ");
}

const Column* Table::column(std::string_view wanted) const {
  for (const auto& c : columns)
    if (iequals(c.name, wanted)) return &c;
  return nullptr;
}

const Table* Catalog::table(std::string_view name) const {
  for (const auto& t : tables)
    if (iequals(t.name, name)) return &t;
  return nullptr;
}

void copy_schema(TargetDb& into, const Catalog& catalog, bool triggers) {
  for (const auto& o : catalog.schema) {
    if (o.name.rfind("sqlite_", 0) == 0 || (!triggers && o.type == "trigger")) continue;
    sqlite3_exec(into.handle(), o.sql.c_str(), nullptr, nullptr, nullptr);  // failures are the skipped objects
  }
}

std::string key_sql(const std::vector<IndexColumn>& key) {
  std::vector<std::string> parts;
  for (const auto& c : key) {
    std::string s = c.cid == -1 ? "rowid" : quote(c.name);
    if (!iequals(c.collation, "BINARY")) s += " COLLATE " + c.collation;
    if (c.desc) s += " DESC";
    parts.push_back(std::move(s));
  }
  return core::join(parts, ", ");
}

Catalog read_catalog(TargetDb& db, bool space) {
  Catalog c;
  c.page_size = db.integer("PRAGMA page_size");
  c.page_count = db.integer("PRAGMA page_count");
  c.freelist_count = db.integer("PRAGMA freelist_count");
  c.auto_vacuum = static_cast<int>(db.integer("PRAGMA auto_vacuum"));
  if (auto r = db.row("PRAGMA journal_mode")) c.journal_mode = r->text(0);
  c.file_bytes = c.page_size * c.page_count;

  std::map<std::string, std::string> sql_of;
  for (const auto& r : db.rows("SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema ORDER BY rowid")) {
    const auto type = r.text(0);
    if (!r.text(3).empty()) c.schema.push_back({type, r.text(1), r.text(2), r.text(3)});
    if (type == "view" || type == "trigger") c.others.push_back({type, r.text(1), r.text(2), r.text(3)});
    else sql_of[r.text(1)] = r.text(3);
  }
  c.has_stat1 = sql_of.count("sqlite_stat1") > 0;
  std::map<std::string, std::string> stats;  // index name (or table name for a table row) → stat
  if (c.has_stat1) {
    for (const auto& r : db.rows("SELECT tbl, idx, stat FROM sqlite_stat1")) {
      if (r.is_null(1)) stats.emplace("\x01" + r.text(0), r.text(2));
      else stats.emplace(r.text(1), r.text(2));
    }
  }
  for (const auto& r : db.rows("SELECT name, type, wr FROM pragma_table_list WHERE schema = 'main' ORDER BY name")) {
    const auto name = r.text(0), type = r.text(1);
    if (type == "virtual") c.virtual_tables.push_back(name);
    if (type != "table" || name.rfind("sqlite_", 0) == 0) continue;
    Table t;
    t.name = name;
    t.sql = sql_of[name];
    t.without_rowid = r.int64(2) != 0;
    for (const auto& col : db.rows("SELECT cid, name, type, \"notnull\", pk, hidden FROM pragma_table_xinfo(?) WHERE hidden <> 1", {name}))
      t.columns.push_back({static_cast<int>(col.int64(0)), col.text(1), col.text(2), col.int64(3) != 0, static_cast<int>(col.int64(4)),
                           col.int64(5) >= 2});
    const auto pks = std::count_if(t.columns.begin(), t.columns.end(), [](const Column& x) { return x.pk > 0; });
    if (!t.without_rowid && pks == 1)
      for (const auto& col : t.columns)
        if (col.pk == 1 && iequals(col.type, "INTEGER")) t.rowid_alias = col.cid;
    // A table row of sqlite_stat1 exists only for tables without indexes; otherwise the first
    // number of any of its index rows is the table's row count.
    if (auto it = stats.find("\x01" + name); it != stats.end()) {
      t.has_stat = true;
      t.stat_rows = std::strtoll(it->second.c_str(), nullptr, 10);
    }
    for (const auto& ix : db.rows("SELECT name, \"unique\", origin, partial FROM pragma_index_list(?) ORDER BY name", {name})) {
      Index i;
      i.name = ix.text(0);
      i.table = name;
      i.unique = ix.int64(1) != 0;
      i.origin = ix.text(2);
      i.partial = ix.int64(3) != 0;
      i.sql = sql_of[i.name];
      for (const auto& k : db.rows("SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?) WHERE key = 1 ORDER BY seqno", {i.name}))
        i.key.push_back({static_cast<int>(k.int64(0)), k.is_null(1) ? std::string() : k.text(1), k.int64(2) != 0, k.text(3)});
      if (auto it = stats.find(i.name); it != stats.end()) {
        i.stat = it->second;
        t.has_stat = true;
        if (!t.stat_rows) t.stat_rows = std::strtoll(it->second.c_str(), nullptr, 10);
      }
      t.indexes.push_back(std::move(i));
    }
    // In the order they were made (the later of two duplicates is the one to drop).
    auto made = [&](const Index& i) {
      for (std::size_t k = 0; k < c.schema.size(); ++k)
        if (c.schema[k].name == i.name) return k;
      return c.schema.size();  // autoindexes of constraints come with their table
    };
    std::stable_sort(t.indexes.begin(), t.indexes.end(), [&](const Index& a, const Index& b) { return made(a) < made(b); });
    c.tables.push_back(std::move(t));
  }
  if (space) {
    c.has_space = true;
    std::map<std::string, Row> per;  // b-tree name → pages, bytes, unused, leaf cells, cells
    constexpr std::string_view sums =
        "SELECT name, sum(pgsize), sum(unused), sum(CASE WHEN pagetype = 'leaf' THEN ncell ELSE 0 END), sum(ncell) FROM dbstat";
    if (iequals(c.journal_mode, "wal")) {
      // One pass; in WAL mode a reader never blocks a writer.
      for (auto& r : db.rows(std::string(sums) + " GROUP BY name")) per.emplace(r.text(0), r);
    } else {
      // A reader blocks writers in the other journal modes: one b-tree per statement, so the
      // shared lock is held for one table or index at a time.
      for (const auto& o : db.rows("SELECT name FROM sqlite_schema WHERE rootpage > 0"))
        for (auto& r : db.rows(std::string(sums) + " WHERE name = ? GROUP BY name", {o.text(0)})) per.emplace(r.text(0), r);
    }
    for (auto& t : c.tables) {
      if (auto it = per.find(t.name); it != per.end()) {
        t.bytes = it->second.int64(1);
        t.unused = it->second.int64(2);
        t.rows = t.without_rowid ? it->second.int64(4) : it->second.int64(3);
      }
      for (auto& i : t.indexes) {
        if (auto it = per.find(i.name); it != per.end()) {
          i.bytes = it->second.int64(1);
          i.unused = it->second.int64(2);
          i.entries = it->second.int64(4);
        }
      }
    }
  }
  return c;
}

}  // namespace opsdesk::dbtune
