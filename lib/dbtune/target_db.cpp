#include "dbtune/target_db.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace opsdesk::dbtune {

std::string quote(std::string_view identifier) {
  std::string out = "\"";
  for (char c : identifier) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + '\'';
}

std::int64_t Row::int64(std::size_t i) const {
  const auto& v = cells.at(i);
  if (auto p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto p = std::get_if<double>(&v)) return static_cast<std::int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) return std::strtoll(p->c_str(), nullptr, 10);
  return 0;
}

double Row::real(std::size_t i) const {
  const auto& v = cells.at(i);
  if (auto p = std::get_if<double>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) return std::strtod(p->c_str(), nullptr);
  return 0;
}

std::string Row::text(std::size_t i) const {
  const auto& v = cells.at(i);
  if (auto p = std::get_if<std::string>(&v)) return *p;
  if (auto p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (auto p = std::get_if<double>(&v)) return fmt::format("{}", *p);
  return {};
}

TargetDb::TargetDb(const std::filesystem::path& path, Mode mode, std::chrono::milliseconds busy_timeout, std::string label)
    : m_label(std::move(label)) {
  int flags = SQLITE_OPEN_NOMUTEX;
  std::string name = path.string();
  if (mode == Mode::memory) {
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY;
    name = ":memory:";
  } else {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
      throw Error(ErrorKind::not_found, fmt::format("database {} not found: {} is not a file", m_label, path.string()));
    flags |= mode == Mode::read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  }
  try {
    const int rc = sqlite3_open_v2(name.c_str(), &m_db, flags, nullptr);  // a handle even on failure
    if (rc != SQLITE_OK) fail(rc, "open");
    sqlite3_busy_timeout(m_db, static_cast<int>(busy_timeout.count()));
    sqlite3_extended_result_codes(m_db, 0);
    if (mode != Mode::memory) {
      // A file that is not a database says so on the first read.
      const int check = sqlite3_exec(m_db, "SELECT count(*) FROM sqlite_schema", nullptr, nullptr, nullptr);
      if (check != SQLITE_OK) fail(check, "read");
    }
  } catch (...) {
    sqlite3_close_v2(m_db);  // the destructor does not run for a constructor that throws
    m_db = nullptr;
    throw;
  }
}

TargetDb::~TargetDb() { sqlite3_close_v2(m_db); }

void TargetDb::fail(int rc, std::string_view doing) const {
  const std::string detail = m_db ? sqlite3_errmsg(m_db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw Error(ErrorKind::busy, fmt::format("database {} is busy (another process holds its lock); nothing was changed "
                                               "by this step; try again later",
                                               m_label));
    case SQLITE_NOTADB:
      throw Error(ErrorKind::data, fmt::format("database {} is not a SQLite database", m_label));
    case SQLITE_CANTOPEN:
      throw Error(ErrorKind::unavailable, fmt::format("cannot open database {}: {}", m_label, detail));
    case SQLITE_FULL:
      throw Error(ErrorKind::io, fmt::format("cannot {} database {}: the disk is full", doing, m_label));
    case SQLITE_CORRUPT:
      throw Error(ErrorKind::data, fmt::format("database {} is damaged: {}", m_label, detail));
    case SQLITE_READONLY:
      throw Error(ErrorKind::unavailable, fmt::format("cannot {} database {}: it is read-only here ({})", doing, m_label, detail));
    default:
      throw Error(ErrorKind::failed, fmt::format("cannot {} database {}: {}", doing, m_label, detail));
  }
}

void TargetDb::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &message);
  sqlite3_free(message);
  if (rc != SQLITE_OK) fail(rc, "change");
}

std::vector<Row> TargetDb::rows(std::string_view sql, const std::vector<Value>& params) {
  sqlite3_stmt* st = nullptr;
  int rc = sqlite3_prepare_v2(m_db, sql.data(), static_cast<int>(sql.size()), &st, nullptr);
  if (rc != SQLITE_OK) fail(rc, "read");
  struct Finalize {
    sqlite3_stmt* st;
    ~Finalize() { sqlite3_finalize(st); }
  } guard{st};
  int i = 0;
  for (const auto& p : params) {
    ++i;
    if (auto v = std::get_if<std::int64_t>(&p)) sqlite3_bind_int64(st, i, *v);
    else if (auto d = std::get_if<double>(&p)) sqlite3_bind_double(st, i, *d);
    else if (auto s = std::get_if<std::string>(&p)) sqlite3_bind_text(st, i, s->data(), static_cast<int>(s->size()), SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, i);
  }
  std::vector<Row> out;
  const int n = sqlite3_column_count(st);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    Row r;
    r.cells.reserve(static_cast<std::size_t>(n));
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(st, c)) {
        case SQLITE_INTEGER: r.cells.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(st, c))); break;
        case SQLITE_FLOAT: r.cells.emplace_back(sqlite3_column_double(st, c)); break;
        case SQLITE_NULL: r.cells.emplace_back(nullptr); break;
        default: {
          const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, c));
          r.cells.emplace_back(std::string(p ? p : "", static_cast<std::size_t>(sqlite3_column_bytes(st, c))));
        }
      }
    }
    out.push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) fail(rc, "read");
  return out;
}

std::optional<Row> TargetDb::row(std::string_view sql, const std::vector<Value>& params) {
  auto all = rows(sql, params);
  if (all.empty()) return std::nullopt;
  return std::move(all.front());
}

std::int64_t TargetDb::integer(std::string_view sql, const std::vector<Value>& params) {
  const auto r = row(sql, params);
  return r && !r->cells.empty() ? r->int64(0) : 0;
}

}  // namespace opsdesk::dbtune
