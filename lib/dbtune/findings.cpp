#include "dbtune/findings.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <cmath>

#include "core/strings.hpp"

namespace opsdesk::dbtune {

namespace {

std::string bytes(std::int64_t n) { return core::format_bytes(static_cast<double>(n)); }
double percent(std::int64_t part, std::int64_t whole) {
  return whole > 0 ? 100.0 * static_cast<double>(part) / static_cast<double>(whole) : 0.0;
}
std::string count(std::int64_t n) {  // 1234567 → 1,234,567
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

// ---- space ----

void space_findings(const Catalog& c, const AnalyzeOptions& o, std::vector<Finding>& out) {
  if (!c.has_space || c.file_bytes == 0) return;
  std::int64_t unused = 0;
  std::vector<std::pair<std::int64_t, std::string>> per;
  for (const auto& t : c.tables) {
    unused += t.unused;
    per.emplace_back(t.unused, t.name);
    for (const auto& i : t.indexes) {
      unused += i.unused;
      per.emplace_back(i.unused, i.name);
    }
  }
  const std::int64_t free_bytes = c.freelist_count * c.page_size;
  const std::int64_t slack = free_bytes + unused;
  const double share = percent(slack, c.file_bytes);
  if (share < o.thresholds.vacuum_slack_percent || slack < o.thresholds.vacuum_min_bytes) return;
  std::sort(per.rbegin(), per.rend());
  Finding f;
  f.kind = "vacuum";
  f.id = "vacuum";
  f.severity = share >= 50 ? Severity::high : Severity::medium;
  f.object = "";
  f.summary = fmt::format("{} of the {} file is free space ({:.0f}%): VACUUM would give back up to {}", bytes(slack),
                          bytes(c.file_bytes), share, bytes(slack));
  std::vector<std::string> top;
  output::Json worst = output::Json::array();
  for (std::size_t i = 0; i < per.size() && i < 5 && per[i].first > 0; ++i) {
    top.push_back(fmt::format("{} {}", per[i].second, bytes(per[i].first)));
    worst.push_back({{"name", per[i].second}, {"unused_bytes", per[i].first}});
  }
  f.explanation = fmt::format(
      "{} free pages ({}) and {} of unused space inside pages (dbstat; freelist_count alone shows only the first). "
      "Most unused: {}. VACUUM rewrites the file compactly; it needs free disk space about the size of the database "
      "and holds the write lock while it runs.",
      count(c.freelist_count), bytes(free_bytes), bytes(unused), top.empty() ? "-" : core::join(top, ", "));
  if (c.auto_vacuum == 2) {
    f.fix_sql = {"PRAGMA incremental_vacuum"};
    f.explanation += " The database uses incremental auto-vacuum: PRAGMA incremental_vacuum returns the free pages.";
  } else {
    f.fix_sql = {"VACUUM"};
  }
  f.details = {{"file_bytes", c.file_bytes}, {"free_pages", c.freelist_count}, {"free_bytes", free_bytes},
               {"unused_bytes", unused},     {"slack_percent", std::round(share * 10) / 10}, {"most_unused", worst}};
  out.push_back(std::move(f));
}

// ---- statistics ----

void stats_findings(const Catalog& c, const AnalyzeOptions& o, TargetDb& db, std::vector<Finding>& out) {
  if (!c.has_space) return;
  for (const auto& t : c.tables) {
    if (t.rows == 0 && !t.stat_rows) continue;
    Finding f;
    f.kind = "stats";
    f.id = "stats:" + t.name;
    f.object = t.name;
    f.safe = true;
    const bool indexed = !t.indexes.empty();
    if (!indexed) continue;  // the planner's statistics are about indexes
    if (!t.has_stat) {
      f.severity = indexed && t.rows >= 1000 ? Severity::medium : Severity::low;
      f.summary = fmt::format("table {} ({} rows) was never analysed", t.name, count(t.rows));
      f.explanation = fmt::format(
          "sqlite_stat1 has nothing on {}: the query planner guesses its size and the selectivity of its {} index(es), "
          "and may pick the wrong one. ANALYZE measures them.",
          t.name, t.indexes.size());
    } else {
      const auto before = t.stat_rows.value_or(0);
      const double drift = before > 0 ? percent(std::llabs(t.rows - before), before) : (t.rows > 0 ? 100.0 : 0.0);
      if (drift < o.thresholds.stale_stats_percent || std::max(t.rows, before) < 100) continue;
      f.severity = drift >= 100 ? Severity::medium : Severity::low;
      f.summary = fmt::format("statistics of {} are stale: {} rows then, {} now ({:+.0f}%)", t.name, count(before), count(t.rows),
                              before > 0 ? 100.0 * static_cast<double>(t.rows - before) / static_cast<double>(before) : 100.0);
      f.explanation = fmt::format(
          "sqlite_stat1 says {} has {} rows; it has {} (measured by dbstat). The planner's choices rest on the old "
          "figures; ANALYZE measures again.",
          t.name, count(before), count(t.rows));
    }
    f.fix_sql = {"ANALYZE " + quote(t.name)};
    f.undo_sql = {"DELETE FROM sqlite_stat1 WHERE tbl = " + quote_literal(t.name)};
    if (c.has_stat1)
      for (const auto& r : db.rows("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = ?", {t.name}))
        f.undo_sql.push_back(fmt::format("INSERT INTO sqlite_stat1(tbl, idx, stat) VALUES ({}, {}, {})", quote_literal(t.name),
                                         r.is_null(0) ? std::string("NULL") : quote_literal(r.text(0)), quote_literal(r.text(1))));
    f.undo_sql.push_back("ANALYZE sqlite_schema");
    f.details = {{"rows", t.rows}, {"stat_rows", t.stat_rows ? output::Json(*t.stat_rows) : output::Json(nullptr)},
                 {"indexes", t.indexes.size()}};
    out.push_back(std::move(f));
  }
}

// ---- connection settings ----

void settings_findings(const Catalog& c, std::vector<Finding>& out) {
  constexpr std::int64_t mib = 1 << 20;
  if (c.file_bytes < 8 * mib) return;
  if (!iequals(c.journal_mode, "wal")) {
    Finding f;
    f.kind = "journal-mode";
    f.id = "journal-mode";
    f.severity = Severity::low;
    f.summary = fmt::format("journal mode is {}: WAL lets readers and one writer work at the same time", c.journal_mode);
    f.explanation = fmt::format(
        "In {} mode a writer waits for every reader and readers wait for the writer. WAL (write-ahead log) lets reads "
        "go on during a write and makes commits cheaper. It is kept in the file; every program using the database "
        "must run SQLite 3.7 or later on the same host (WAL does not work over a network file system).",
        c.journal_mode);
    f.fix_sql = {"PRAGMA journal_mode = WAL"};
    f.undo_sql = {"PRAGMA journal_mode = " + core::to_lower(c.journal_mode.empty() ? "delete" : c.journal_mode)};
    f.details = {{"journal_mode", c.journal_mode}};
    out.push_back(std::move(f));
  }
  const std::int64_t cache = std::min<std::int64_t>(c.file_bytes / 4, 256 * mib);
  if (c.file_bytes > 64 * mib) {
    Finding f;
    f.kind = "cache-size";
    f.id = "cache-size";
    f.severity = Severity::info;
    f.applicable = false;
    f.summary = fmt::format("a {} database with SQLite's default 2 MiB page cache: give connections {}", bytes(c.file_bytes),
                            bytes(cache));
    f.explanation = fmt::format(
        "The cache is a setting of each connection, not of the file: the application sets it when it opens the "
        "database. With 2 MiB a connection rereads index pages for every query on a {} database.",
        bytes(c.file_bytes));
    f.fix_sql = {fmt::format("PRAGMA cache_size = -{}", cache / 1024)};
    f.undo_sql = {"PRAGMA cache_size = -2000"};
    f.details = {{"recommended_bytes", cache}};
    out.push_back(std::move(f));
    const std::int64_t mmap = std::min<std::int64_t>(c.file_bytes + 64 * mib, 0x7fff0000);
    Finding m;
    m.kind = "mmap-size";
    m.id = "mmap-size";
    m.severity = Severity::info;
    m.applicable = false;
    m.summary = fmt::format("memory-mapped I/O is off by default: PRAGMA mmap_size = {} saves a copy per page read", mmap);
    m.explanation =
        "Also a setting of each connection. Reads through mmap skip a copy from the OS cache; worth it for read-heavy "
        "programs on a local disk (a read error then arrives as a signal instead of an error code).";
    m.fix_sql = {fmt::format("PRAGMA mmap_size = {}", mmap)};
    m.undo_sql = {"PRAGMA mmap_size = 0"};
    m.details = {{"recommended_bytes", mmap}};
    out.push_back(std::move(m));
  }
}

// ---- temporary tables ----

void temp_findings(TargetDb& db, const Catalog& c, const AnalyzeOptions& o, std::vector<Finding>& out) {
  std::optional<TargetDb> copy;  // of the schema, made once when the first leftover table is found
  for (const auto& t : c.tables) {
    const auto pattern = std::find_if(o.temp_patterns.begin(), o.temp_patterns.end(),
                                      [&](const std::string& p) { return matches_pattern(t.name, p); });
    if (pattern == o.temp_patterns.end()) continue;
    const auto named = date_in_name(t.name);
    const auto seen_it = o.first_seen.find(t.name);
    const auto seen = seen_it != o.first_seen.end() ? seen_it->second : o.now;
    const auto since = named ? *named : seen;
    const auto age_days = std::max<std::int64_t>(0, (o.now - since) / 86400);
    if (!copy) {
      copy.emplace(":memory:", TargetDb::Mode::memory, std::chrono::milliseconds(0), "schema copy");
      copy_schema(*copy, c, true);
    }
    const auto deps = dependants_in(*copy, c, t.name);
    Finding f;
    f.kind = "temp-table";
    f.id = "temp-table:" + t.name;
    f.object = t.name;
    f.severity = deps.empty() ? (t.bytes + t.index_bytes() >= (64 << 20) ? Severity::medium : Severity::low) : Severity::info;
    const std::string age = named ? fmt::format("dated {} by its name", core::format_local(*named).substr(0, 10))
                                  : seen_it != o.first_seen.end()
                                        ? fmt::format("first seen by opsdesk {}", core::format_local(seen).substr(0, 10))
                                        : "first seen now";
    f.summary = fmt::format("{} looks like a leftover table ({}; {} rows, {}; {})", t.name, *pattern, count(t.rows),
                            bytes(t.bytes + t.index_bytes()), age);
    f.details = {{"pattern", *pattern},
                 {"rows", t.rows},
                 {"bytes", t.bytes + t.index_bytes()},
                 {"dated", named ? output::Json(core::format_rfc3339(*named)) : output::Json(nullptr)},
                 {"first_seen", core::format_rfc3339(seen)},
                 {"age_days", age_days},
                 {"dependants", deps}};
    if (!deps.empty()) {
      f.applicable = false;
      f.explanation = fmt::format("Its name matches \"{}\", but {} refer(s) to it, so it is in use and not offered for removal.",
                                  *pattern, core::join(deps, ", "));
    } else {
      f.explanation = fmt::format(
          "Its name matches \"{}\" and no view, trigger or foreign key refers to it. Dropping it gives back {}; the "
          "pre-apply backup keeps its rows, and undo puts them back.",
          *pattern, bytes(t.bytes + t.index_bytes()));
      f.fix_sql = {"DROP TABLE " + quote(t.name)};
      f.undo_sql = {t.sql, fmt::format("INSERT INTO main.{0}({1}) SELECT {1} FROM \"before\".{0}", quote(t.name), t.stored_columns())};
      for (const auto& i : t.indexes)
        if (!i.sql.empty()) f.undo_sql.push_back(i.sql);
      for (const auto& tr : c.others)
        if (tr.type == "trigger" && iequals(tr.table, t.name)) f.undo_sql.push_back(tr.sql);
    }
    out.push_back(std::move(f));
  }
  (void)db;
}

// ---- redundant indexes ----

bool same_column(const IndexColumn& a, const IndexColumn& b) {
  return a.cid == b.cid && a.cid != -2 && a.desc == b.desc && iequals(a.collation, b.collation);
}
bool has_expression(const Index& i) {
  return std::any_of(i.key.begin(), i.key.end(), [](const IndexColumn& c) { return c.cid == -2; });
}
std::string where_of(const Index& i) {  // the WHERE clause of a partial index
  const auto lower = core::to_lower(i.sql);
  auto boundary = [&](std::size_t at) {
    return at >= lower.size() || std::isspace(static_cast<unsigned char>(lower[at])) || lower[at] == '(' || lower[at] == ')';
  };
  for (auto at = lower.rfind("where"); at != std::string::npos; at = at == 0 ? std::string::npos : lower.rfind("where", at - 1)) {
    if (at > 0 && boundary(at - 1) && boundary(at + 5)) {
      std::string rest(core::trim(i.sql.substr(at + 5)));
      std::string flat;  // whitespace runs as one space: the same clause written differently compares equal
      bool space = false;
      for (char ch : rest) {
        if (std::isspace(static_cast<unsigned char>(ch))) {
          space = true;
          continue;
        }
        if (space && !flat.empty()) flat += ' ';
        space = false;
        flat += ch;
      }
      return flat;
    }
  }
  return "";
}
bool is_prefix(const Index& shorter, const Index& longer) {
  if (shorter.key.size() >= longer.key.size()) return false;
  for (std::size_t k = 0; k < shorter.key.size(); ++k)
    if (!same_column(shorter.key[k], longer.key[k])) return false;
  return true;
}

void index_findings(const Catalog& c, std::vector<Finding>& out) {
  for (const auto& t : c.tables) {
    std::vector<std::string> reported;
    auto taken = [&](const std::string& n) { return std::find(reported.begin(), reported.end(), n) != reported.end(); };
    auto add = [&](const Index& i, std::string kind, Severity sev, std::string summary, std::string why,
                   std::vector<std::string> fix, std::vector<std::string> undo, const Index* other) {
      Finding f;
      f.kind = std::move(kind);
      f.id = f.kind + ":" + i.name;
      f.object = i.name;
      f.severity = sev;
      f.safe = true;
      f.summary = std::move(summary);
      f.explanation = std::move(why);
      f.fix_sql = std::move(fix);
      f.undo_sql = std::move(undo);
      f.details = {{"table", t.name}, {"index", i.name}, {"bytes", i.bytes},
                   {"covered_by", other ? output::Json(other->name) : output::Json(nullptr)}};
      reported.push_back(i.name);
      out.push_back(std::move(f));
    };
    const auto& ix = t.indexes;
    // Exact duplicates: drop the later one that CREATE INDEX made (never a constraint's).
    for (std::size_t a = 0; a < ix.size(); ++a) {
      for (std::size_t b = 0; b < ix.size(); ++b) {
        if (a == b || taken(ix[b].name) || taken(ix[a].name)) continue;
        const Index& keep = ix[a];
        const Index& drop = ix[b];
        if (drop.origin != "c" || keep.key.size() != drop.key.size() || has_expression(drop) || keep.partial != drop.partial) continue;
        if (keep.partial && where_of(keep) != where_of(drop)) continue;
        bool same = true;
        for (std::size_t k = 0; k < keep.key.size() && same; ++k) same = same_column(keep.key[k], drop.key[k]);
        if (!same) continue;
        if (drop.unique && !keep.unique) continue;                        // keep the unique one
        if (drop.unique == keep.unique && keep.origin == "c" && b < a) continue;  // drop the later of two equals
        add(drop, "duplicate-index", Severity::medium,
            fmt::format("index {} duplicates {} on {}({}): {} for nothing", drop.name, keep.name, t.name, key_sql(drop.key),
                        bytes(drop.bytes)),
            fmt::format("{} and {} hold the same columns in the same order; every write to {} updates both and the "
                        "planner can use only one.",
                        drop.name, keep.name, t.name),
            {"DROP INDEX " + quote(drop.name)}, {drop.sql}, &keep);
      }
    }
    // A non-unique index whose columns lead another index.
    for (const auto& s : ix) {
      if (taken(s.name) || s.origin != "c" || s.unique || s.partial || has_expression(s)) continue;
      for (const auto& l : ix) {
        if (&l == &s || l.partial || has_expression(l) || !is_prefix(s, l)) continue;
        // (a) beside (a, rowid): the longer one is the redundant one (rowid-suffix below).
        const auto& last = l.key.back();
        if (l.key.size() == s.key.size() + 1 && l.origin == "c" && !l.unique &&
            (last.cid == -1 || (t.rowid_alias >= 0 && last.cid == t.rowid_alias)))
          continue;
        add(s, "prefix-index", Severity::low,
            fmt::format("index {} on {}({}) is a prefix of {}({})", s.name, t.name, key_sql(s.key), l.name, key_sql(l.key)),
            fmt::format("Every search {} serves, {} serves too (its leading columns are the same, in the same order and "
                        "collation). Dropping {} saves {} and a b-tree update per write.",
                        s.name, l.name, s.name, bytes(s.bytes)),
            {"DROP INDEX " + quote(s.name)}, {s.sql}, &l);
        break;
      }
    }
    // An index ending in the rowid: SQLite appends the rowid to every index entry anyway.
    if (t.rowid_alias >= 0 || !t.without_rowid) {
      for (const auto& i : ix) {
        if (taken(i.name) || i.origin != "c" || i.unique || i.partial || has_expression(i) || i.key.size() < 2) continue;
        const auto& last = i.key.back();
        if (!(last.cid == -1 || (t.rowid_alias >= 0 && last.cid == t.rowid_alias)) || last.desc) continue;
        std::vector<IndexColumn> prefix(i.key.begin(), i.key.end() - 1);
        const Index* same = nullptr;
        for (const auto& o : ix) {
          if (&o == &i || o.partial || o.key.size() != prefix.size()) continue;
          bool eq = true;
          for (std::size_t k = 0; k < prefix.size() && eq; ++k) eq = same_column(prefix[k], o.key[k]);
          if (eq) same = &o;
        }
        const std::string shorter = fmt::format("CREATE INDEX {} ON {}({})", quote(i.name), quote(t.name), key_sql(prefix));
        if (same) {
          add(i, "rowid-suffix-index", Severity::medium,
              fmt::format("index {} on {}({}) ends in the rowid and sorts exactly like {}", i.name, t.name, key_sql(i.key),
                          same->name),
              fmt::format("Index entries already end with the rowid, so {} holds the order of {} plus a second copy of "
                          "the rowid. {} serves the same searches.",
                          i.name, same->name, same->name),
              {"DROP INDEX " + quote(i.name)}, {i.sql}, same);
        } else {
          add(i, "rowid-suffix-index", Severity::low,
              fmt::format("index {} on {}({}) ends in the rowid: ({}) sorts the same and is smaller", i.name, t.name,
                          key_sql(i.key), key_sql(prefix)),
              fmt::format("Index entries already end with the rowid, so ({}) keeps the same order and answers the same "
                          "searches and sorts without a second copy of the rowid in every entry.",
                          key_sql(prefix)),
              {"DROP INDEX " + quote(i.name), shorter}, {"DROP INDEX " + quote(i.name), i.sql}, nullptr);
        }
      }
    }
  }
}

// ---- huge tables ----

bool looks_like_time(const Column& c) {
  const auto n = core::to_lower(c.name);
  const auto type = core::to_lower(c.type);
  if (type.find("date") != std::string::npos || type.find("time") != std::string::npos) return true;
  for (std::string_view end : {"_at", "_time", "_ts", "_date", "_on"})
    if (n.size() > end.size() && n.ends_with(end)) return true;
  for (std::string_view whole : {"ts", "time", "timestamp", "date", "created", "updated", "at"})
    if (n == whole) return true;
  return false;
}

void huge_findings(TargetDb& db, const Catalog& c, const AnalyzeOptions& o, std::vector<Finding>& out) {
  if (!c.has_space) return;
  for (const auto& t : c.tables) {
    const auto size = t.bytes + t.index_bytes();
    const double share = percent(size, c.file_bytes);
    if (t.rows < o.thresholds.huge_table_rows && !(share >= o.thresholds.huge_table_share && size >= (256LL << 20))) continue;
    Finding f;
    f.kind = "huge-table";
    f.id = "huge-table:" + t.name;
    f.object = t.name;
    f.severity = Severity::info;
    f.applicable = false;
    f.summary = fmt::format("table {} is large: {} rows, {} ({:.0f}% of the file)", t.name, count(t.rows), bytes(size), share);
    // A time column, preferably one an index leads with (its range is then cheap to read).
    const Column* when = nullptr;
    for (const auto& i : t.indexes)
      for (const auto& col : t.columns)
        if (!when && !i.key.empty() && i.key.front().cid == col.cid && looks_like_time(col)) when = &col;
    for (const auto& col : t.columns)
      if (!when && looks_like_time(col)) when = &col;
    f.details = {{"rows", t.rows}, {"bytes", size}, {"share_percent", std::round(share * 10) / 10}};
    if (!when) {
      f.explanation = "No column looks like a time (a name ending in _at, _time, _date or a DATE/TIME type), so no split by "
                      "time is proposed; consider archiving by another key.";
      out.push_back(std::move(f));
      continue;
    }
    const auto range = db.row(fmt::format("SELECT min({0}), max({0}), typeof(max({0})) FROM {1}", quote(when->name), quote(t.name)));
    if (!range || range->is_null(1)) continue;
    const std::string type = range->text(2);
    std::string cutoff;
    std::int64_t keep = o.archive_keep;
    if (type == "integer" || type == "real") {
      auto hi = range->int64(1);
      const bool millis = hi > 100'000'000'000LL;
      cutoff = std::to_string(hi - keep * (millis ? 1000 : 1));
    } else {
      // Text times (ISO 8601) compare as text; date() computes the cutoff from the newest.
      const auto r = db.row(fmt::format("SELECT datetime(?, '-{} seconds')", keep), {range->text(1)});
      if (!r || r->is_null(0)) continue;
      cutoff = quote_literal(r->text(0));
    }
    const auto older = db.integer(fmt::format("SELECT count(*) FROM {} WHERE {} < {}", quote(t.name), quote(when->name), cutoff));
    const std::string archive = t.name + "_archive";
    const std::string create = [&] {
      // The table's own definition under the archive's name (SQLite renames it in a scratch
      // copy), so types and constraints match.
      TargetDb mem(":memory:", TargetDb::Mode::memory, std::chrono::milliseconds(0), "schema copy");
      if (sqlite3_exec(mem.handle(), t.sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK &&
          sqlite3_exec(mem.handle(), fmt::format("ALTER TABLE {} RENAME TO {}", quote(t.name), quote(archive)).c_str(), nullptr,
                       nullptr, nullptr) == SQLITE_OK)
        if (auto r = mem.row("SELECT sql FROM sqlite_schema WHERE name = ?", {archive}))
          return "CREATE TABLE IF NOT EXISTS" + r->text(0).substr(std::string_view("CREATE TABLE").size());
      return fmt::format("CREATE TABLE IF NOT EXISTS {} AS SELECT * FROM {} WHERE 0", quote(archive), quote(t.name));
    }();
    const std::string cols = t.stored_columns();
    std::string moved;  // the rows of this batch, by key
    if (t.without_rowid) {
      std::vector<std::pair<int, std::string>> pk;
      for (const auto& col : t.columns)
        if (col.pk > 0) pk.emplace_back(col.pk, quote(col.name));
      std::sort(pk.begin(), pk.end());
      std::vector<std::string> names;
      for (auto& [n, name] : pk) names.push_back(name);
      const auto key = core::join(names, ", ");
      moved = fmt::format("DELETE FROM {0} WHERE ({1}) IN (SELECT {1} FROM {2}) AND {3} < {4}", quote(t.name), key, quote(archive),
                          quote(when->name), cutoff);
    } else {
      moved = fmt::format("DELETE FROM {0} WHERE rowid <= (SELECT max(rowid) FROM {1}) AND {2} < {3}", quote(t.name),
                          quote(archive), quote(when->name), cutoff);
    }
    const std::string rowid = t.without_rowid || t.rowid_alias >= 0 ? "" : "rowid, ";
    f.fix_sql = {create, "-- repeat in a maintenance window until it moves no row (10,000 rows per transaction):",
                 fmt::format("INSERT INTO {0}({4}{5}) SELECT {4}{5} FROM {1} WHERE {2} < {3} ORDER BY {6} LIMIT 10000",
                             quote(archive), quote(t.name), quote(when->name), cutoff, rowid, cols,
                             t.without_rowid ? quote(when->name) : std::string("rowid")),
                 moved};
    f.undo_sql = {fmt::format("INSERT INTO {0}({2}) SELECT {2} FROM {1}", quote(t.name), quote(archive), cols),
                  "DROP TABLE " + quote(archive)};
    f.explanation = fmt::format(
        "Split by {}: rows older than {} before the newest ({} of {}) move to {}, which keeps the same columns. The "
        "statements move them in batches of 10,000, each its own transaction, so writers wait at most one batch; then "
        "VACUUM gives the space back. Queries that need the old rows read {} (or a view over both). This is a proposal "
        "for a maintenance window: apply does not run it.",
        when->name, core::format_duration(keep), count(older), count(t.rows), archive, archive);
    f.details["time_column"] = when->name;
    f.details["cutoff"] = cutoff;
    f.details["rows_to_move"] = older;
    out.push_back(std::move(f));
  }
}

int severity_rank(Severity s) { return static_cast<int>(s); }

}  // namespace

std::string_view severity_name(Severity s) {
  switch (s) {
    case Severity::high: return "high";
    case Severity::medium: return "medium";
    case Severity::low: return "low";
    case Severity::info: return "info";
  }
  return "info";
}

output::Json to_json(const Finding& f) {
  return {{"id", f.id},           {"kind", f.kind},         {"severity", severity_name(f.severity)},
          {"object", f.object},   {"summary", f.summary},   {"explanation", f.explanation},
          {"fix_sql", f.fix_sql}, {"undo_sql", f.undo_sql}, {"safe", f.safe},
          {"applicable", f.applicable}, {"details", f.details}};
}

void sort_findings(std::vector<Finding>& findings) {
  std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return severity_rank(a.severity) < severity_rank(b.severity);
    if (a.kind != b.kind) return a.kind < b.kind;
    return a.id < b.id;
  });
}

bool matches_pattern(std::string_view name, std::string_view pattern) {
  if (pattern.empty()) return name.empty();
  if (pattern.front() == '*') {
    for (std::size_t skip = 0; skip <= name.size(); ++skip)
      if (matches_pattern(name.substr(skip), pattern.substr(1))) return true;
    return false;
  }
  if (pattern.starts_with("YYYYMMDD")) {
    if (name.size() < 8 || !std::all_of(name.begin(), name.begin() + 8, [](char ch) { return ch >= '0' && ch <= '9'; })) return false;
    return matches_pattern(name.substr(8), pattern.substr(8));
  }
  if (name.empty() || std::tolower(static_cast<unsigned char>(name.front())) != std::tolower(static_cast<unsigned char>(pattern.front())))
    return false;
  return matches_pattern(name.substr(1), pattern.substr(1));
}

std::optional<core::Timestamp> date_in_name(std::string_view name) {
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (i > 0 && std::isdigit(static_cast<unsigned char>(name[i - 1]))) continue;  // a run's start only
    std::string digits;
    std::size_t j = i;
    while (j < name.size() && digits.size() < 8 &&
           (std::isdigit(static_cast<unsigned char>(name[j])) ||
            ((name[j] == '_' || name[j] == '-') && (digits.size() == 4 || digits.size() == 6)))) {
      if (std::isdigit(static_cast<unsigned char>(name[j]))) digits += name[j];
      ++j;
    }
    if (digits.size() != 8 || (j < name.size() && std::isdigit(static_cast<unsigned char>(name[j])))) continue;
    const int y = std::stoi(digits.substr(0, 4)), m = std::stoi(digits.substr(4, 2)), d = std::stoi(digits.substr(6, 2));
    static constexpr int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1990 || y > 2099 || m < 1 || m > 12 || d < 1 || d > days[m - 1] || (m == 2 && d == 29 && !leap)) continue;
    core::CivilTime c{};
    c.year = y;
    c.month = m;
    c.day = d;
    return core::from_local(c);
  }
  return std::nullopt;
}

