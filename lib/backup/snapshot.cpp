#include "backup/snapshot.hpp"

#include <sqlite3.h>
#include <unistd.h>

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include "core/error.hpp"
#include "core/hash.hpp"

namespace opsdesk::backup {

namespace {

struct Handle {
  sqlite3* db = nullptr;
  ~Handle() { close(); }
  void close() {
    sqlite3_close_v2(db);
    db = nullptr;
  }
};

[[noreturn]] void fail(sqlite3* db, std::string_view doing, const std::filesystem::path& path) {
  throw Error(ErrorKind::unavailable, fmt::format("cannot {} {}: {}", doing, path.string(), db ? sqlite3_errmsg(db) : "?"));
}

void open(Handle& h, const std::filesystem::path& path, int flags) {
  if (sqlite3_open_v2(path.c_str(), &h.db, flags, nullptr) != SQLITE_OK) fail(h.db, "open", path);
}



// The first column of `sql`'s first row. A busy or locked database is Error(busy), so that
// the caller can retry; any other failure is Error(unavailable).
std::int64_t int_of(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr);
  std::int64_t v = 0;
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return v;
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) throw Error(ErrorKind::busy, sqlite3_errstr(rc));
  if (rc == SQLITE_NOTADB) throw Error(ErrorKind::data, sqlite3_errstr(rc));
  throw Error(ErrorKind::unavailable, fmt::format("{}: {}", sql, sqlite3_errmsg(db)));
}

SqliteFacts facts(sqlite3* db) {
  SqliteFacts f;
  f.page_count = int_of(db, "PRAGMA page_count");
  f.page_size = int_of(db, "PRAGMA page_size");
  core::Sha256 schema;
  std::vector<std::string> tables;
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(db, "SELECT type, name, coalesce(sql, '') FROM sqlite_schema ORDER BY name, type", -1, &st, nullptr);
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    if ((rc = sqlite3_step(st)) != SQLITE_ROW) break;
    const std::string type = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    const std::string name = reinterpret_cast<const char*>(sqlite3_column_text(st, 1));
    schema.update(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)));
    schema.update("\n");
    const bool is_virtual = std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 2))).find("VIRTUAL") != std::string::npos;
    if (type == "table" && !is_virtual && name.rfind("sqlite_", 0) != 0) tables.push_back(name);
  }
  sqlite3_finalize(st);
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) throw Error(ErrorKind::busy, sqlite3_errstr(rc));
  if (rc == SQLITE_NOTADB) throw Error(ErrorKind::data, sqlite3_errstr(rc));
  if (rc != SQLITE_DONE) throw Error(ErrorKind::unavailable, fmt::format("cannot read the schema: {}", sqlite3_errstr(rc)));
  f.schema_sha256 = schema.hex();
  for (const auto& t : tables) {
    std::string quoted = "\"";
    for (const char c : t) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    f.row_counts.emplace_back(t, int_of(db, fmt::format("SELECT count(*) FROM {}\"", quoted)));
  }
  return f;
}

