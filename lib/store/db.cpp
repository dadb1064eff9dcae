#include "store/db.hpp"

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>
#include <SQLiteCpp/Statement.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include "core/error.hpp"

namespace opsdesk::store {

struct Db::Cached {
  std::unique_ptr<SQLite::Statement> stmt;
  bool in_use = false;
};

Query::Query(Db& db, SQLite::Statement& stmt, bool* in_use) : m_db(&db), m_stmt(&stmt), m_in_use(in_use) {}

Query::Query(Query&& other) noexcept : m_db(other.m_db), m_stmt(other.m_stmt), m_in_use(other.m_in_use) {
  other.m_stmt = nullptr;
}

Query::~Query() {
  if (!m_stmt) return;
  if (!m_in_use) {
    delete m_stmt;
    return;
  }
  try {
    m_stmt->reset();
    m_stmt->clearBindings();
  } catch (...) {
    // A failed step already reported its error; reset repeats it.
  }
  *m_in_use = false;
}

bool Query::next() {
  try {
    return m_stmt->executeStep();
  } catch (...) {
    m_db->translate_current_exception("query the store");
  }
}

std::int64_t Query::int64(int col) const { return m_stmt->getColumn(col).getInt64(); }
double Query::real(int col) const { return m_stmt->getColumn(col).getDouble(); }
std::string Query::text(int col) const {
  const auto column = m_stmt->getColumn(col);
  return std::string(static_cast<const char*>(column.getBlob()), static_cast<std::size_t>(column.getBytes()));
}
bool Query::is_null(int col) const { return m_stmt->isColumnNull(col); }
std::optional<std::string> Query::opt_text(int col) const {
  if (is_null(col)) return std::nullopt;
  return text(col);
}
std::optional<std::int64_t> Query::opt_int64(int col) const {
  if (is_null(col)) return std::nullopt;
  return int64(col);
}

void Query::bind(int index, std::nullptr_t) { m_stmt->bind(index); }
void Query::bind(int index, std::int64_t value) { m_stmt->bind(index, static_cast<int64_t>(value)); }
void Query::bind(int index, double value) { m_stmt->bind(index, value); }
void Query::bind(int index, std::string_view value) {
  // As text (the pointer-and-size overload would bind a blob); SQLite keeps its own copy.
  m_stmt->bind(index, std::string(value));
}

Db::Db(const std::filesystem::path& path, Mode mode, std::chrono::milliseconds busy_timeout)
    : m_path(path), m_mode(mode) {
  // One connection per thread (SQLITE_OPEN_NOMUTEX): SQLite's own locking is not needed.
  const int flags = (mode == Mode::read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) |
                    SQLite::OPEN_NOMUTEX;
  try {
    m_db = std::make_unique<SQLite::Database>(path.string(), flags, static_cast<int>(busy_timeout.count()));
  } catch (...) {
    translate_current_exception("open the store");
  }
}

Db::~Db() {
  m_cache.clear();  // statements must be finalized before the database closes
}

SQLite::Database& Db::sqlite() { return *m_db; }

Query Db::query_with(std::string_view sql, const std::vector<Param>& params) {
  Query q = prepare(sql);
  int i = 0;
  for (const auto& p : params) std::visit([&](const auto& v) { bind_one(q, ++i, v); }, p);
  return q;
}

void Db::exec(std::string_view sql) {
  try {
    m_db->exec(std::string(sql));
  } catch (...) {
    translate_current_exception("update the store");
  }
}

std::int64_t Db::last_insert_rowid() const { return sqlite3_last_insert_rowid(m_db->getHandle()); }
std::int64_t Db::changes() const { return sqlite3_changes64(m_db->getHandle()); }


Query Db::prepare(std::string_view sql) {
  try {
    auto it = m_cache.find(std::string(sql));
    if (it == m_cache.end()) {
      auto cached = std::make_unique<Cached>();
      cached->stmt = std::make_unique<SQLite::Statement>(*m_db, std::string(sql));
      it = m_cache.emplace(std::string(sql), std::move(cached)).first;
    }
    Cached& c = *it->second;
    if (c.in_use) {  // nested use of the same SQL: a one-off statement
      return Query(*this, *new SQLite::Statement(*m_db, std::string(sql)), nullptr);
    }
    c.in_use = true;
    return Query(*this, *c.stmt, &c.in_use);
  } catch (const opsdesk::Error&) {
    throw;
  } catch (...) {
    translate_current_exception("prepare a query");
  }
}

void Db::translate_current_exception(std::string_view doing) const {
  try {
    throw;
  } catch (const SQLite::Exception& e) {
    const int code = e.getErrorCode() & 0xff;
    const std::string where = m_path.string();
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

Transaction::Transaction(Db& db, bool write) : m_db(db) { m_db.exec(write ? "BEGIN IMMEDIATE" : "BEGIN"); }

Transaction::~Transaction() {
  if (!m_active) return;
  try {
    m_db.exec("ROLLBACK");
  } catch (...) {
    // Nothing more to do: SQLite rolls back an open transaction when the connection closes.
  }
}

void Transaction::commit() {
  m_db.exec("COMMIT");
  m_active = false;
}

}  // namespace opsdesk::store