std::vector<std::string> dependants(const Catalog& catalog, std::string_view table) {
  TargetDb copy(":memory:", TargetDb::Mode::memory, std::chrono::milliseconds(0), "schema copy");
  copy_schema(copy, catalog, true);
  return dependants_in(copy, catalog, table);
}

std::vector<std::string> dependants_in(TargetDb& copy, const Catalog& catalog, std::string_view table) {
  // Renaming the table in the copy makes SQLite rewrite every reference to it; the rename is
  // rolled back, so one copy serves every table asked about.
  std::vector<std::string> out;
  const auto before = copy.rows("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL");
  copy.exec("SAVEPOINT probe");
  const int rc = sqlite3_exec(copy.handle(), fmt::format("ALTER TABLE {} RENAME TO \"opsdesk_rename_probe\"", quote(table)).c_str(),
                              nullptr, nullptr, nullptr);
  if (rc == SQLITE_OK) {
    const auto after = copy.rows("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE sql IS NOT NULL");
    for (const auto& b : before) {
      if (iequals(b.text(2), table)) continue;  // the table itself, its indexes and its own triggers
      for (const auto& a : after)
        if (a.text(0) == b.text(0) && a.text(1) == b.text(1) && a.text(3) != b.text(3)) out.push_back(b.text(1));
    }
  }
  copy.exec("ROLLBACK TO probe; RELEASE probe");
  if (rc == SQLITE_OK) return out;
  // The copy could not be renamed (a virtual table of a module this build lacks): look for the
  // name in the SQL of views and triggers instead.
  const auto lower = core::to_lower(table);
  const auto quoted = core::to_lower(quote(table));
  for (const auto& o : catalog.schema) {
    if (iequals(o.table, table) || o.type == "index") continue;
    const auto sql = core::to_lower(o.sql);
    if (sql.find(quoted) != std::string::npos) {
      out.push_back(o.name);
      continue;
    }
    for (auto at = sql.find(lower); at != std::string::npos; at = sql.find(lower, at + 1)) {
      auto word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_'; };
      const bool left = at == 0 || !word(sql[at - 1]);
      const bool right = at + lower.size() >= sql.size() || !word(sql[at + lower.size()]);
      if (left && right) {
        out.push_back(o.name);
        break;
      }
    }
  }
  return out;
}

std::vector<Finding> analyze_catalog(TargetDb& db, const Catalog& catalog, const AnalyzeOptions& options) {
  std::vector<Finding> out;
  space_findings(catalog, options, out);
  stats_findings(catalog, options, db, out);
  settings_findings(catalog, out);
  temp_findings(db, catalog, options, out);
  index_findings(catalog, out);
  huge_findings(db, catalog, options, out);
  return out;
}

}  // namespace opsdesk::dbtune
