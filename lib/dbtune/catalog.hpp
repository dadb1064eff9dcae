#pragma once
// What a database holds: its tables, columns and indexes as SQLite describes them (PRAGMA
// table_list, table_xinfo, index_list, index_xinfo), the views and triggers, the statistics
// of sqlite_stat1, and, when asked, the space each b-tree takes from the dbstat virtual table.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dbtune/target_db.hpp"

namespace opsdesk::dbtune {

struct Column {
  int cid = 0;
  std::string name;
  std::string type;
  bool not_null = false;
  int pk = 0;  // position in the primary key, 0 when not part of it
  bool generated = false;  // GENERATED ALWAYS AS (...): never inserted into
};

struct IndexColumn {
  int cid = 0;  // -1: the rowid, -2: an expression
  std::string name;
  bool desc = false;
  std::string collation = "BINARY";
};

struct Index {
  std::string name, table, sql;
  bool unique = false;
  std::string origin;  // c (CREATE INDEX), u (UNIQUE constraint), pk
  bool partial = false;
  std::vector<IndexColumn> key;
  std::optional<std::string> stat;  // its sqlite_stat1 row
  // From dbstat:
  std::int64_t bytes = 0, unused = 0, entries = 0;
};

struct Table {
  std::string name, sql;
  bool without_rowid = false;
  std::vector<Column> columns;
  int rowid_alias = -1;  // the cid of the INTEGER PRIMARY KEY column, -1 when none
  std::vector<Index> indexes;
  std::optional<std::int64_t> stat_rows;  // sqlite_stat1's row count
  bool has_stat = false;
  // From dbstat:
  std::int64_t rows = 0, bytes = 0, unused = 0;
  std::int64_t index_bytes() const;
  // The columns a row is inserted with (not the generated ones), quoted and comma-separated.
  std::string stored_columns() const;
  const Column* column(std::string_view name) const;
};

struct SchemaObject {
  std::string type, name, table, sql;  // views and triggers
};

struct Catalog {
  std::int64_t page_size = 0, page_count = 0, freelist_count = 0;
  std::string journal_mode;
  int auto_vacuum = 0;
  std::int64_t file_bytes = 0;
  bool has_stat1 = false;
  bool has_space = false;  // dbstat was read
  std::vector<Table> tables;  // ordinary tables (no virtual, shadow or sqlite_ tables)
  std::vector<SchemaObject> others;
  std::vector<SchemaObject> schema;  // every entry with SQL, in the order SQLite made them
  std::vector<std::string> virtual_tables;
  const Table* table(std::string_view name) const;  // case-insensitive, like SQLite
};

// Read the catalog; `space` walks every page through dbstat (a read of the whole file).
Catalog read_catalog(TargetDb& db, bool space);

// Recreate the catalog's schema (tables, indexes, views, and triggers if asked) in `into`,
// an empty database; objects this build cannot make (shadow tables that exist already, a
// module it lacks) are skipped.
void copy_schema(TargetDb& into, const Catalog& catalog, bool triggers);

// The columns of an index as SQL ("a", "b" COLLATE NOCASE DESC).
std::string key_sql(const std::vector<IndexColumn>& key);

bool iequals(std::string_view a, std::string_view b);

}  // namespace opsdesk::dbtune
