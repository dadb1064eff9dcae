#include "dbtune/advisor.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::dbtune {

namespace {

// ---- capturing what the planner asks of each table ----

struct Term {
  int column = 0;
  std::string collation;
  bool desc = false;
  bool operator==(const Term&) const = default;
};

struct Scan {
  std::string table;
  std::vector<Term> eq, range, order;
  bool operator==(const Scan&) const = default;
};

struct Capture {
  std::map<std::string, std::string> declarations;  // lower-case table name → CREATE TABLE for the vtab
  std::vector<Scan> scans;                          // of the statement being prepared
  std::set<std::string> writes;
};

struct CaptureTable : sqlite3_vtab {
  Capture* capture = nullptr;
  std::string table;
};

struct CaptureCursor : sqlite3_vtab_cursor {};

int capture_connect(sqlite3* db, void* aux, int argc, const char* const* argv, sqlite3_vtab** out, char** err) {
  auto* capture = static_cast<Capture*>(aux);
  if (argc < 3) return SQLITE_ERROR;
  const auto it = capture->declarations.find(core::to_lower(argv[2]));
  if (it == capture->declarations.end()) {
    *err = sqlite3_mprintf("no declaration for %s", argv[2]);
    return SQLITE_ERROR;
  }
  const int rc = sqlite3_declare_vtab(db, it->second.c_str());
  if (rc != SQLITE_OK) return rc;
  auto* t = new CaptureTable();
  t->capture = capture;
  t->table = argv[2];
  *out = t;
  return SQLITE_OK;
}

int capture_disconnect(sqlite3_vtab* vtab) {
  delete static_cast<CaptureTable*>(vtab);
  return SQLITE_OK;
}

void add_unique(std::vector<Term>& terms, Term t) {
  if (std::none_of(terms.begin(), terms.end(), [&](const Term& x) { return x.column == t.column; })) terms.push_back(std::move(t));
}

int capture_best_index(sqlite3_vtab* vtab, sqlite3_index_info* info) {
  auto* t = static_cast<CaptureTable*>(vtab);
  Scan scan;
  scan.table = t->table;
  int used = 0;
  for (int i = 0; i < info->nConstraint; ++i) {
    const auto& c = info->aConstraint[i];
    if (!c.usable || c.iColumn < 0) continue;
    const char* collation = sqlite3_vtab_collation(info, i);
    Term term{c.iColumn, collation ? collation : "BINARY", false};
    switch (c.op) {
      case SQLITE_INDEX_CONSTRAINT_EQ:
      case SQLITE_INDEX_CONSTRAINT_IS: add_unique(scan.eq, term); break;
      case SQLITE_INDEX_CONSTRAINT_GT:
      case SQLITE_INDEX_CONSTRAINT_GE:
      case SQLITE_INDEX_CONSTRAINT_LT:
      case SQLITE_INDEX_CONSTRAINT_LE: add_unique(scan.range, term); break;
      default: continue;
    }
    info->aConstraintUsage[i].argvIndex = ++used;
  }
  for (int j = 0; j < info->nOrderBy; ++j) {
    if (info->aOrderBy[j].iColumn < 0) {
      scan.order.clear();  // ORDER BY rowid: an index cannot help beyond the table's own order
      break;
    }
    scan.order.push_back({info->aOrderBy[j].iColumn, "BINARY", info->aOrderBy[j].desc != 0});
  }
  // The more constraints the planner lets us use, the cheaper: so it offers every combination.
  info->estimatedCost = 1000000.0 / (used + 1);
  info->estimatedRows = 1000000 / (used + 1);
  auto& scans = t->capture->scans;
  if (std::find(scans.begin(), scans.end(), scan) == scans.end()) scans.push_back(std::move(scan));
  return SQLITE_OK;
}

int capture_open(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  *out = new CaptureCursor();
  return SQLITE_OK;
}
int capture_close(sqlite3_vtab_cursor* c) {
  delete static_cast<CaptureCursor*>(c);
  return SQLITE_OK;
}
int capture_filter(sqlite3_vtab_cursor*, int, const char*, int, sqlite3_value**) { return SQLITE_OK; }
int capture_next(sqlite3_vtab_cursor*) { return SQLITE_OK; }
int capture_eof(sqlite3_vtab_cursor*) { return 1; }  // never any row: statements are only prepared
int capture_column(sqlite3_vtab_cursor*, sqlite3_context* ctx, int) {
  sqlite3_result_null(ctx);
  return SQLITE_OK;
}
int capture_rowid(sqlite3_vtab_cursor*, sqlite3_int64* rowid) {
  *rowid = 0;
  return SQLITE_OK;
}
int capture_update(sqlite3_vtab*, int, sqlite3_value**, sqlite3_int64*) { return SQLITE_READONLY; }

sqlite3_module capture_module() {
  sqlite3_module m{};
  m.iVersion = 1;
  m.xCreate = capture_connect;
  m.xConnect = capture_connect;
  m.xBestIndex = capture_best_index;
  m.xDisconnect = capture_disconnect;
  m.xDestroy = capture_disconnect;
  m.xOpen = capture_open;
  m.xClose = capture_close;
  m.xFilter = capture_filter;
  m.xNext = capture_next;
  m.xEof = capture_eof;
  m.xColumn = capture_column;
  m.xRowid = capture_rowid;
  m.xUpdate = capture_update;
  return m;
}

int record_writes(void* data, int action, const char* a, const char*, const char*, const char*) {
  if ((action == SQLITE_INSERT || action == SQLITE_UPDATE || action == SQLITE_DELETE) && a &&
      std::string_view(a).rfind("sqlite_", 0) != 0)
    static_cast<Capture*>(data)->writes.insert(a);
  return SQLITE_OK;
}

// The declared collation of each column, from the target.
std::string collation_of(TargetDb& db, const std::string& table, const std::string& column) {
  const char* type = nullptr;
  const char* collation = nullptr;
  int not_null = 0, pk = 0, autoinc = 0;
  if (sqlite3_table_column_metadata(db.handle(), "main", table.c_str(), column.c_str(), &type, &collation, &not_null, &pk,
                                    &autoinc) != SQLITE_OK ||
      !collation)
    return "BINARY";
  return collation;
}

std::string uri_of(const std::filesystem::path& path) {
  std::string out = "file:";
  for (const char c : std::filesystem::absolute(path).string()) {
    const auto ch = static_cast<unsigned char>(c);
    if (std::isalnum(ch) || ch == '/' || ch == '-' || ch == '_' || ch == '.' || ch == '~') out += static_cast<char>(ch);
    else out += fmt::format("%{:02X}", ch);
  }
  return out + "?mode=ro";
}

// ---- candidates ----

struct Candidate {
  std::string table;
  std::vector<IndexColumn> key;
  std::string probe_name;  // in the evaluation copy
  std::string name;        // proposed
  std::int64_t bytes = 0;
  bool used = false;
  std::string stat;  // its sqlite_stat1 row in the evaluation copy
};

IndexColumn column_of(const Table& t, const Term& term, const std::vector<std::string>& declared) {
  IndexColumn c;
  const auto& col = t.columns.at(static_cast<std::size_t>(term.column));
  c.cid = col.cid;
  c.name = col.name;
  c.desc = term.desc;
  // The comparison's collation; a column's declared one is what an index uses anyway.
  c.collation = term.collation;
  if (iequals(c.collation, declared.at(static_cast<std::size_t>(term.column)))) c.collation = declared[static_cast<std::size_t>(term.column)];
  return c;
}

bool same_key(const std::vector<IndexColumn>& a, const std::vector<IndexColumn>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].cid != b[i].cid || a[i].desc != b[i].desc || !iequals(a[i].collation, b[i].collation)) return false;
  return true;
}

