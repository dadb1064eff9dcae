#include "dbtune/dbtune.hpp"

#include <fmt/format.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <chrono>
#include <set>

#include "account/permissions.hpp"
#include "backup/backup.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"
#include "ticket/process.hpp"
#include "ticket/service.hpp"

namespace opsdesk::dbtune {

namespace {

using output::Json;
namespace fs = std::filesystem;

std::chrono::milliseconds timeout_of(const config::Config& c) { return std::chrono::milliseconds(c.dbtune.timeout * 1000); }

fs::path path_of(const Target& t) { return core::expand_home(t.path); }

AnalyzeOptions options_for(const config::Config& c, const Target& t, const std::map<std::string, core::Timestamp>& seen,
                           core::Timestamp now) {
  AnalyzeOptions o;
  o.thresholds = t.thresholds.value_or(c.dbtune.thresholds);
  o.temp_patterns = t.temp_patterns.empty() ? c.dbtune.temp_patterns : t.temp_patterns;
  o.now = now;
  o.archive_keep = c.dbtune.archive_keep;
  o.first_seen = seen;
  return o;
}

Json opt(const std::optional<std::string>& v) { return v ? Json(*v) : Json(nullptr); }
Json opt(const std::optional<std::int64_t>& v) { return v ? Json(*v) : Json(nullptr); }

std::vector<std::string> json_strings(const std::string& text) {
  std::vector<std::string> out;
  for (const auto& v : Json::parse(text)) out.push_back(v.get<std::string>());
  return out;
}

Action read_action(store::Query& q) {
  Action a;
  a.id = q.int64(0);
  a.target = q.text(1);
  a.finding = q.text(2);
  a.kind = q.text(3);
  a.object = q.opt_text(4).value_or("");
  a.summary = q.text(5);
  a.sql = json_strings(q.text(6));
  a.undo_sql = json_strings(q.text(7));
  a.backup_id = q.opt_text(8);
  a.change_ref = q.opt_text(9);
  a.at = q.int64(10);
  a.actor = q.text(11);
  a.status = q.text(12);
  a.error = q.opt_text(13);
  a.bytes_before = q.opt_int64(14);
  a.bytes_after = q.opt_int64(15);
  a.duration_ms = q.opt_int64(16);
  a.undone_at = q.opt_int64(17);
  a.undone_by = q.opt_text(18);
  return a;
}

constexpr std::string_view k_action_columns =
    "id, target, finding, kind, object, summary, sql, undo_sql, backup_id, change_ref, at, actor, status, error, "
    "bytes_before, bytes_after, duration_ms, undone_at, undone_by";

std::int64_t file_bytes(TargetDb& db) { return db.integer("PRAGMA page_count") * db.integer("PRAGMA page_size"); }

bool reads_before(const std::vector<std::string>& sql) {
  return std::any_of(sql.begin(), sql.end(), [](const std::string& s) { return s.find("\"before\".") != std::string::npos; });
}

bool is_index_change(const std::vector<std::string>& sql) {
  return std::any_of(sql.begin(), sql.end(), [](const std::string& s) {
    const auto l = core::to_lower(s);
    return l.starts_with("create index") || l.starts_with("create unique index") || l.starts_with("drop index");
  });
}

// Free bytes of the file system holding `p`.
std::int64_t free_space(const fs::path& p) {
  struct statvfs v {};
  if (::statvfs(p.c_str(), &v) != 0) return -1;
  return static_cast<std::int64_t>(v.f_bavail) * static_cast<std::int64_t>(v.f_frsize);
}

void check_room_for_vacuum(const fs::path& db, std::int64_t bytes) {
  const auto dir = db.parent_path().empty() ? fs::path(".") : db.parent_path();
  const auto free = free_space(dir);
  // The rewritten copy (temp store) and the journal or WAL of the new content: about twice.
  const std::int64_t need = bytes * 2 + (16 << 20);
  if (free >= 0 && free < need)
    throw Error(ErrorKind::io, fmt::format("VACUUM of {} needs about {} free on {}; it has {}: nothing was changed", db.string(),
                                           core::format_bytes(static_cast<double>(need)), dir.string(),
                                           core::format_bytes(static_cast<double>(free))));
}

}  // namespace

const Target& find_target(const config::Config& config, std::string_view name) {
  for (const auto& t : config.dbtune.targets)
    if (t.name == name) return t;
  std::vector<std::string> names;
  for (const auto& t : config.dbtune.targets) names.push_back(t.name);
  if (names.empty())
    throw Error(ErrorKind::not_found, fmt::format("no database target \"{}\": none is configured; add [[dbtune.targets]] "
                                                  "(name, path) to the config",
                                                  name));
  const auto near = core::closest_match(name, names);
  throw Error(ErrorKind::not_found, fmt::format("no database target \"{}\"{}; configured: {}", name,
                                                near ? fmt::format(" (did you mean \"{}\"?)", *near) : "", core::join(names, ", ")));
}

Json to_json(const Analysis& a) {
  Json findings = Json::array();
  for (const auto& f : a.findings) findings.push_back(to_json(f));
  Json statements = Json::array();
  for (const auto& s : a.statements)
    statements.push_back({{"line", s.statement.line},
                          {"sql", s.statement.sql},
                          {"error", s.error.empty() ? Json(nullptr) : Json(s.error)},
                          {"plan_before", s.plan_before},
                          {"plan_after", s.plan_after},
                          {"indexes_used", s.indexes_used},
                          {"writes", s.writes}});
  return {{"target", a.target},
          {"path", a.path.string()},
          {"file_bytes", a.file_bytes},
          {"page_size", a.page_size},
          {"pages", a.pages},
          {"free_pages", a.free_pages},
          {"journal_mode", a.journal_mode},
          {"tables", a.tables},
          {"indexes", a.indexes},
          {"seconds", std::round(a.seconds * 1000) / 1000},
          {"findings", findings},
          {"workload", statements}};
}

std::map<std::string, core::Timestamp> first_seen(store::Db& db, std::string_view target) {
  std::map<std::string, core::Timestamp> out;
  auto q = db.query("SELECT name, first_seen FROM dbtune_seen WHERE target = ?", target);
  while (q.next()) out[q.text(0)] = q.int64(1);
  return out;
}

void record_seen(const desk::Session& s, std::string_view target, const std::vector<std::string>& tables) {
  for (const auto& t : tables)
    s.db.run("INSERT INTO dbtune_seen(target, name, first_seen) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", target, t, s.now);
}

Analysis analyze(const config::Config& config, const Target& target, const std::map<std::string, core::Timestamp>& seen,
                 core::Timestamp now, const std::optional<std::string>& workload) {
  const auto started = std::chrono::steady_clock::now();
  const auto path = path_of(target);
  TargetDb db(path, TargetDb::Mode::read_only, timeout_of(config), target.name);
  const Catalog catalog = read_catalog(db, true);
  Analysis a;
  a.target = target.name;
  a.path = path;
  a.file_bytes = catalog.file_bytes;
  a.page_size = catalog.page_size;
  a.pages = catalog.page_count;
  a.free_pages = catalog.freelist_count;
  a.journal_mode = catalog.journal_mode;
  a.tables = static_cast<std::int64_t>(catalog.tables.size());
  for (const auto& t : catalog.tables) {
    a.indexes += static_cast<std::int64_t>(t.indexes.size());
    a.tables_seen.push_back(t.name);
  }
  a.findings = analyze_catalog(db, catalog, options_for(config, target, seen, now));
  if (workload) {
    const auto statements = read_workload(*workload);
    if (statements.empty()) throw Error(ErrorKind::data, "the workload holds no SQL statement");
    auto advice = advise(db, path, catalog, statements, config.dbtune.sample_rows);
    // An index already found redundant is not reported again as unused.
    std::set<std::string> redundant;
    for (const auto& f : a.findings)
      if (f.kind == "duplicate-index" || f.kind == "prefix-index" || f.kind == "rowid-suffix-index") redundant.insert(f.object);
    for (auto& f : advice.findings)
      if (!(f.kind == "unused-index" && redundant.count(f.object))) a.findings.push_back(std::move(f));
    a.statements = std::move(advice.statements);
  }
  sort_findings(a.findings);
  a.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return a;
}

std::vector<Finding> choose(const Analysis& a, const std::vector<std::string>& ids, bool all_safe) {
  std::vector<Finding> out;
  if (all_safe)
    for (const auto& f : a.findings)
      if (f.safe && f.applicable) out.push_back(f);
  std::vector<std::string> known;
  for (const auto& f : a.findings) known.push_back(f.id);
  for (const auto& id : ids) {
    const auto it = std::find_if(a.findings.begin(), a.findings.end(), [&](const Finding& f) { return f.id == id; });
    if (it == a.findings.end()) {
      const auto near = core::closest_match(id, known);
      throw Error(ErrorKind::usage,
                  fmt::format("no finding \"{}\" in {} now{}; `opsdesk db-tune analyze {}` lists them", id, a.target,
                              near ? fmt::format(" (did you mean \"{}\"?)", *near) : "", a.target));
    }
    if (!it->applicable)
      throw Error(ErrorKind::failed, fmt::format("finding \"{}\" is advice, not a change opsdesk applies: {}", id, it->summary));
    if (std::none_of(out.begin(), out.end(), [&](const Finding& f) { return f.id == id; })) out.push_back(*it);
  }
  return out;
}

Json to_json(const Action& a) {
  return {{"id", a.id},
          {"target", a.target},
          {"finding", a.finding},
          {"kind", a.kind},
          {"object", a.object},
          {"summary", a.summary},
          {"sql", a.sql},
          {"undo_sql", a.undo_sql},
          {"backup_id", opt(a.backup_id)},
          {"change_ref", opt(a.change_ref)},
          {"at", core::format_rfc3339(a.at)},
          {"actor", a.actor},
          {"status", a.status},
          {"error", opt(a.error)},
          {"bytes_before", opt(a.bytes_before)},
          {"bytes_after", opt(a.bytes_after)},
          {"duration_ms", opt(a.duration_ms)},
          {"undone_at", a.undone_at ? Json(core::format_rfc3339(*a.undone_at)) : Json(nullptr)},
          {"undone_by", opt(a.undone_by)}};
}

Action execute(const config::Config& config, const Target& target, const Finding& f, core::Timestamp now, const std::string& actor) {
  Action a;
  a.target = target.name;
  a.finding = f.id;
  a.kind = f.kind;
  a.object = f.object;
  a.summary = f.summary;
  a.sql = f.fix_sql;
  a.undo_sql = f.undo_sql;
  a.at = now;
  a.actor = actor;
  const auto path = path_of(target);
  TargetDb db(path, TargetDb::Mode::read_write, timeout_of(config), target.name);
  a.bytes_before = file_bytes(db);
  const auto started = std::chrono::steady_clock::now();
  const bool outside_transaction = std::any_of(f.fix_sql.begin(), f.fix_sql.end(), [](const std::string& s) {
    const auto l = core::to_lower(s);
    return l.starts_with("vacuum") || l.starts_with("pragma journal_mode") || l.starts_with("pragma incremental_vacuum");
  });
  try {
    if (outside_transaction) {
      if (core::to_lower(f.fix_sql.front()).starts_with("vacuum")) check_room_for_vacuum(path, *a.bytes_before);
      for (const auto& sql : f.fix_sql) {
        if (core::to_lower(sql).starts_with("pragma journal_mode")) {
          // Changing the journal mode needs the database to itself; the answer says if it took.
          const auto r = db.row(sql);
          const auto wanted = core::to_lower(sql.substr(sql.find('=') + 1));
          if (!r || core::to_lower(r->text(0)) != std::string(core::trim(wanted)))
            throw Error(ErrorKind::busy, fmt::format("database {} is in use: the journal mode stayed {}", target.name,
                                                     r ? r->text(0) : "?"));
        } else {
          db.exec(sql);
        }
      }
    } else {
      db.exec("BEGIN IMMEDIATE");
      try {
        for (const auto& sql : f.fix_sql) db.exec(sql);
        if (is_index_change(f.fix_sql) && !f.object.empty()) {
          const std::string table = f.details.contains("table") ? f.details["table"].get<std::string>() : f.object;
          db.exec("ANALYZE " + quote(table));
        }
        db.exec("COMMIT");
      } catch (...) {
        sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
      }
    }
    a.status = "applied";
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::busy) throw;  // nothing changed: the caller stops and says so
    a.status = "failed";
    a.error = e.what();
  }
  a.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  a.bytes_after = file_bytes(db);
  return a;
}

