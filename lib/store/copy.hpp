#pragma once
// Moving a desk between stores (SQLite and PostgreSQL, either way): every row of every table,
// ids kept (the audit chain's hashes cover them), in one transaction on the destination.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace opsdesk::store {

struct TableCount {
  std::string table;
  std::int64_t rows = 0;
};

// The tables of a desk in the order a copy fills them (a table after those it refers to).
const std::vector<std::string>& desk_tables();

// Row counts of every desk table.
std::vector<TableCount> count_rows(Db& db);

// Copy everything in `from` (read in whatever transaction the caller holds) into `to`, which
// must hold no desk yet (an empty schema; its default role permissions are replaced by the
// source's). In one write transaction on `to`: the rows, identity counters set past the
// copied ids (PostgreSQL), then the row counts compared and `check` run (the audit chain)
// before the commit; any failure rolls `to` back. `progress` hears each table as it is done.
// Throws Error(failed) when `to` already holds a desk.
std::vector<TableCount> copy_desk(Db& from, Db& to, const std::function<void(Db&)>& check,
                                  const std::function<void(const TableCount&)>& progress = {});

}  // namespace opsdesk::store
