#pragma once
// A connection to the store with cached prepared statements and typed binding. SQLite sits
// behind it (SQLiteCpp); callers see only this interface and portable SQL with `?` parameters.
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
class Statement;
}  // namespace SQLite

namespace opsdesk::store {

class Db;

// A cursor over one execution of a prepared statement; the statement is reset when the
// cursor goes away. Columns are 0-based.
class Query {
 public:
  // `in_use` is the cache's flag for a cached statement, null for a one-off statement.
  Query(Db& db, SQLite::Statement& stmt, bool* in_use);
  Query(Query&& other) noexcept;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query();

  // Step to the next row; false when there are no more.
  bool next();
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  bool is_null(int col) const;
  std::optional<std::string> opt_text(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;

  // Binding, 1-based; used by Db::query.
  void bind(int index, std::nullptr_t);
  void bind(int index, std::int64_t value);
  void bind(int index, double value);
  void bind(int index, std::string_view value);

 private:
  Db* m_db;
  SQLite::Statement* m_stmt;
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
  // Open an existing or new SQLite file; `path` ":memory:" opens a private in-memory store.
  Db(const std::filesystem::path& path, Mode mode, std::chrono::milliseconds busy_timeout);
  ~Db();
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

  // Run a statement that returns no rows; the number of rows it changed.
  template <typename... Args>
  std::int64_t run(std::string_view sql, const Args&... args) {
    Query q = query(sql, args...);
    while (q.next()) {
    }
    return changes();
  }

  // Run an INSERT into a table with an integer id; the new row's id. (SQLite: the rowid; much
  // cheaper than RETURNING, which costs an import half its speed.)
  template <typename... Args>
  std::int64_t insert(std::string_view sql, const Args&... args) {
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

  // Execute one or more statements without parameters (schema scripts, pragmas).
  void exec(std::string_view sql);
  std::int64_t changes() const;
  std::int64_t last_insert_rowid() const;
  const std::filesystem::path& path() const { return m_path; }
  bool read_only() const { return m_mode == Mode::read_only; }
  // The SQLite handle, for the few modules that need the C API (backup, dbtune).
  SQLite::Database& sqlite();

  // Turn an exception from the SQLite layer into an opsdesk::Error; rethrows others.
  [[noreturn]] void translate_current_exception(std::string_view doing) const;

 private:
  friend class Query;
  Query prepare(std::string_view sql);

  struct Cached;
  std::filesystem::path m_path;
  Mode m_mode;
  std::unique_ptr<SQLite::Database> m_db;
  std::unordered_map<std::string, std::unique_ptr<Cached>> m_cache;
};

// A transaction that rolls back unless committed. `write` takes the write lock at once
// (BEGIN IMMEDIATE), so a command waits for its turn up front instead of failing half-way.
class Transaction {
 public:
  Transaction(Db& db, bool write);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();
  bool active() const { return m_active; }

 private:
  Db& m_db;
  bool m_active = true;
};

}  // namespace opsdesk::store
