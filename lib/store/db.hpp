#pragma once
// A connection to the store with cached prepared statements and typed binding. Two backends sit
// behind it: SQLite (SQLiteCpp, the embedded default) and PostgreSQL (libpq, a shared desk).
// Callers see only this interface and portable SQL with `?` parameters.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <variant>
#include <vector>

namespace SQLite {
class Database;
}  // namespace SQLite

namespace opsdesk::store {

class Db;

enum class Backend { sqlite, postgres };

// One prepared statement of a backend. Errors are thrown as opsdesk::Error.
class Statement {
 public:
  virtual ~Statement() = default;
  virtual bool step() = 0;
  // Ready for new bindings and a new execution; never throws.
  virtual void reset() noexcept = 0;
  virtual void bind(int index, std::nullptr_t) = 0;
  virtual void bind(int index, std::int64_t value) = 0;
  virtual void bind(int index, double value) = 0;
  virtual void bind(int index, std::string_view value) = 0;
  virtual std::int64_t int64(int col) const = 0;
  virtual double real(int col) const = 0;
  virtual std::string text(int col) const = 0;
  virtual bool is_null(int col) const = 0;
  // The result's columns (after the first step on PostgreSQL).
  virtual int columns() const = 0;
  virtual std::string column_name(int col) const = 0;
};

// A cursor over one execution of a prepared statement; the statement is reset when the
// cursor goes away. Columns are 0-based.
class Query {
 public:
  // `in_use` is the cache's flag for a cached statement, null for a one-off statement.
  Query(Statement& stmt, bool* in_use) : m_stmt(&stmt), m_in_use(in_use) {}
  Query(Query&& other) noexcept;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query();

  // Step to the next row; false when there are no more.
  bool next() { return m_stmt->step(); }
  std::int64_t int64(int col) const { return m_stmt->int64(col); }
  double real(int col) const { return m_stmt->real(col); }
  std::string text(int col) const { return m_stmt->text(col); }
  bool is_null(int col) const { return m_stmt->is_null(col); }
  int columns() const { return m_stmt->columns(); }
  std::string column_name(int col) const { return m_stmt->column_name(col); }
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;

  // Binding, 1-based; used by Db::query.
  void bind(int index, std::nullptr_t) { m_stmt->bind(index, nullptr); }
  void bind(int index, std::int64_t value) { m_stmt->bind(index, value); }
  void bind(int index, double value) { m_stmt->bind(index, value); }
  void bind(int index, std::string_view value) { m_stmt->bind(index, value); }

 private:
  Statement* m_stmt;
  bool* m_in_use;  // null: a one-off statement (the cached one was busy), deleted with the cursor
};

template <typename T>
void bind_one(Query& q, int index, const T& value) {
  using V = std::decay_t<T>;
  if constexpr (std::is_same_v<V, std::nullptr_t>) q.bind(index, nullptr);
  else if constexpr (std::is_same_v<V, bool>) q.bind(index, static_cast<std::int64_t>(value ? 1 : 0));
  else if constexpr (std::is_integral_v<V>) q.bind(index, static_cast<std::int64_t>(value));
  else if constexpr (std::is_floating_point_v<V>) q.bind(index, static_cast<double>(value));
  else if constexpr (std::is_array_v<std::remove_cvref_t<T>>) q.bind(index, std::string_view(value));  // a literal
  else if constexpr (std::is_pointer_v<V>) {  // a C string; null binds NULL
    if (value) q.bind(index, std::string_view(value));
    else q.bind(index, nullptr);
  }
  else if constexpr (std::is_convertible_v<const V&, std::string_view>) q.bind(index, std::string_view(value));
  else {  // std::optional<...>
    if (value) bind_one(q, index, *value);
    else q.bind(index, nullptr);
  }
}

// A parameter known only at run time (dynamic WHERE clauses).
using Param = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

enum class Mode { read_only, read_write };

class Db {
 public:
  virtual ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Prepare (or reuse) `sql`, bind `args` to its `?` parameters in order, and return a cursor.
  template <typename... Args>
  Query query(std::string_view sql, const Args&... args) {
    Query q = prepare(sql);
    int i = 0;
    (bind_one(q, ++i, args), ...);
    return q;
  }

  // Same, with parameters collected at run time.
  Query query_with(std::string_view sql, const std::vector<Param>& params);

  // A query whose rows may be too many to hold at once (an export of every ticket): read as it
  // is walked, and other queries may run while it is open. SQLite steps through its rows
  // anyway; PostgreSQL reads them through a cursor, 2,000 at a time (inside a transaction).
  Query stream(std::string_view sql, const std::vector<Param>& params);

