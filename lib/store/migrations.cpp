// The store's schema history. Never edit a released step: add a new one at the end.
// Times are UTC epoch seconds, ids integers, and the SQL stays portable outside this file.
#include <array>
#include <string>
#include <string_view>

#include "store/store.hpp"

namespace opsdesk::store {

namespace {

// 1: tickets, their events, links and reference counters; the audit log.
constexpr std::string_view k_v1 = R"sql(
CREATE TABLE tickets (
  id              INTEGER PRIMARY KEY,
  ref             TEXT NOT NULL UNIQUE,
  type            TEXT NOT NULL,
  title           TEXT NOT NULL,
  description     TEXT NOT NULL DEFAULT '',
  status          TEXT NOT NULL,
  priority        TEXT NOT NULL,
  system          TEXT,
  category        TEXT,
  channel         TEXT,
  reporter        TEXT,
  assignee        TEXT,
  created_at      INTEGER NOT NULL,
  acknowledged_at INTEGER,
  resolved_at     INTEGER,
  closed_at       INTEGER,
  updated_at      INTEGER NOT NULL,
  pending_reason  TEXT,
  resolution      TEXT
);
CREATE INDEX tickets_created ON tickets(created_at);
CREATE INDEX tickets_status ON tickets(status, created_at);
CREATE INDEX tickets_open ON tickets(created_at) WHERE status NOT IN ('closed', 'cancelled', 'rejected', 'reviewed', 'released');
CREATE INDEX tickets_assignee ON tickets(assignee, status);

CREATE TABLE ticket_events (
  id          INTEGER PRIMARY KEY,
  ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
  at          INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  kind        TEXT NOT NULL,
  from_status TEXT,
  to_status   TEXT,
  body        TEXT,
  data        TEXT
);
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id, id);

CREATE TABLE ticket_counters (
  prefix TEXT NOT NULL,
  year   INTEGER NOT NULL,
  last   INTEGER NOT NULL,
  PRIMARY KEY (prefix, year)
);

CREATE TABLE ticket_links (
  from_id    INTEGER NOT NULL REFERENCES tickets(id),
  to_id      INTEGER NOT NULL REFERENCES tickets(id),
  kind       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  actor      TEXT NOT NULL,
  PRIMARY KEY (from_id, to_id, kind)
);
CREATE INDEX ticket_links_to ON ticket_links(to_id);

CREATE TABLE audit (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  action      TEXT NOT NULL,
  object      TEXT NOT NULL,
  before_json TEXT,
  after_json  TEXT,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
);
CREATE INDEX audit_object ON audit(object, id);
CREATE INDEX audit_at ON audit(at);
-- The newest entry, so that rows cut from the end of the log are noticed too.
CREATE TABLE audit_head (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  last_id   INTEGER NOT NULL,
  last_hash TEXT NOT NULL
);
)sql";

// 2: accounts, and the permissions each role holds (defaults from the contract).
constexpr std::string_view k_v2 = R"sql(
CREATE TABLE accounts (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  role         TEXT NOT NULL,
  display_name TEXT,
  email        TEXT,
  os_user      TEXT UNIQUE,
  disabled     INTEGER NOT NULL DEFAULT 0,
  leaves_on    INTEGER,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

CREATE TABLE role_permissions (
  role       TEXT NOT NULL,
  permission TEXT NOT NULL,
  PRIMARY KEY (role, permission)
);
INSERT INTO role_permissions (role, permission) VALUES
  ('admin', 'account.manage'), ('admin', 'audit.read'), ('admin', 'backup.restore'), ('admin', 'backup.run'),
  ('admin', 'dbtune.analyze'), ('admin', 'dbtune.apply'), ('admin', 'downtime.manage'),
  ('admin', 'inspect.run'), ('admin', 'kb.write'), ('admin', 'report.generate'),
  ('admin', 'sla.extend.request'), ('admin', 'ticket.close'), ('admin', 'ticket.comment'), ('admin', 'ticket.create'),
  ('admin', 'ticket.import'), ('admin', 'ticket.read'), ('admin', 'ticket.sign'), ('admin', 'ticket.update'),
  ('manager', 'audit.read'), ('manager', 'backup.restore'), ('manager', 'backup.run'), ('manager', 'change.approve'),
  ('manager', 'dbtune.analyze'), ('manager', 'dbtune.apply'), ('manager', 'downtime.manage'), ('manager', 'inspect.run'),
  ('manager', 'kb.write'), ('manager', 'release.approve'), ('manager', 'report.generate'),
  ('manager', 'sla.extend.request'), ('manager', 'ticket.close'), ('manager', 'ticket.comment'),
  ('manager', 'ticket.create'), ('manager', 'ticket.import'), ('manager', 'ticket.read'), ('manager', 'ticket.sign'),
  ('manager', 'ticket.update'),
  ('engineer', 'backup.run'), ('engineer', 'dbtune.analyze'), ('engineer', 'downtime.manage'),
  ('engineer', 'inspect.run'), ('engineer', 'kb.write'), ('engineer', 'sla.extend.request'), ('engineer', 'ticket.close'),
  ('engineer', 'ticket.comment'), ('engineer', 'ticket.create'), ('engineer', 'ticket.read'), ('engineer', 'ticket.sign'),
  ('engineer', 'ticket.update'),
  ('customer', 'change.approve'), ('customer', 'release.approve'), ('customer', 'sla.extend.approve'),
  ('customer', 'ticket.comment'), ('customer', 'ticket.create'), ('customer', 'ticket.read'), ('customer', 'ticket.sign'),
  ('customer', 'ticket.survey'),
  ('viewer', 'audit.read'), ('viewer', 'ticket.read');
)sql";