std::vector<std::string> index_names_in(const std::vector<std::string>& plan, const std::vector<std::string>& names) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    const std::string needle = "INDEX " + n;
    for (const auto& line : plan) {
      const auto at = line.find(needle);
      if (at == std::string::npos) continue;
      const auto end = at + needle.size();
      if (end == line.size() || line[end] == ' ') {
        out.push_back(n);
        break;
      }
    }
  }
  return out;
}

// "N a1 a2 ..." for an index on `cols` of the sample table, scaled from n sampled rows to N.
std::string estimate_stat(TargetDb& mem, const std::string& sample, std::int64_t N, std::int64_t n,
                          const std::vector<std::string>& cols, bool unique) {
  std::string stat = std::to_string(std::max<std::int64_t>(N, 1));
  std::int64_t previous = std::max<std::int64_t>(N, 1);
  for (std::size_t j = 1; j <= cols.size(); ++j) {
    std::int64_t avg = 1;
    if (!(unique && j == cols.size()) && n > 0) {
      std::vector<std::string> prefix(cols.begin(), cols.begin() + static_cast<std::ptrdiff_t>(j));
      const auto r = mem.row(fmt::format("SELECT count(*), coalesce(sum(c = 1), 0) FROM (SELECT count(*) AS c FROM sample.{} GROUP BY {})",
                                         quote(sample), core::join(prefix, ", ")));
      const double d = r ? r->real(0) : 1, f1 = r ? r->real(1) : 0;
      const double nn = static_cast<double>(n), NN = static_cast<double>(std::max(N, n));
      // Duj1 (Haas & Stokes): distinct values in the whole table from a sample.
      const double denominator = nn - f1 + f1 * nn / NN;
      const double distinct = denominator > 0 ? std::min(NN, nn * d / denominator) : d;
      avg = std::max<std::int64_t>(1, std::llround(NN / std::max(1.0, distinct)));
    }
    avg = std::min(avg, previous);
    previous = avg;
    stat += " " + std::to_string(avg);
  }
  return stat;
}