Action record_action(const desk::Session& s, Action a) {
  a.id = s.db.insert("INSERT INTO dbtune_actions(target, finding, kind, object, summary, sql, undo_sql, backup_id, change_ref, at, actor, "
           "status, error, bytes_before, bytes_after, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           a.target, a.finding, a.kind, a.object, a.summary, output::dump_compact(Json(a.sql)),
           output::dump_compact(Json(a.undo_sql)), a.backup_id, a.change_ref, a.at, a.actor, a.status, a.error, a.bytes_before,
           a.bytes_after, a.duration_ms);
  s.audit(a.status == "applied" ? "dbtune.apply" : "dbtune.apply.failed", fmt::format("dbtune:{}:{}", a.target, a.id), std::nullopt,
          output::dump_compact(to_json(a)));
  return a;
}

std::vector<Action> list_actions(store::Db& db, const std::optional<std::string>& target) {
  std::vector<Action> out;
  auto q = target ? db.query(fmt::format("SELECT {} FROM dbtune_actions WHERE target = ? ORDER BY id", k_action_columns), *target)
                  : db.query(fmt::format("SELECT {} FROM dbtune_actions ORDER BY id", k_action_columns));
  while (q.next()) out.push_back(read_action(q));
  return out;
}

Action get_action(store::Db& db, std::int64_t id) {
  auto q = db.query(fmt::format("SELECT {} FROM dbtune_actions WHERE id = ?", k_action_columns), id);
  if (!q.next())
    throw Error(ErrorKind::not_found, fmt::format("no tuning action {}; `opsdesk db-tune history` lists them", id));
  return read_action(q);
}