// The online backup of `src` into `dst`, all pages in one step, retried while busy. With
// `facts`, they are read from `src` in the same read transaction as the copy, so they
// describe exactly the copied pages (a writer may commit right after).
void copy(sqlite3* src, sqlite3* dst, const std::filesystem::path& path, core::Seconds timeout, SqliteFacts* facts_out) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout);
  while (true) {
    int rc = SQLITE_OK;
    bool in_read = false;
    try {
      if (facts_out) {
        if (sqlite3_exec(src, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) fail(src, "read", path);
        in_read = true;
        *facts_out = facts(src);
      }
      sqlite3_backup* b = sqlite3_backup_init(dst, "main", src, "main");
      if (!b) fail(dst, "prepare a snapshot of", path);
      rc = sqlite3_backup_step(b, -1);
      sqlite3_backup_finish(b);
    } catch (const Error& e) {
      if (in_read) sqlite3_exec(src, "ROLLBACK", nullptr, nullptr, nullptr);
      if (e.kind() == ErrorKind::data) throw Error(ErrorKind::data, fmt::format("{} is not a SQLite database", path.string()));
      if (e.kind() != ErrorKind::busy) throw;
      in_read = false;
      rc = SQLITE_BUSY;
    }
    if (in_read) sqlite3_exec(src, "ROLLBACK", nullptr, nullptr, nullptr);  // a read: nothing to keep
    if (rc == SQLITE_DONE) return;
    if (rc == SQLITE_NOTADB) throw Error(ErrorKind::data, fmt::format("{} is not a SQLite database", path.string()));
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
      throw Error(ErrorKind::unavailable, fmt::format("cannot snapshot {}: {}", path.string(), sqlite3_errstr(rc)));
    if (std::chrono::steady_clock::now() > deadline)
      throw Error(ErrorKind::unavailable,
                  fmt::format("no consistent snapshot of {} within {}: the database stayed locked by a writer "
                              "(raise the target's timeout, or switch it to WAL mode so readers and writers do not block)",
                              path.string(), core::format_duration(timeout)));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

}  // namespace

SqliteFacts snapshot_sqlite(const std::filesystem::path& path, core::Seconds timeout, std::int64_t memory_limit,
                            const std::filesystem::path& temp_dir, const std::function<void(std::string_view)>& sink) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(ErrorKind::not_found, fmt::format("the database {} does not exist", path.string()));
  Handle src;
  open(src, path, SQLITE_OPEN_READONLY);
  sqlite3_busy_timeout(src.db, 200);
  // The size decides memory or temp file; the file (and its WAL) tell it without a lock.
  const auto file_size = [&](const std::filesystem::path& p) {
    std::error_code e;
    const auto n = std::filesystem::file_size(p, e);
    return e ? std::int64_t{0} : static_cast<std::int64_t>(n);
  };
  const std::int64_t size = file_size(path) + file_size(path.string() + "-wal");
  const bool in_memory = size <= memory_limit;
  std::filesystem::path temp;
  Handle dst;
  if (in_memory) {
    // A memdb database on one buffer of the expected size: the copy lands there page by page
    // and is handed to the sink as it is (no second copy). It is never read back through
    // SQLite (memdb cannot read a copy of a WAL-mode database): the facts come from the source.
    open(dst, ":memory:", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    const auto capacity = static_cast<sqlite3_int64>(size) + 65536;
    auto* buffer = static_cast<unsigned char*>(sqlite3_malloc64(static_cast<sqlite3_uint64>(capacity)));
    if (!buffer) throw Error(ErrorKind::unavailable, fmt::format("cannot snapshot {} in memory: out of memory", path.string()));
    if (sqlite3_deserialize(dst.db, "main", buffer, 0, capacity,
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE) != SQLITE_OK)
      fail(dst.db, "prepare a snapshot of", path);
    sqlite3_int64 limit = std::max<sqlite3_int64>(memory_limit, capacity) * 2;  // a WAL can grow while we look
    sqlite3_file_control(dst.db, "main", SQLITE_FCNTL_SIZE_LIMIT, &limit);
  } else {
    temp = temp_dir / fmt::format(".snapshot-{}-{}.db", ::getpid(), std::chrono::steady_clock::now().time_since_epoch().count());
    open(dst, temp, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    sqlite3_exec(dst.db, "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", nullptr, nullptr, nullptr);
  }
  struct Cleanup {
    std::filesystem::path p;
    ~Cleanup() {
      std::error_code e;
      if (!p.empty()) std::filesystem::remove(p, e);
    }
  } cleanup{temp};
  SqliteFacts f;
  copy(src.db, dst.db, path, timeout, &f);
  src.close();
  if (in_memory) {
    sqlite3_int64 n = 0;
    const unsigned char* bytes = sqlite3_serialize(dst.db, "main", &n, SQLITE_SERIALIZE_NOCOPY);
    if (!bytes || n < 0) throw Error(ErrorKind::internal, "cannot hand over the snapshot");
    sink({reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(n)});  // all at once
  } else {
    sqlite3_close_v2(dst.db);
    dst.db = nullptr;
    std::ifstream in(temp, std::ios::binary);
    std::vector<char> buf(1 << 20);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      if (in.gcount() > 0) sink({buf.data(), static_cast<std::size_t>(in.gcount())});
    }
  }
  return f;
}

void copy_sqlite(const std::filesystem::path& from, const std::filesystem::path& to, core::Seconds timeout) {
  Handle src, dst;
  open(src, from, SQLITE_OPEN_READONLY);
  open(dst, to, SQLITE_OPEN_READWRITE);
  sqlite3_busy_timeout(dst.db, 200);
  copy(src.db, dst.db, to, timeout, nullptr);
}

SqliteFacts sqlite_facts(const std::filesystem::path& path) {
  Handle h;
  open(h, path, SQLITE_OPEN_READONLY);
  sqlite3_exec(h.db, "PRAGMA cache_size = -262144; PRAGMA mmap_size = 2147418112", nullptr, nullptr, nullptr);
  return facts(h.db);
}

std::vector<std::string> integrity_problems(const std::filesystem::path& path, bool quick) {
  Handle h;
  open(h, path, SQLITE_OPEN_READONLY);
  sqlite3_exec(h.db, "PRAGMA cache_size = -1048576; PRAGMA mmap_size = 2147418112", nullptr, nullptr, nullptr);
  std::vector<std::string> problems;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h.db, quick ? "PRAGMA quick_check(50)" : "PRAGMA integrity_check(50)", -1, &st, nullptr) != SQLITE_OK)
    return {fmt::format("cannot check: {}", sqlite3_errmsg(h.db))};
  int rc = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) problems.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  if (rc != SQLITE_DONE) problems.push_back(sqlite3_errmsg(h.db));
  sqlite3_finalize(st);
  if (problems.size() == 1 && problems[0] == "ok") problems.clear();
  return problems;
}

}  // namespace opsdesk::backup
