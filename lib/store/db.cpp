#include "store/db.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include "core/error.hpp"

namespace opsdesk::store {

// ---- the backend-neutral part: cursors and the statement cache

Query::Query(Query&& other) noexcept : m_stmt(other.m_stmt), m_in_use(other.m_in_use) { other.m_stmt = nullptr; }

Query::~Query() {
  if (!m_stmt) return;
  if (!m_in_use) {
    delete m_stmt;
    return;
  }
  m_stmt->reset();
  *m_in_use = false;
}

std::optional<std::string> Query::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}
std::optional<std::int64_t> Query::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

Db::~Db() = default;

Query Db::query_with(std::string_view sql, const std::vector<Param>& params) {
  Query q = prepare(sql);
  int i = 0;
  for (const auto& p : params) std::visit([&](const auto& v) { bind_one(q, ++i, v); }, p);
  return q;
}

Query Db::prepare(std::string_view sql) {
  auto it = m_cache.find(std::string(sql));
  if (it == m_cache.end()) {
    auto cached = std::make_unique<Cached>();
    cached->stmt = compile(sql);
    it = m_cache.emplace(std::string(sql), std::move(cached)).first;
  }
  Cached& c = *it->second;
  if (c.in_use) return Query(*compile(sql).release(), nullptr);  // nested use of the same SQL: a one-off
  c.in_use = true;
  return Query(*c.stmt, &c.in_use);
}

Query Db::stream(std::string_view sql, const std::vector<Param>& params) {
  Query q(*compile_stream(sql).release(), nullptr);  // one-off: deleted with the cursor
  int i = 0;
  for (const auto& p : params) std::visit([&](const auto& v) { bind_one(q, ++i, v); }, p);
  return q;
}

std::string Db::returning_id(std::string_view sql) {
  auto it = m_returning.find(std::string(sql));
  if (it == m_returning.end()) it = m_returning.emplace(std::string(sql), std::string(sql) + " RETURNING id").first;
  return it->second;
}

// ---- SQLite

namespace {

class SqliteStatement final : public Statement {
 public:
  SqliteStatement(SqliteDb& db, SQLite::Database& handle, std::string_view sql) : m_db(db) {
    try {
      m_stmt = std::make_unique<SQLite::Statement>(handle, std::string(sql));
    } catch (...) {
      m_db.translate_current_exception("prepare a query");
    }
  }

  bool step() override {
    try {
      return m_stmt->executeStep();
    } catch (...) {
      m_db.translate_current_exception("query the store");
    }
  }
  void reset() noexcept override {
    try {
      m_stmt->reset();
      m_stmt->clearBindings();
    } catch (...) {
      // A failed step already reported its error; reset repeats it.
    }
  }
  void bind(int index, std::nullptr_t) override { m_stmt->bind(index); }
  void bind(int index, std::int64_t value) override { m_stmt->bind(index, static_cast<int64_t>(value)); }
  void bind(int index, double value) override { m_stmt->bind(index, value); }
  void bind(int index, std::string_view value) override {
    // As text (the pointer-and-size overload would bind a blob); SQLite keeps its own copy.
    m_stmt->bind(index, std::string(value));
  }
  std::int64_t int64(int col) const override { return m_stmt->getColumn(col).getInt64(); }
  double real(int col) const override { return m_stmt->getColumn(col).getDouble(); }
  std::string text(int col) const override {
    const auto column = m_stmt->getColumn(col);
    return std::string(static_cast<const char*>(column.getBlob()), static_cast<std::size_t>(column.getBytes()));
  }
  bool is_null(int col) const override { return m_stmt->isColumnNull(col); }
  int columns() const override { return m_stmt->getColumnCount(); }
  std::string column_name(int col) const override { return m_stmt->getColumnName(col); }

 private:
  SqliteDb& m_db;
  std::unique_ptr<SQLite::Statement> m_stmt;
};

}  // namespace

SqliteDb::SqliteDb(const std::filesystem::path& path, Mode mode, std::chrono::milliseconds busy_timeout)
    : Db(path, mode) {
  // One connection per thread (SQLITE_OPEN_NOMUTEX): SQLite's own locking is not needed.
  const int flags = (mode == Mode::read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) |
                    SQLite::OPEN_NOMUTEX;
  try {
    m_db = std::make_unique<SQLite::Database>(path.string(), flags, static_cast<int>(busy_timeout.count()));
  } catch (...) {
    translate_current_exception("open the store");
  }
}

SqliteDb::~SqliteDb() { clear_cache(); }

SQLite::Database& SqliteDb::sqlite() { return *m_db; }

std::unique_ptr<Statement> SqliteDb::compile(std::string_view sql) {
  return std::make_unique<SqliteStatement>(*this, *m_db, sql);
}

void SqliteDb::exec(std::string_view sql) {
  try {
    m_db->exec(std::string(sql));
  } catch (...) {
    translate_current_exception("update the store");
  }
}

std::int64_t SqliteDb::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db->getHandle()); }
std::int64_t SqliteDb::changes() const { return sqlite3_changes64(m_db->getHandle()); }

void SqliteDb::begin(bool write) { exec(write ? "BEGIN IMMEDIATE" : "BEGIN"); }
void SqliteDb::commit() { exec("COMMIT"); }
void SqliteDb::rollback() noexcept {
  try {
    exec("ROLLBACK");
  } catch (...) {
    // Nothing more to do: SQLite rolls back an open transaction when the connection closes.
  }
}

void SqliteDb::translate_current_exception(std::string_view doing) const {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode() & 0xff;
    const std::string where = path().string();
    switch (code) {
      case SQLITE_BUSY:
      case SQLITE_LOCKED:
        throw Error(ErrorKind::busy,
                    fmt::format("the store {} is busy (another opsdesk is writing it); try again", where));
      case SQLITE_FULL:
        throw Error(ErrorKind::io, fmt::format("cannot {}: the disk holding {} is full", doing, where));
      case SQLITE_IOERR:
        throw Error(ErrorKind::io, fmt::format("cannot {}: I/O error on {}: {}", doing, where, e.what()));
      case SQLITE_CANTOPEN:
        throw Error(ErrorKind::io, fmt::format("cannot open the store {}: {}", where, e.what()));
      case SQLITE_READONLY:
      case SQLITE_PERM:
        throw Error(ErrorKind::io, fmt::format("cannot {}: {} is read-only to this user", doing, where));
      case SQLITE_CONSTRAINT:
        throw Error(ErrorKind::data, fmt::format("cannot {}: {}", doing, e.what()));
      case SQLITE_NOTADB:
      case SQLITE_CORRUPT:
        throw Error(ErrorKind::data, fmt::format("{} is not an opsdesk store or is damaged: {}", where, e.what()));
      default:
        throw Error(ErrorKind::internal, fmt::format("cannot {}: {} ({})", doing, e.what(), where));
    }
  }
}

}  // namespace opsdesk::store

namespace opsdesk::store {

std::string json_number(const Db& db, std::string_view column, std::string_view key) {
  if (db.backend() == Backend::postgres) return fmt::format("CAST(({}::jsonb ->> '{}') AS DOUBLE PRECISION)", column, key);
  return fmt::format("json_extract({}, '$.{}')", column, key);
}

std::string json_text(const Db& db, std::string_view column, std::string_view key) {
  if (db.backend() == Backend::postgres) return fmt::format("({}::jsonb ->> '{}')", column, key);
  return fmt::format("json_extract({}, '$.{}')", column, key);
}

}  // namespace opsdesk::store