// 3: SLA clocks kept per ticket for fast queries, planned downtime, the fields of problems,
// changes and requests, and the knowledge base with full-text search.
constexpr std::string_view k_v3 = R"sql(
ALTER TABLE tickets ADD COLUMN sla_breached INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN root_cause TEXT;
ALTER TABLE tickets ADD COLUMN workaround TEXT;
ALTER TABLE tickets ADD COLUMN known_error INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN risk TEXT;
ALTER TABLE tickets ADD COLUMN plan TEXT;
ALTER TABLE tickets ADD COLUMN rollback_plan TEXT;
ALTER TABLE tickets ADD COLUMN test_evidence TEXT;
ALTER TABLE tickets ADD COLUMN window_start INTEGER;
ALTER TABLE tickets ADD COLUMN window_end INTEGER;
ALTER TABLE tickets ADD COLUMN estimate INTEGER;
CREATE INDEX tickets_breached ON tickets(created_at) WHERE sla_breached = 1;

CREATE TABLE ticket_sla (
  ticket_id   INTEGER NOT NULL REFERENCES tickets(id),
  clock       TEXT NOT NULL,
  state       TEXT NOT NULL,
  start_at    INTEGER NOT NULL,
  target      INTEGER NOT NULL,
  elapsed     INTEGER NOT NULL,
  paused      INTEGER NOT NULL,
  stopped_at  INTEGER,
  deadline    INTEGER,
  warn_at     INTEGER,
  breached_at INTEGER,
  PRIMARY KEY (ticket_id, clock)
);
CREATE INDEX ticket_sla_running ON ticket_sla(deadline) WHERE state = 'running';

CREATE TABLE downtime (
  id         INTEGER PRIMARY KEY,
  system     TEXT,
  start_at   INTEGER NOT NULL,
  end_at     INTEGER NOT NULL,
  reason     TEXT NOT NULL,
  source     TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX downtime_start ON downtime(start_at);

CREATE TABLE kb_articles (
  id         INTEGER PRIMARY KEY,
  ref        TEXT NOT NULL UNIQUE,
  title      TEXT NOT NULL,
  symptoms   TEXT NOT NULL DEFAULT '',
  cause      TEXT NOT NULL DEFAULT '',
  fix        TEXT NOT NULL DEFAULT '',
  tags       TEXT NOT NULL DEFAULT '',
  system     TEXT,
  source_ref TEXT,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

)sql";

// 3, SQLite only: full-text search of the knowledge base (PostgreSQL scans; see kb.cpp).
constexpr std::string_view k_v3_sqlite = R"sql(
CREATE VIRTUAL TABLE kb_search USING fts5(title, symptoms, cause, fix, tags, content='kb_articles', content_rowid='id',
                                          tokenize='trigram');
CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN
  INSERT INTO kb_search (rowid, title, symptoms, cause, fix, tags)
  VALUES (new.id, new.title, new.symptoms, new.cause, new.fix, new.tags);
END;
CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN
  INSERT INTO kb_search (kb_search, rowid, title, symptoms, cause, fix, tags)
  VALUES ('delete', old.id, old.title, old.symptoms, old.cause, old.fix, old.tags);
END;
CREATE TRIGGER kb_articles_au AFTER UPDATE ON kb_articles BEGIN
  INSERT INTO kb_search (kb_search, rowid, title, symptoms, cause, fix, tags)
  VALUES ('delete', old.id, old.title, old.symptoms, old.cause, old.fix, old.tags);
  INSERT INTO kb_search (rowid, title, symptoms, cause, fix, tags)
  VALUES (new.id, new.title, new.symptoms, new.cause, new.fix, new.tags);
END;
)sql";

// 4: inspections: each run, each check result, and each check's current state (and the
// incident it has open).
constexpr std::string_view k_v4 = R"sql(
CREATE TABLE inspection_runs (
  id          INTEGER PRIMARY KEY,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  actor       TEXT NOT NULL,
  checks      INTEGER NOT NULL,
  worst       TEXT NOT NULL,
  record_ref  TEXT
);
CREATE TABLE check_results (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES inspection_runs(id),
  check_name  TEXT NOT NULL,
  system      TEXT,
  type        TEXT NOT NULL,
  state       TEXT NOT NULL,
  at          INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  attempts    INTEGER NOT NULL,
  summary     TEXT NOT NULL,
  long_output TEXT,
  perfdata    TEXT
);
CREATE INDEX check_results_check ON check_results(check_name, at);
CREATE INDEX check_results_at ON check_results(at);
CREATE TABLE check_state (
  check_name TEXT PRIMARY KEY,
  system     TEXT,
  state      TEXT NOT NULL,
  since      INTEGER NOT NULL,
  last_at    INTEGER NOT NULL,
  interval   INTEGER NOT NULL,
  ticket_ref TEXT
);
)sql";

