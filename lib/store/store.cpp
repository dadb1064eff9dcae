#include "store/store.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <random>
#include <thread>

#include "core/error.hpp"
#include "core/fs.hpp"

namespace opsdesk::store {

namespace {

constexpr std::int64_t k_application_id = 0x4f505344;  // "OPSD"

int user_version(Db& db) { return static_cast<int>(db.one_int("PRAGMA user_version").value_or(0)); }

// Whose file is it? One statement, so that a writer committing a new store between two
// reads cannot make it look like a foreign database with tables but no id.
void check_is_store(Db& db) {
  auto q = db.query("SELECT (SELECT application_id FROM pragma_application_id), (SELECT count(*) FROM sqlite_schema)");
  q.next();
  const auto app = q.int64(0);
  const auto tables = q.int64(1);
  if (app == k_application_id) return;
  if (app != 0 || tables > 0)
    throw Error(ErrorKind::data,
                fmt::format("{} is not an opsdesk store (it is some other SQLite database); choose another --db",
                            db.path().string()));
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

// Bring the schema to the current version in one write transaction. Several processes may
// race here on a new store; the version is read again once the write lock is held.
void migrate(Db& db) {
  Transaction tx(db, true);
  check_is_store(db);
  const int from = user_version(db);
  check_not_newer(db, from);
  if (from == schema_version()) return;
  const auto scripts = migrations();
  for (auto i = static_cast<std::size_t>(from); i < scripts.size(); ++i) db.exec(scripts[i]);
  db.exec(fmt::format("PRAGMA application_id = {}; PRAGMA user_version = {}", k_application_id, schema_version()));
  tx.commit();
}

std::unique_ptr<Db> open_memory() {
  auto db = std::make_unique<Db>(":memory:", Mode::read_write, std::chrono::milliseconds(0));
  db->exec("PRAGMA foreign_keys = ON");
  migrate(*db);
  return db;
}

}  // namespace

int schema_version() { return static_cast<int>(migrations().size()); }

std::unique_ptr<Db> open_store(const StoreOptions& options) {
  std::error_code ec;
  const bool exists = std::filesystem::exists(options.path, ec);
  if (!options.write && !exists) return open_memory();
  if (options.write && !exists) {
    core::make_private_dirs(options.path.parent_path());
    core::create_private_file(options.path);
  }
  auto db = std::make_unique<Db>(options.path, options.write ? Mode::read_write : Mode::read_only,
                                 options.busy_timeout);
  set_session_pragmas(*db);
  // Whose file, and which schema, before anything is written to it.
  check_is_store(*db);
  const int version = user_version(*db);
  check_not_newer(*db, version);
  if (options.write) use_wal(*db, options.busy_timeout);
  if (version == schema_version()) return db;
  if (options.write) {
    migrate(*db);
    return db;
  }
  // A reader of an older store: migrate with a writer first, then read.
  {
    Db writer(options.path, Mode::read_write, options.busy_timeout);
    set_session_pragmas(writer);
    use_wal(writer, options.busy_timeout);
    migrate(writer);
  }
  db = std::make_unique<Db>(options.path, Mode::read_only, options.busy_timeout);
  set_session_pragmas(*db);
  return db;
}

}  // namespace opsdesk::store