  // Run a statement that returns no rows; the number of rows it changed.
  template <typename... Args>
  std::int64_t run(std::string_view sql, const Args&... args) {
    Query q = query(sql, args...);
    while (q.next()) {
    }
    return changes();
  }

  // Run an INSERT into a table with an integer `id`; the new row's id. (SQLite: the rowid,
  // much cheaper than RETURNING, which costs an import half its speed; PostgreSQL: RETURNING.)
  template <typename... Args>
  std::int64_t insert(std::string_view sql, const Args&... args) {
    if (backend() == Backend::postgres) {
      Query q = query(returning_id(sql), args...);
      q.next();
      return q.int64(0);
    }
    run(sql, args...);
    return last_insert_rowid();
  }

  // The first column of the first row, if any row.
  template <typename... Args>
  std::optional<std::int64_t> one_int(std::string_view sql, const Args&... args) {
    Query q = query(sql, args...);
    if (!q.next() || q.is_null(0)) return std::nullopt;
    return q.int64(0);
  }
  template <typename... Args>
  std::optional<std::string> one_text(std::string_view sql, const Args&... args) {
    Query q = query(sql, args...);
    if (!q.next() || q.is_null(0)) return std::nullopt;
    return q.text(0);
  }

  // Execute one or more statements without parameters (schema scripts, settings).
  virtual void exec(std::string_view sql) = 0;
  // The number of rows the last statement changed.
  virtual std::int64_t changes() const = 0;
  virtual Backend backend() const = 0;
  // Where the store is, for messages: a file, or a PostgreSQL URL without its password.
  const std::filesystem::path& path() const { return m_path; }
  bool read_only() const { return m_mode == Mode::read_only; }

  // Transactions (see Transaction). A write transaction takes the store's write lock at once.
  virtual void begin(bool write) = 0;
  virtual void commit() = 0;
  virtual void rollback() noexcept = 0;

 protected:
  Db(std::filesystem::path path, Mode mode) : m_path(std::move(path)), m_mode(mode) {}
  virtual std::unique_ptr<Statement> compile(std::string_view sql) = 0;
  // A statement for stream(); the backend's ordinary one unless it has a better way.
  virtual std::unique_ptr<Statement> compile_stream(std::string_view sql) { return compile(sql); }
  virtual std::int64_t last_insert_rowid() const { return 0; }
  // Statements must be finalized before the connection closes: backends call this first.
  void clear_cache() { m_cache.clear(); }

 private:
  Query prepare(std::string_view sql);
  std::string returning_id(std::string_view sql);

  struct Cached {
    std::unique_ptr<Statement> stmt;
    bool in_use = false;
  };
  std::filesystem::path m_path;
  Mode m_mode;
  std::unordered_map<std::string, std::unique_ptr<Cached>> m_cache;
  std::unordered_map<std::string, std::string> m_returning;
};

// A SQLite database: the store's embedded backend, and any SQLite file opsdesk inspects.
class SqliteDb final : public Db {
 public:
  // Open an existing or new SQLite file; `path` ":memory:" opens a private in-memory store.
  SqliteDb(const std::filesystem::path& path, Mode mode, std::chrono::milliseconds busy_timeout);
  ~SqliteDb() override;

  void exec(std::string_view sql) override;
  std::int64_t changes() const override;
  Backend backend() const override { return Backend::sqlite; }
  void begin(bool write) override;
  void commit() override;
  void rollback() noexcept override;
  std::int64_t last_insert_rowid() const override;
  // The SQLite handle, for the few modules that need the C API.
  SQLite::Database& sqlite();

  // Turn an exception from the SQLite layer into an opsdesk::Error; rethrows others.
  [[noreturn]] void translate_current_exception(std::string_view doing) const;

 protected:
  std::unique_ptr<Statement> compile(std::string_view sql) override;

 private:
  std::unique_ptr<SQLite::Database> m_db;
};

// A transaction that rolls back unless committed. `write` takes the write lock at once
// (SQLite: BEGIN IMMEDIATE; PostgreSQL: the desk's advisory lock), so a command waits for its
// turn up front instead of failing half-way.
class Transaction {
 public:
  Transaction(Db& db, bool write) : m_db(db) { m_db.begin(write); }
  ~Transaction() {
    if (m_active) m_db.rollback();
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit() {
    m_db.commit();
    m_active = false;
  }
  bool active() const { return m_active; }

 private:
  Db& m_db;
  bool m_active = true;
};

}  // namespace opsdesk::store

namespace opsdesk::store {

// SQL whose words differ between the backends. `column` holds JSON text; `key` a top-level key.
// A number (NULL when absent), and text.
std::string json_number(const Db& db, std::string_view column, std::string_view key);
std::string json_text(const Db& db, std::string_view column, std::string_view key);

}  // namespace opsdesk::store
