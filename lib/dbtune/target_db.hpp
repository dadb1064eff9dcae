#pragma once
// A connection to a database being tuned (not the store): the SQLite C API behind a few calls,
// with errors that name the database. Busy or locked → Error(busy) (exit 75).
#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace opsdesk::dbtune {

// "name" with inner quotes doubled: safe for any identifier.
std::string quote(std::string_view identifier);
// 'text' with inner quotes doubled.
std::string quote_literal(std::string_view text);

using Value = std::variant<std::nullptr_t, std::int64_t, double, std::string>;

struct Row {
  std::vector<Value> cells;
  bool is_null(std::size_t i) const { return std::holds_alternative<std::nullptr_t>(cells.at(i)); }
  std::int64_t int64(std::size_t i) const;
  double real(std::size_t i) const;
  std::string text(std::size_t i) const;
};

class TargetDb {
 public:
  enum class Mode { read_only, read_write, memory };
  // `label` names the database in messages (the target's name, or its path).
  TargetDb(const std::filesystem::path& path, Mode mode, std::chrono::milliseconds busy_timeout, std::string label);
  ~TargetDb();
  TargetDb(const TargetDb&) = delete;
  TargetDb& operator=(const TargetDb&) = delete;

  void exec(std::string_view sql);
  std::vector<Row> rows(std::string_view sql, const std::vector<Value>& params = {});
  std::optional<Row> row(std::string_view sql, const std::vector<Value>& params = {});
  std::int64_t integer(std::string_view sql, const std::vector<Value>& params = {});  // 0 without a row
  sqlite3* handle() const { return m_db; }
  const std::string& label() const { return m_label; }
  // An error from the last call on this connection, as an opsdesk Error.
  [[noreturn]] void fail(int rc, std::string_view doing) const;

 private:
  sqlite3* m_db = nullptr;
  std::string m_label;
};

}  // namespace opsdesk::dbtune