void undo_on_target(const config::Config& config, const Action& a, const std::optional<backup::Backup>& before,
                    core::Timestamp now) {
  if (a.status != "applied")
    throw Error(ErrorKind::failed, fmt::format("action {} is {}: only an applied action can be undone", a.id, a.status));
  if (a.undo_sql.empty())
    throw Error(ErrorKind::failed, fmt::format("action {} ({}) has nothing to undo: it changed no content", a.id, a.kind));
  const Target& target = find_target(config, a.target);
  const auto path = path_of(target);
  TargetDb db(path, TargetDb::Mode::read_write, timeout_of(config), target.name);
  std::optional<core::ScratchDir> temp;
  if (reads_before(a.undo_sql)) {
    // The rows come back from the pre-apply backup, restored beside the database.
    if (!before)
      throw Error(ErrorKind::failed, fmt::format("action {} needs its pre-apply backup {} to be undone, and it is gone", a.id,
                                                 a.backup_id.value_or("(none)")));
    temp.emplace(path.parent_path().empty() ? fs::path(".") : path.parent_path());
    backup::RestoreOptions ro;
    ro.to = temp->path() / "before.db";
    backup::restore(config, *before, ro, now, [](const backup::Backup&) {});
    db.rows("ATTACH ? AS \"before\"", {ro.to.string()});
  }
  db.exec("BEGIN IMMEDIATE");
  try {
    for (const auto& sql : a.undo_sql) db.exec(sql);
    db.exec("COMMIT");
  } catch (...) {
    sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  if (temp) sqlite3_exec(db.handle(), "DETACH \"before\"", nullptr, nullptr, nullptr);
}

void record_undo(const desk::Session& s, const Action& a) {
  s.db.run("UPDATE dbtune_actions SET status = 'undone', undone_at = ?, undone_by = ? WHERE id = ?", s.now, s.actor, a.id);
  s.audit("dbtune.undo", fmt::format("dbtune:{}:{}", a.target, a.id), output::dump_compact(to_json(a)),
          output::dump_compact(Json{{"status", "undone"}, {"sql", a.undo_sql}}));
  if (a.change_ref)
    ticket::comment(s, *a.change_ref, fmt::format("Undone: action {} ({}), by {}.", a.id, a.finding, s.actor), std::nullopt);
}

std::string open_change(const desk::Session& s, const Target& target, const std::vector<Finding>& findings,
                        const std::optional<std::string>& backup_id) {
  ticket::NewTicket n;
  n.type = model::TicketType::change;
  n.priority = model::Priority::low;
  n.system = target.system.empty() ? target.name : target.system;
  n.category = "database";
  n.title = findings.size() == 1 ? fmt::format("db-tune {}: {}", target.name, findings.front().id)
                                 : fmt::format("db-tune {}: {} changes", target.name, findings.size());
  std::vector<std::string> lines, plan, rollback;
  for (const auto& f : findings) {
    lines.push_back(fmt::format("- {} ({}): {}", f.id, severity_name(f.severity), f.summary));
    for (const auto& sql : f.fix_sql) plan.push_back(sql + ";");
    for (const auto& sql : f.undo_sql) rollback.push_back(sql + ";");
  }
  n.description = fmt::format("Tuning of {} ({}):\n{}\nBackup taken first: {}.", target.name, target.path, core::join(lines, "\n"),
                              backup_id.value_or("none"));
  const auto t = ticket::create(s, n);
  ticket::ProcessFields pf;
  pf.risk = model::Risk::low;
  pf.plan = core::join(plan, "\n");
  pf.rollback_plan = rollback.empty() ? std::string("nothing to roll back (no content changes)")
                                      : "opsdesk db-tune undo ACTION (the actions of this change), or:\n" + core::join(rollback, "\n");
  pf.window_start = std::optional<core::Timestamp>(s.now);
  pf.window_end = std::optional<core::Timestamp>(s.now + 1800);
  ticket::set_process_fields(s, t.ref, pf);
  ticket::advance(s, ticket::Step::submit, t.ref, std::nullopt);
  ticket::approve_standard(s, t.ref, "dbtune.apply");
  return t.ref;
}

void close_change(const desk::Session& s, const std::string& ref, const std::vector<Action>& actions,
                  const std::optional<std::string>& failure) {
  std::vector<std::string> lines;
  for (const auto& a : actions)
    lines.push_back(fmt::format("action {}: {} {}{}", a.id, a.finding, a.status, a.error ? " (" + *a.error + ")" : ""));
  const std::string text = lines.empty() ? std::string("nothing was applied") : core::join(lines, "\n");
  const bool all_ok = !failure && !actions.empty() &&
                      std::all_of(actions.begin(), actions.end(), [](const Action& a) { return a.status == "applied"; });
  if (all_ok) ticket::advance(s, ticket::Step::implement, ref, text);
  else ticket::comment(s, ref, text + (failure ? "\nstopped: " + *failure : ""), std::nullopt);
}

config::Config::BackupTarget backup_target_for(const config::Config& config, const Target& target) {
  std::error_code ec;
  const auto path = path_of(target);
  for (const auto& b : config.backup.targets) {
    if (b.kind != "sqlite") continue;
    if (fs::equivalent(core::expand_home(b.path), path, ec)) return b;
  }
  config::Config::BackupTarget b;
  b.name = target.name;
  for (const auto& other : config.backup.targets)
    if (other.name == b.name) b.name = "dbtune-" + target.name;
  b.system = target.system;
  b.kind = "sqlite";
  b.path = target.path;
  return b;
}

std::vector<Action> optimize(const config::Config& config, const Target& target, core::Timestamp now, const std::string& actor,
                             bool dry_run, std::vector<OptimizeStep>& steps) {
  const auto path = path_of(target);
  std::vector<Finding> vacuum;
  {
    TargetDb db(path, TargetDb::Mode::read_only, timeout_of(config), target.name);
    const auto catalog = read_catalog(db, true);
    for (auto& f : analyze_catalog(db, catalog, options_for(config, target, {}, now)))
      if (f.kind == "vacuum") vacuum.push_back(std::move(f));
  }
  Finding analyze;
  analyze.id = "optimize:analyze";
  analyze.kind = "analyze";
  analyze.summary = "ANALYZE (analysis_limit 1000) and PRAGMA optimize";
  analyze.fix_sql = {"PRAGMA analysis_limit = 1000", "ANALYZE", "PRAGMA optimize"};
  steps.push_back({"analyze", "PRAGMA analysis_limit = 1000; ANALYZE; PRAGMA optimize", false, "statistics for the planner"});
  if (vacuum.empty())
    steps.push_back({"vacuum", "VACUUM", false, "not worth it: free space under the threshold"});
  else
    steps.push_back({vacuum.front().fix_sql.front().starts_with("PRAGMA") ? "incremental-vacuum" : "vacuum",
                     vacuum.front().fix_sql.front(), false, vacuum.front().summary});
  if (dry_run) return {};
  std::vector<Action> out;
  {
    // ANALYZE inside a transaction of its own; analysis_limit is a setting of the connection.
    Action a;
    a.target = target.name;
    a.finding = analyze.id;
    a.kind = analyze.kind;
    a.summary = analyze.summary;
    a.sql = analyze.fix_sql;
    a.at = now;
    a.actor = actor;
    TargetDb db(path, TargetDb::Mode::read_write, timeout_of(config), target.name);
    a.bytes_before = file_bytes(db);
    const auto started = std::chrono::steady_clock::now();
    db.exec("PRAGMA analysis_limit = 1000");
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec("ANALYZE");
      db.exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
    db.exec("PRAGMA optimize");
    a.status = "applied";
    a.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
    a.bytes_after = file_bytes(db);
    steps[0].done = true;
    out.push_back(std::move(a));
  }
  if (!vacuum.empty()) {
    auto a = execute(config, target, vacuum.front(), now, actor);
    steps[1].done = a.status == "applied";
    if (a.error) steps[1].why = *a.error;
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace opsdesk::dbtune