std::string proposed_name(const Table& t, const std::vector<IndexColumn>& key, const Catalog& catalog,
                          const std::set<std::string>& taken) {
  std::string base = t.name;
  for (const auto& c : key) base += "_" + c.name;
  for (auto& ch : base)
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_')) ch = '_';
  std::string name = base;
  for (int k = 2;; ++k) {
    bool used = taken.count(core::to_lower(name)) > 0;
    for (const auto& tt : catalog.tables)
      for (const auto& i : tt.indexes) used = used || iequals(i.name, name);
    if (!used && !catalog.table(name)) return name;
    name = fmt::format("{}_{}", base, k);
  }
}

std::string shorten(const std::string& sql, std::size_t n = 80) {
  std::string flat;
  bool space = false;
  for (char ch : sql) {
    if (ch == '\n' || ch == '\t' || ch == '\r' || ch == ' ') {
      space = !flat.empty();
      continue;
    }
    if (space) flat += ' ';
    space = false;
    flat += ch;
  }
  return flat.size() <= n ? flat : flat.substr(0, n - 1) + "…";
}

}  // namespace

std::vector<Statement> read_workload(std::string_view text) {
  std::vector<Statement> out;
  std::string current;
  std::size_t line = 1, start_line = 1;
  bool started = false;
  auto flush = [&] {
    // Leading comments belong to no statement: the statement starts at its first word.
    std::size_t skip = 0;
    while (skip < current.size()) {
      if (std::isspace(static_cast<unsigned char>(current[skip]))) {
        if (current[skip] == '\n') ++start_line;
        ++skip;
      } else if (current.compare(skip, 2, "--") == 0) {
        const auto e = current.find('\n', skip);
        skip = e == std::string::npos ? current.size() : e;
      } else if (current.compare(skip, 2, "/*") == 0) {
        const auto e = current.find("*/", skip + 2);
        const auto stop = e == std::string::npos ? current.size() : e + 2;
        start_line += static_cast<std::size_t>(std::count(current.begin() + static_cast<std::ptrdiff_t>(skip),
                                                          current.begin() + static_cast<std::ptrdiff_t>(stop), '\n'));
        skip = stop;
      } else {
        break;
      }
    }
    current.erase(0, skip);
    std::string sql(core::trim(current));
    while (!sql.empty() && sql.back() == ';') sql = std::string(core::trim(sql.substr(0, sql.size() - 1)));
    // Only comments: nothing to run.
    if (!sql.empty() && sqlite3_complete((sql + ";").c_str())) {
      const std::string probe = sql + ";";
      bool only_comments = true;
      for (std::size_t i = 0; i < sql.size() && only_comments;) {
        if (std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
        else if (sql.compare(i, 2, "--") == 0) i = std::min(sql.size(), sql.find('\n', i) == std::string::npos ? sql.size() : sql.find('\n', i));
        else if (sql.compare(i, 2, "/*") == 0) {
          const auto e = sql.find("*/", i + 2);
          i = e == std::string::npos ? sql.size() : e + 2;
        } else only_comments = false;
      }
      if (!only_comments) out.push_back({sql, start_line});
    } else if (!sql.empty()) {
      out.push_back({sql, start_line});
    }
    current.clear();
    started = false;
  };
  for (char ch : text) {
    if (!started && std::isspace(static_cast<unsigned char>(ch))) {  // between statements
      if (ch == '\n') ++line;
      continue;
    }
    if (!started) {
      started = true;
      start_line = line;
    }
    current += ch;
    if (ch == '\n') ++line;
    if (ch == ';' && sqlite3_complete(current.c_str())) flush();
  }
  flush();
  // A statement that starts with comments begins, for messages, at its first line of SQL.
  return out;
}

std::vector<std::string> query_plan(TargetDb& db, const std::string& sql) {
  std::vector<std::string> out;
  std::map<std::int64_t, int> depth;
  for (const auto& r : db.rows("EXPLAIN QUERY PLAN " + sql)) {
    const auto id = r.int64(0), parent = r.int64(1);
    const int d = parent == 0 ? 0 : depth[parent] + 1;
    depth[id] = d;
    out.push_back(std::string(static_cast<std::size_t>(d) * 2, ' ') + r.text(3));
  }
  return out;
}

int plan_score(const std::vector<std::string>& plan) {
  int score = 0;
  for (const auto& raw : plan) {
    const std::string line(core::trim(raw));
    if (line.starts_with("SCAN ") && line.find("CONSTANT ROW") == std::string::npos) score -= line.find("COVERING INDEX") != std::string::npos ? 60 : 100;
    if (line.starts_with("SEARCH ")) {
      score += 10;
      for (std::size_t at = line.find('('); at != std::string::npos && at < line.size(); ++at) {
        if (line.compare(at, 2, "=?") == 0) score += 3;
        if (line[at] == '>' || line[at] == '<') score += 1;
      }
      if (line.find("COVERING INDEX") != std::string::npos) score += 1;
    }
    if (line.find("AUTOMATIC") != std::string::npos) score -= 50;
    if (line.find("USE TEMP B-TREE") != std::string::npos) score -= 20;
  }
  return score;
}

Advice advise(TargetDb& db, const std::filesystem::path& path, const Catalog& catalog, const std::vector<Statement>& workload,
              std::int64_t sample_rows) {
  Advice advice;
  for (const auto& s : workload) advice.statements.push_back({s, {}, {}, {}, {}, {}});

  // 1. What each statement asks of each table.
  std::map<std::string, std::vector<std::string>> declared;  // lower table name → declared collations per column
  Capture capture;
  for (const auto& t : catalog.tables) {
    std::vector<std::string> cols, collations;
    for (const auto& c : t.columns) {
      const auto coll = collation_of(db, t.name, c.name);
      collations.push_back(coll);
      cols.push_back(fmt::format("{} {} COLLATE {}", quote(c.name), c.type.empty() ? "" : c.type, quote(coll)));
    }
    capture.declarations[core::to_lower(t.name)] = fmt::format("CREATE TABLE x({})", core::join(cols, ", "));
    declared[core::to_lower(t.name)] = collations;
  }
  std::vector<std::vector<Scan>> scans(workload.size());
  {
    TargetDb cap(":memory:", TargetDb::Mode::memory, std::chrono::milliseconds(0), "workload capture");
    static const sqlite3_module module = capture_module();
    if (sqlite3_create_module_v2(cap.handle(), "opsdesk_capture", &module, &capture, nullptr) != SQLITE_OK)
      cap.fail(SQLITE_ERROR, "prepare");
    for (const auto& t : catalog.tables) cap.exec(fmt::format("CREATE VIRTUAL TABLE {} USING opsdesk_capture", quote(t.name)));
    for (const auto& o : catalog.others)
      if (o.type == "view") sqlite3_exec(cap.handle(), o.sql.c_str(), nullptr, nullptr, nullptr);
    // Virtual tables of the target (full-text search) as they are, where this build has their module.
    for (const auto& o : catalog.schema)
      if (std::find(catalog.virtual_tables.begin(), catalog.virtual_tables.end(), o.name) != catalog.virtual_tables.end())
        sqlite3_exec(cap.handle(), o.sql.c_str(), nullptr, nullptr, nullptr);
    sqlite3_set_authorizer(cap.handle(), record_writes, &capture);
    for (std::size_t i = 0; i < workload.size(); ++i) {
      capture.scans.clear();
      capture.writes.clear();
      sqlite3_stmt* st = nullptr;
      const int rc = sqlite3_prepare_v2(cap.handle(), workload[i].sql.c_str(), -1, &st, nullptr);
      if (rc != SQLITE_OK) advice.statements[i].error = sqlite3_errmsg(cap.handle());
      sqlite3_finalize(st);
      scans[i] = capture.scans;
      advice.statements[i].writes.assign(capture.writes.begin(), capture.writes.end());
    }
  }

  // 2. Candidate indexes: the equality columns, then one range column, or the ORDER BY columns.
  std::vector<Candidate> candidates;
  auto propose = [&](const Table& t, std::vector<IndexColumn> key) {
    // The rowid ends every index entry already: an index never needs it as a column.
    std::erase_if(key, [&](const IndexColumn& c) { return c.cid == -1 || c.cid == t.rowid_alias; });
    if (key.empty()) return;
    // An index that already leads with these columns serves the same searches.
    for (const auto& i : t.indexes) {
      if (i.partial || i.key.size() < key.size()) continue;
      bool leads = true;
      for (std::size_t k = 0; k < key.size() && leads; ++k)
        leads = i.key[k].cid == key[k].cid && i.key[k].desc == key[k].desc && iequals(i.key[k].collation, key[k].collation);
      if (leads) return;
    }
    for (const auto& c : candidates)
      if (iequals(c.table, t.name) && same_key(c.key, key)) return;
    candidates.push_back({t.name, std::move(key), fmt::format("opsdesk_candidate_{}", candidates.size()), "", 0, false, ""});
  };
  for (const auto& per : scans) {
    for (const auto& s : per) {
      const Table* t = catalog.table(s.table);
      if (!t) continue;
      const auto& decl = declared[core::to_lower(t->name)];
      std::vector<IndexColumn> eq;
      for (const auto& term : s.eq) eq.push_back(column_of(*t, term, decl));
      propose(*t, eq);
      for (const auto& term : s.range) {
        if (std::any_of(s.eq.begin(), s.eq.end(), [&](const Term& e) { return e.column == term.column; })) continue;
        auto key = eq;
        key.push_back(column_of(*t, term, decl));
        propose(*t, key);
      }
      if (!s.order.empty()) {
        auto key = eq;
        for (const auto& term : s.order)
          if (std::none_of(s.eq.begin(), s.eq.end(), [&](const Term& e) { return e.column == term.column; }))
            key.push_back(column_of(*t, term, decl));
        if (key.size() > eq.size()) propose(*t, key);
      }
    }
  }

  // 3. An evaluation copy: the schema, the statistics, the candidates.
  TargetDb eval(":memory:", TargetDb::Mode::memory, std::chrono::milliseconds(5000), "evaluation copy");
  copy_schema(eval, catalog, false);
  eval.exec("ANALYZE; DELETE FROM sqlite_stat1;");
  eval.exec(fmt::format("ATTACH {} AS target; ATTACH ':memory:' AS sample", quote_literal(uri_of(path))));
  std::map<std::string, std::pair<std::string, std::int64_t>> samples;  // table → sample table, rows sampled
  auto sample_of = [&](const Table& t) -> std::pair<std::string, std::int64_t> {
    if (auto it = samples.find(t.name); it != samples.end()) return it->second;
    const std::string name = fmt::format("s{}", samples.size());
    const std::string rowid = t.without_rowid ? "" : "rowid AS opsdesk_rowid, ";
    eval.exec(fmt::format("CREATE TABLE sample.{} AS SELECT {}* FROM target.{} WHERE 0", quote(name), rowid, quote(t.name)));
    if (t.rows <= sample_rows || t.without_rowid) {
      eval.exec(fmt::format("INSERT INTO sample.{} SELECT {}* FROM target.{} LIMIT {}", quote(name), rowid, quote(t.name), sample_rows));
    } else {
      // Runs of consecutive rows spread over the rowid range: cheap to read, and they see the
      // whole table (old and new rows alike).
      const auto range = eval.row(fmt::format("SELECT min(rowid), max(rowid) FROM target.{}", quote(t.name)));
      const std::int64_t lo = range ? range->int64(0) : 0, hi = range ? range->int64(1) : 0;
      constexpr int runs = 20;
      for (int k = 0; k < runs; ++k) {
        const std::int64_t start = lo + static_cast<std::int64_t>(static_cast<double>(hi - lo) * k / runs);
        eval.exec(fmt::format("INSERT INTO sample.{} SELECT {}* FROM target.{} WHERE rowid >= {} ORDER BY rowid LIMIT {}",
                              quote(name), rowid, quote(t.name), start, sample_rows / runs));
      }
    }
    const auto n = eval.integer(fmt::format("SELECT count(*) FROM sample.{}", quote(name)));
    return samples[t.name] = {name, n};
  };
  auto key_columns = [](const Table& t, const std::vector<IndexColumn>& key) {
    std::vector<std::string> cols;
    for (const auto& c : key) {
      std::string col = c.cid == -1 ? std::string("opsdesk_rowid") : quote(c.name);
      if (!iequals(c.collation, "BINARY")) col += " COLLATE " + quote(c.collation);
      cols.push_back(col);
    }
    (void)t;
    return cols;
  };
  auto insert_stat = [&](const std::string& table, const std::optional<std::string>& index, const std::string& stat) {
    eval.rows("INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES (?, ?, ?)",
              {table, index ? Value(*index) : Value(nullptr), stat});
  };
  std::set<std::string> workload_tables;
  for (const auto& per : scans)
    for (const auto& s : per) workload_tables.insert(core::to_lower(s.table));
  for (const auto& c : candidates) workload_tables.insert(core::to_lower(c.table));
  for (const auto& t : catalog.tables) {
    const bool relevant = workload_tables.count(core::to_lower(t.name)) > 0;
    if (t.indexes.empty()) {
      insert_stat(t.name, std::nullopt, std::to_string(std::max<std::int64_t>(t.rows, 1)));
      continue;
    }
    for (const auto& i : t.indexes) {
      if (i.stat) {
        insert_stat(t.name, i.name, *i.stat);  // the target's own statistics
      } else if (relevant && std::none_of(i.key.begin(), i.key.end(), [](const IndexColumn& c) { return c.cid == -2; })) {
        const auto [sample, n] = sample_of(t);
        insert_stat(t.name, i.name, estimate_stat(eval, sample, t.rows, n, key_columns(t, i.key), i.unique));
      }
    }
  }
  eval.exec("ANALYZE sqlite_schema");
  for (std::size_t i = 0; i < workload.size(); ++i)
    if (advice.statements[i].error.empty()) advice.statements[i].plan_before = query_plan(eval, workload[i].sql);

  for (auto& c : candidates) {
    const Table& t = *catalog.table(c.table);
    const auto cols = key_columns(t, c.key);
    eval.exec(fmt::format("CREATE INDEX {} ON {}({})", quote(c.probe_name), quote(t.name), key_sql(c.key)));
    const auto [sample, n] = sample_of(t);
    c.stat = estimate_stat(eval, sample, t.rows, n, cols, false);
    insert_stat(t.name, c.probe_name, c.stat);
    // Its size: the same index on the sample, scaled.
    const std::string probe = "size_" + c.probe_name;
    eval.exec(fmt::format("CREATE INDEX sample.{} ON {}({})", quote(probe), quote(sample), core::join(cols, ", ")));
    const auto sample_bytes = eval.integer("SELECT coalesce(sum(pgsize), 0) FROM dbstat('sample') WHERE name = ?", {probe});
    c.bytes = n > 0 ? static_cast<std::int64_t>(static_cast<double>(sample_bytes) * static_cast<double>(std::max(t.rows, n)) / static_cast<double>(n))
                    : 0;
  }
  eval.exec("ANALYZE sqlite_schema");

  // 4. Keep the candidates some plan uses; plan again with only those.
  std::vector<std::string> probe_names;
  for (const auto& c : candidates) probe_names.push_back(c.probe_name);
  for (std::size_t i = 0; i < workload.size(); ++i) {
    if (!advice.statements[i].error.empty()) continue;
    for (const auto& n : index_names_in(query_plan(eval, workload[i].sql), probe_names))
      for (auto& c : candidates)
        if (c.probe_name == n) c.used = true;
  }
  for (const auto& c : candidates)
    if (!c.used) eval.exec("DROP INDEX " + quote(c.probe_name));
  eval.exec("ANALYZE sqlite_schema");
  // A used candidate whose columns lead another used one goes when no statement's plan gets
  // worse without it: (a, t) serves `a = ?` as well as (a) does.
  std::vector<int> best(workload.size(), 0);
  for (std::size_t i = 0; i < workload.size(); ++i)
    if (advice.statements[i].error.empty()) best[i] = plan_score(query_plan(eval, workload[i].sql));
  std::vector<std::size_t> order(candidates.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return candidates[a].key.size() < candidates[b].key.size(); });
  for (const auto k : order) {
    auto& a = candidates[k];
    if (!a.used) continue;
    const bool led = std::any_of(candidates.begin(), candidates.end(), [&](const Candidate& b) {
      if (&b == &a || !b.used || !iequals(a.table, b.table) || b.key.size() <= a.key.size()) return false;
      for (std::size_t j = 0; j < a.key.size(); ++j)
        if (a.key[j].cid != b.key[j].cid || a.key[j].desc != b.key[j].desc || !iequals(a.key[j].collation, b.key[j].collation))
          return false;
      return true;
    });
    if (!led) continue;
    eval.exec("DROP INDEX " + quote(a.probe_name));
    eval.rows("DELETE FROM sqlite_stat1 WHERE idx = ?", {a.probe_name});
    eval.exec("ANALYZE sqlite_schema");
    bool worse = false;
    for (std::size_t i = 0; i < workload.size() && !worse; ++i)
      if (advice.statements[i].error.empty()) worse = plan_score(query_plan(eval, workload[i].sql)) < best[i];
    if (worse) {
      eval.exec(fmt::format("CREATE INDEX {} ON {}({})", quote(a.probe_name), quote(a.table), key_sql(a.key)));
      insert_stat(a.table, a.probe_name, a.stat);
      eval.exec("ANALYZE sqlite_schema");
    } else {
      a.used = false;
    }
  }
  std::set<std::string> taken;
  for (auto& c : candidates) {
    if (!c.used) continue;
    c.name = proposed_name(*catalog.table(c.table), c.key, catalog, taken);
    taken.insert(core::to_lower(c.name));
  }
  std::vector<std::string> all_names = probe_names;
  for (const auto& t : catalog.tables)
    for (const auto& i : t.indexes) all_names.push_back(i.name);
  std::set<std::string> used_existing;
  for (std::size_t i = 0; i < workload.size(); ++i) {
    auto& sp = advice.statements[i];
    if (!sp.error.empty()) continue;
    sp.plan_after = query_plan(eval, workload[i].sql);
    for (const auto& n : index_names_in(sp.plan_after, all_names)) {
      const auto c = std::find_if(candidates.begin(), candidates.end(), [&](const Candidate& x) { return x.probe_name == n; });
      sp.indexes_used.push_back(c != candidates.end() ? c->name : n);
      if (c == candidates.end()) used_existing.insert(n);
    }
    // Show the proposed names in the plans.
    for (auto& line : sp.plan_after)
      for (const auto& c : candidates) {
        if (!c.used) continue;
        const std::string needle = "INDEX " + c.probe_name;
        const auto at = line.find(needle);
        if (at != std::string::npos && (at + needle.size() == line.size() || line[at + needle.size()] == ' '))
          line.replace(at + 6, c.probe_name.size(), c.name);
      }
  }

  // 5. Findings.
  std::map<std::string, int> writers;  // lower table → statements writing it
  for (const auto& sp : advice.statements)
    for (const auto& w : sp.writes) ++writers[core::to_lower(w)];
  for (const auto& c : candidates) {
    if (!c.used) continue;
    const Table& t = *catalog.table(c.table);
    Finding f;
    f.kind = "missing-index";
    f.id = fmt::format("missing-index:{}({})", t.name, key_sql(c.key));
    f.object = t.name;
    output::Json helped = output::Json::array();
    std::vector<std::string> lines;
    bool scan_to_search = false;
    for (const auto& sp : advice.statements) {
      if (std::find(sp.indexes_used.begin(), sp.indexes_used.end(), c.name) == sp.indexes_used.end()) continue;
      const int before = plan_score(sp.plan_before), after = plan_score(sp.plan_after);
      scan_to_search = scan_to_search || before <= -100;
      lines.push_back(std::to_string(sp.statement.line));
      helped.push_back({{"line", sp.statement.line},
                        {"sql", shorten(sp.statement.sql)},
                        {"plan_before", sp.plan_before},
                        {"plan_after", sp.plan_after},
                        {"better", after > before}});
    }
    const int write_statements = writers[core::to_lower(t.name)];
    f.severity = scan_to_search && t.rows >= 10000 ? Severity::high : scan_to_search ? Severity::medium : Severity::low;
    f.safe = write_statements == 0;
    f.summary = fmt::format("index on {}({}) would serve {} statement(s) of the workload (line {}); about {}", t.name,
                            key_sql(c.key), helped.size(), core::join(lines, ", "), core::format_bytes(static_cast<double>(c.bytes)));
    const std::string write_cost =
        write_statements == 0
            ? "The workload does not write " + t.name + "."
            : fmt::format("{} statement(s) of the workload write {}: each row written then updates {} b-trees instead of {} "
                          "(the table and its indexes).",
                          write_statements, t.name, t.indexes.size() + 2, t.indexes.size() + 1);
    f.explanation = fmt::format(
        "With it, EXPLAIN QUERY PLAN on a copy of the schema with this database's statistics ({} rows in {}) uses it for "
        "the statements on line(s) {}. Estimated size {} (measured on {} sampled rows). {}",
        t.rows, t.name, core::join(lines, ", "), core::format_bytes(static_cast<double>(c.bytes)),
        samples.count(t.name) ? samples[t.name].second : 0, write_cost);
    f.fix_sql = {fmt::format("CREATE INDEX {} ON {}({})", quote(c.name), quote(t.name), key_sql(c.key))};
    f.undo_sql = {"DROP INDEX " + quote(c.name)};
    f.details = {{"table", t.name},       {"index", c.name},           {"columns", key_sql(c.key)},
                 {"estimated_bytes", c.bytes}, {"statements", helped}, {"write_statements", write_statements}};
    advice.findings.push_back(std::move(f));
  }
  for (const auto& t : catalog.tables) {
    bool read = false;
    for (const auto& per : scans)
      for (const auto& s : per) read = read || iequals(s.table, t.name);
    if (!read) continue;
    for (const auto& i : t.indexes) {
      if (i.origin != "c" || i.unique || used_existing.count(i.name)) continue;
      Finding f;
      f.kind = "unused-index";
      f.id = "unused-index:" + i.name;
      f.object = i.name;
      f.severity = Severity::low;
      f.summary = fmt::format("index {} on {}({}) is used by no statement of the workload ({})", i.name, t.name, key_sql(i.key),
                              core::format_bytes(static_cast<double>(i.bytes)));
      f.explanation = fmt::format(
          "None of the {} statements' plans uses it, though they read {}. If the workload is complete, dropping it saves "
          "its space and a b-tree update per write; programs not in the workload may still need it.",
          workload.size(), t.name);
      f.fix_sql = {"DROP INDEX " + quote(i.name)};
      f.undo_sql = {i.sql};
      f.details = {{"table", t.name}, {"index", i.name}, {"bytes", i.bytes}};
      advice.findings.push_back(std::move(f));
    }
  }
  return advice;
}

}  // namespace opsdesk::dbtune
