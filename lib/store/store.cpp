#include "store/store.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "store/postgres.hpp"

namespace opsdesk::store {

namespace {

constexpr std::int64_t k_application_id = 0x4f505344;  // "OPSD"

// What a database says of itself: whose it is (application id), whether it holds anything,
// and which schema. SQLite keeps the first and last in its header (PRAGMAs); PostgreSQL in a
// table of ours, opsdesk_meta. One statement, so that a writer committing a new store between
// two reads cannot make it look like a foreign database with tables but no id.
struct Identity {
  std::int64_t application_id = 0;
  std::int64_t tables = 0;
  int version = 0;
};

Identity identify(Db& db) {
  if (db.backend() == Backend::sqlite) {
    auto q = db.query("SELECT (SELECT application_id FROM pragma_application_id), (SELECT count(*) FROM sqlite_schema), "
                      "(SELECT user_version FROM pragma_user_version)");
    q.next();
    return {q.int64(0), q.int64(1), static_cast<int>(q.int64(2))};
  }
  const bool has_meta = db.one_int("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema() "
                                   "AND tablename = 'opsdesk_meta'") > 0;
  Identity id;
  id.tables = db.one_int("SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()").value_or(0);
  if (has_meta) {
    id.application_id = std::stoll(db.one_text("SELECT value FROM opsdesk_meta WHERE key = 'application_id'").value_or("0"));
    id.version = std::stoi(db.one_text("SELECT value FROM opsdesk_meta WHERE key = 'schema_version'").value_or("0"));
  }
  return id;
}

void check_is_store(Db& db, const Identity& id) {
  if (id.application_id == k_application_id) return;
  if (id.application_id != 0 || id.tables > 0)
    throw Error(ErrorKind::data,
                fmt::format("{} is not an opsdesk store (it is some other {} database); choose another --db",
                            db.path().string(), db.backend() == Backend::sqlite ? "SQLite" : "PostgreSQL"));
}

void check_not_newer(Db& db, int version) {
  if (version > schema_version())
    throw Error(ErrorKind::unavailable,
                fmt::format("the store {} was written by a newer opsdesk (schema {}; this opsdesk knows up to {}); "
                            "upgrade opsdesk to use it — the store was not changed",
                            db.path().string(), version, schema_version()));
}

// Pragmas that change nothing in the file; safe before we know whose file it is.
void set_session_pragmas(Db& db) { db.exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL"); }

// WAL changes the file header: only for a file known to be an opsdesk store of our schema.
// Switching needs the file to itself, and SQLite answers BUSY at once instead of waiting
// (to avoid a deadlock) when several processes switch a new store together: retry until
// the busy timeout.
void use_wal(Db& db, std::chrono::milliseconds busy_timeout) {
  const auto deadline = std::chrono::steady_clock::now() + busy_timeout;
  std::minstd_rand jitter(static_cast<unsigned>(::getpid()));
  while (true) {
    try {
      if (db.one_text("PRAGMA journal_mode") != "wal") db.exec("PRAGMA journal_mode = WAL");
      return;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::busy || std::chrono::steady_clock::now() > deadline) throw;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5 + jitter() % 20));
  }
}

void write_identity(Db& db) {
  if (db.backend() == Backend::sqlite) {
    db.exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}", k_application_id, schema_version()));
    return;
  }
  db.exec("CREATE TABLE IF NOT EXISTS opsdesk_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  db.run("INSERT INTO opsdesk_meta (key, value) VALUES ('application_id', ?), ('schema_version', ?) "
         "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
         std::to_string(k_application_id), std::to_string(schema_version()));
}

// Bring the schema to the current version in one write transaction. Several processes may
// race here on a new store; the version is read again once the write lock is held.
void migrate(Db& db) {
  Transaction tx(db, true);
  const auto id = identify(db);
  check_is_store(db, id);
  check_not_newer(db, id.version);
  if (id.version == schema_version()) return;
  for (auto i = static_cast<std::size_t>(id.version); i < static_cast<std::size_t>(schema_version()); ++i)
    db.exec(migration_script(i, db.backend()));
  write_identity(db);
  tx.commit();
}

std::unique_ptr<Db> open_memory() {
  auto db = std::make_unique<SqliteDb>(":memory:", Mode::read_write, std::chrono::milliseconds(0));
  db->exec("PRAGMA foreign_keys = ON");
  migrate(*db);
  return db;
}

std::unique_ptr<Db> connect(const StoreOptions& options, Mode mode) {
  return std::make_unique<PgDb>(options.path.string(), mode, options.busy_timeout, options.password_file);
}

// On PostgreSQL the identity takes several statements: one snapshot for all of them, so that
// a migration committing in between cannot make the database look foreign.
Identity identify_at_once(Db& db) {
  Transaction snapshot(db, false);
  const auto id = identify(db);
  snapshot.commit();
  return id;
}

std::unique_ptr<Db> open_postgres(const StoreOptions& options) {
  auto db = connect(options, options.write ? Mode::read_write : Mode::read_only);
  const auto id = identify_at_once(*db);
  check_is_store(*db, id);
  check_not_newer(*db, id.version);
  if (id.version == schema_version()) return db;
  if (options.write) {
    migrate(*db);
    return db;
  }
  if (id.version == 0) return open_memory();  // an empty database: nothing yet
  {
    auto writer = connect(options, Mode::read_write);
    migrate(*writer);
  }
  return db;
}

}  // namespace

int stored_schema_version(Db& db) { return identify(db).version; }

bool store_exists(const StoreOptions& options) {
  if (!is_postgres_url(options.path.string())) {
    std::error_code ec;
    return std::filesystem::exists(options.path, ec);
  }
  auto db = connect(options, Mode::read_only);
  return identify_at_once(*db).version > 0;
}

std::unique_ptr<Db> open_store(const StoreOptions& options) {
  if (is_postgres_url(options.path.string())) return open_postgres(options);
  std::error_code ec;
  const bool exists = std::filesystem::exists(options.path, ec);
  if (!options.write && !exists) return open_memory();
  if (options.write && !exists) {
    core::make_private_dirs(options.path.parent_path());
    core::create_private_file(options.path);
  }
  std::unique_ptr<Db> db = std::make_unique<SqliteDb>(options.path, options.write ? Mode::read_write : Mode::read_only,
                                                      options.busy_timeout);
  set_session_pragmas(*db);
  // Whose file, and which schema, before anything is written to it.
  const auto id = identify(*db);
  check_is_store(*db, id);
  check_not_newer(*db, id.version);
  if (options.write) use_wal(*db, options.busy_timeout);
  if (id.version == schema_version()) return db;
  if (options.write) {
    migrate(*db);
    return db;
  }
  // A reader of an older store: migrate with a writer first, then read.
  {
    SqliteDb writer(options.path, Mode::read_write, options.busy_timeout);
    set_session_pragmas(writer);
    use_wal(writer, options.busy_timeout);
    migrate(writer);
  }
  db = std::make_unique<SqliteDb>(options.path, Mode::read_only, options.busy_timeout);
  set_session_pragmas(*db);
  return db;
}

}  // namespace opsdesk::store