// 5: the index of the backup repositories, the targets' last verified restorable backup, and
// the restores done.
constexpr std::string_view k_v5 = R"sql(
CREATE TABLE backups (
  id              TEXT PRIMARY KEY,
  target          TEXT NOT NULL,
  kind            TEXT NOT NULL,
  repository      TEXT NOT NULL,
  started_at      INTEGER NOT NULL,
  finished_at     INTEGER NOT NULL,
  status          TEXT NOT NULL,
  error           TEXT,
  artifact        TEXT,
  size            INTEGER NOT NULL DEFAULT 0,
  content_size    INTEGER NOT NULL DEFAULT 0,
  artifact_sha256 TEXT,
  content_sha256  TEXT,
  encrypted       INTEGER NOT NULL DEFAULT 0,
  manifest        TEXT,
  verified_at     INTEGER,
  verified_deep   INTEGER NOT NULL DEFAULT 0,
  verify_status   TEXT,
  pruned_at       INTEGER
);
CREATE INDEX backups_target ON backups(target, started_at);
CREATE TABLE backup_targets (
  target                   TEXT PRIMARY KEY,
  last_verified_id         TEXT,
  last_verified_created_at INTEGER,
  last_verified_at         INTEGER
);
CREATE TABLE backup_restores (
  id            INTEGER PRIMARY KEY,
  backup_id     TEXT NOT NULL,
  to_path       TEXT NOT NULL,
  at            INTEGER NOT NULL,
  actor         TEXT NOT NULL,
  in_place      INTEGER NOT NULL DEFAULT 0,
  safety_backup TEXT
);
)sql";


// v6: database tuning — when each table was first seen, and every action applied with its undo.
constexpr std::string_view k_v6 = R"sql(
CREATE TABLE dbtune_seen (
  target     TEXT NOT NULL,
  name       TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  PRIMARY KEY (target, name)
);
CREATE TABLE dbtune_actions (
  id           INTEGER PRIMARY KEY,
  target       TEXT NOT NULL,
  finding      TEXT NOT NULL,
  kind         TEXT NOT NULL,
  object       TEXT,
  summary      TEXT NOT NULL,
  sql          TEXT NOT NULL,
  undo_sql     TEXT NOT NULL,
  backup_id    TEXT,
  change_ref   TEXT,
  at           INTEGER NOT NULL,
  actor        TEXT NOT NULL,
  status       TEXT NOT NULL,
  error        TEXT,
  bytes_before INTEGER,
  bytes_after  INTEGER,
  duration_ms  INTEGER,
  undone_at    INTEGER,
  undone_by    TEXT
);
CREATE INDEX dbtune_actions_target ON dbtune_actions(target, at);
)sql";

// v7: the service reports issued, and events found by kind and time (surveys, extensions).
constexpr std::string_view k_v7 = R"sql(
CREATE TABLE reports (
  id           INTEGER PRIMARY KEY,
  period       TEXT NOT NULL,
  period_start INTEGER NOT NULL,
  period_end   INTEGER NOT NULL,
  system       TEXT,
  format       TEXT NOT NULL,
  sha256       TEXT NOT NULL,
  targets_met  INTEGER NOT NULL,
  at           INTEGER NOT NULL,
  actor        TEXT NOT NULL,
  output       TEXT
);
CREATE INDEX ticket_events_kind ON ticket_events(kind, at);
)sql";

struct Step {
  std::string_view portable;
  std::string_view sqlite_only;
};

constexpr std::array<Step, 7> k_steps = {
    Step{k_v1, {}}, Step{k_v2, {}}, Step{k_v3, k_v3_sqlite}, Step{k_v4, {}}, Step{k_v5, {}}, Step{k_v6, {}}, Step{k_v7, {}}};

// The portable DDL in PostgreSQL's words: 64-bit integers everywhere (epoch seconds, sizes) and
// identity columns for the integer primary keys SQLite numbers by itself.
std::string to_postgres(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 256);
  constexpr std::string_view key = "INTEGER PRIMARY KEY";
  constexpr std::string_view integer = "INTEGER";
  for (std::size_t i = 0; i < sql.size();) {
    if (sql.substr(i, key.size()) == key) {
      out += "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY";
      i += key.size();
    } else if (sql.substr(i, integer.size()) == integer) {
      out += "BIGINT";
      i += integer.size();
    } else {
      out += sql[i++];
    }
  }
  return out;
}

}  // namespace

int schema_version() { return static_cast<int>(k_steps.size()); }

std::string migration_script(std::size_t step, Backend backend) {
  const Step& s = k_steps.at(step);
  if (backend == Backend::postgres) return to_postgres(s.portable);
  return std::string(s.portable) + std::string(s.sqlite_only);
}

}  // namespace opsdesk::store
