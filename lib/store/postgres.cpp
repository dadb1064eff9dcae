#include "store/postgres.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/libpq.hpp"
#include "core/strings.hpp"

namespace opsdesk::store {

namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { core::libpq().PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

bool ok(const PGresult* r) {
  const auto s = core::libpq().PQresultStatus(r);
  return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

std::int64_t affected(const PGresult* r) {
  const char* n = core::libpq().PQcmdTuples(const_cast<PGresult*>(r));
  return n && *n ? std::strtoll(n, nullptr, 10) : 0;
}

class PgStatement final : public Statement {
 public:
  // `cursor`: read the rows through a cursor, a batch at a time (Db::stream).
  PgStatement(PgDb& db, std::string name, std::string_view sql, bool cursor = false)
      : m_db(db), m_name(std::move(name)), m_cursor(cursor) {
    int n = 0;
    m_sql = numbered_placeholders(sql, &n);
    m_values.resize(static_cast<std::size_t>(n));
    m_null.assign(static_cast<std::size_t>(n), true);
  }

  ~PgStatement() override { reset(); }  // (a cursor closed)

  bool step() override {
    if (m_cursor) return step_cursor();
    if (!m_res) {
      const auto values = parameters();
      // Parameter types are left to the server to infer from where they stand, as SQLite would
      // take any value: an integer bound to a text column is sent as its digits. A statement
      // used once (most, in a command) costs one round trip; the second use prepares it.
      const int n = static_cast<int>(values.size());
      if (m_runs++ == 0) {
        m_res.reset(core::libpq().PQexecParams(m_db.handle(), m_sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0));
      } else {
        if (!m_prepared) {
          Result r(core::libpq().PQprepare(m_db.handle(), m_name.c_str(), m_sql.c_str(), 0, nullptr));
          if (!r || !ok(r.get())) m_db.fail(r.get(), "prepare a query");
          m_prepared = true;
        }
        m_res.reset(core::libpq().PQexecPrepared(m_db.handle(), m_name.c_str(), n, values.data(), nullptr, nullptr, 0));
      }
      if (!m_res || !ok(m_res.get())) {
        Result failed = std::move(m_res);
        m_db.fail(failed.get(), "query the store");
      }
      m_db.set_changes(affected(m_res.get()));
      m_rows = core::libpq().PQntuples(m_res.get());
      m_row = -1;
    }
    return ++m_row < m_rows;
  }
  void reset() noexcept override {
    if (m_declared) Result(core::libpq().PQexec(m_db.handle(), ("CLOSE " + m_name).c_str()));
    m_declared = false;
    m_res.reset();
    m_null.assign(m_null.size(), true);
  }
  void bind(int index, std::nullptr_t) override { slot(index) = nullptr; }
  void bind(int index, std::int64_t value) override { slot(index) = std::to_string(value); }
  void bind(int index, double value) override { slot(index) = fmt::format("{}", value); }
  void bind(int index, std::string_view value) override { slot(index) = std::string(value); }

  // Integers come as digits; booleans (comparisons, EXISTS) as t/f, which SQLite gives as 1/0;
  // a numeric (sum, avg, division) is cut to its integer part as SQLite casts a real.
  std::int64_t int64(int col) const override {
    const char* v = core::libpq().PQgetvalue(m_res.get(), m_row, col);
    const std::size_t n = static_cast<std::size_t>(core::libpq().PQgetlength(m_res.get(), m_row, col));
    if (n == 0) return 0;
    if (n == 1 && (*v == 't' || *v == 'f')) return *v == 't' ? 1 : 0;
    std::int64_t out = 0;
    const auto [end, ec] = std::from_chars(v, v + n, out);
    if (ec == std::errc() && end == v + n) return out;
    return static_cast<std::int64_t>(std::trunc(std::strtod(v, nullptr)));
  }
  double real(int col) const override {
    const char* v = core::libpq().PQgetvalue(m_res.get(), m_row, col);
    if (v[0] == 't' && v[1] == 0) return 1.0;
    return std::strtod(v, nullptr);
  }
  std::string text(int col) const override {
    return std::string(core::libpq().PQgetvalue(m_res.get(), m_row, col),
                       static_cast<std::size_t>(core::libpq().PQgetlength(m_res.get(), m_row, col)));
  }
  bool is_null(int col) const override { return core::libpq().PQgetisnull(m_res.get(), m_row, col) != 0; }
  int columns() const override { return m_res ? core::libpq().PQnfields(m_res.get()) : 0; }
  std::string column_name(int col) const override { return core::libpq().PQfname(m_res.get(), col); }

 private:
  struct Slot {
    PgStatement* s;
    std::size_t i;
    Slot& operator=(std::nullptr_t) {
      s->m_null[i] = true;
      return *this;
    }
    Slot& operator=(std::string v) {
      s->m_values[i] = std::move(v);
      s->m_null[i] = false;
      return *this;
    }
  };
  Slot slot(int index) {
    if (index < 1 || static_cast<std::size_t>(index) > m_values.size())
      throw Error(ErrorKind::internal, fmt::format("parameter {} of a query with {}", index, m_values.size()));
    return Slot{this, static_cast<std::size_t>(index - 1)};
  }

  static constexpr int k_batch = 2000;

  std::vector<const char*> parameters() const {
    std::vector<const char*> values(m_values.size());
    for (std::size_t i = 0; i < values.size(); ++i) values[i] = m_null[i] ? nullptr : m_values[i].c_str();
    return values;
  }

  bool step_cursor() {
    if (!m_declared) {
      const auto values = parameters();
      const std::string declare = "DECLARE " + m_name + " NO SCROLL CURSOR FOR " + m_sql;
      Result r(core::libpq().PQexecParams(m_db.handle(), declare.c_str(), static_cast<int>(values.size()), nullptr,
                                          values.data(), nullptr, nullptr, 0));
      if (!r || !ok(r.get())) m_db.fail(r.get(), "query the store");
      m_declared = true;
      fetch();
    }
    if (++m_row < m_rows) return true;
    if (m_rows < k_batch) return false;  // that batch was the last
    fetch();
    return ++m_row < m_rows;
  }

  void fetch() {
    m_res.reset(core::libpq().PQexec(m_db.handle(), fmt::format("FETCH {} FROM {}", k_batch, m_name).c_str()));
    if (!m_res || !ok(m_res.get())) {
      Result failed = std::move(m_res);
      m_db.fail(failed.get(), "query the store");
    }
    m_rows = core::libpq().PQntuples(m_res.get());
    m_row = -1;
  }

  PgDb& m_db;
  std::string m_name;
  bool m_cursor = false;
  bool m_declared = false;
  std::string m_sql;
  int m_runs = 0;
  bool m_prepared = false;
  std::vector<std::string> m_values;
  std::vector<bool> m_null;
  Result m_res;
  int m_rows = 0;
  int m_row = -1;
};

}  // namespace

bool url_carries_password(std::string_view url) {
  const auto scheme = url.find("://");
  const auto rest = scheme == std::string_view::npos ? url : url.substr(scheme + 3);
  const auto at = rest.find('@');
  const auto slash = rest.find('/');
  if (at != std::string_view::npos && (slash == std::string_view::npos || at < slash) &&
      rest.substr(0, at).find(':') != std::string_view::npos)
    return true;
  const auto query = url.find('?');
  return query != std::string_view::npos && (url.find("password=", query) != std::string_view::npos);
}

bool is_postgres_url(std::string_view locator) {
  return locator.starts_with("postgresql://") || locator.starts_with("postgres://");
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  const auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    const auto start = scheme + 3;
    const auto at = out.find('@', start);
    const auto slash = out.find('/', start);
    if (at != std::string::npos && (slash == std::string::npos || at < slash)) {
      const auto colon = out.find(':', start);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  const auto query = out.find('?');
  if (query != std::string::npos) {
    auto p = out.find("password=", query);
    if (p != std::string::npos) {
      p += 9;
      const auto end = out.find('&', p);
      out.replace(p, (end == std::string::npos ? out.size() : end) - p, "***");
    }
  }
  return out;
}

std::string numbered_placeholders(std::string_view sql, int* count) {
  std::string out;
  out.reserve(sql.size() + 16);
  int n = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {  // a literal or quoted name, with doubled quotes inside
      const auto end = sql.find(c, i + 1);
      const auto stop = end == std::string_view::npos ? sql.size() : end + 1;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '-' && i + 1 < sql.size() && sql[i + 1] == '-') {
      const auto end = sql.find('\n', i);
      const auto stop = end == std::string_view::npos ? sql.size() : end;
      out.append(sql.substr(i, stop - i));
      i = stop - 1;
    } else if (c == '?') {
      out += '$';
      out += std::to_string(++n);
    } else {
      out += c;
    }
  }
  if (count) *count = n;
  return out;
}

namespace {

// Refused before any connection: a password on the command line shows in `ps` and logs.
const std::string& checked_url(const std::string& url) {
  if (url_carries_password(url))
    throw Error(ErrorKind::usage,
                fmt::format("the store URL {} carries a password; put it in ~/.pgpass (or $PGPASSFILE) or in the file "
                            "named by store.password_file instead",
                            redact_url(url)));
  return url;
}

std::string password_in(const std::filesystem::path& file) {
  return file.empty() ? std::string() : std::string(core::trim(core::read_file(file)));
}

}  // namespace

PgDb::PgDb(const std::string& url, Mode mode, std::chrono::milliseconds busy_timeout,
           const std::filesystem::path& password_file)
    : Db(redact_url(url), mode),
      m_connection(checked_url(url), std::chrono::ceil<std::chrono::seconds>(busy_timeout),
                   "the store " + redact_url(url), password_in(password_file)),
      m_conn(m_connection.handle()),
      m_busy_timeout(busy_timeout) {
  exec(mode == Mode::read_only ? "SET default_transaction_read_only = on" : "SET default_transaction_read_only = off");
}

PgDb::~PgDb() { clear_cache(); }

std::unique_ptr<Statement> PgDb::compile(std::string_view sql) {
  return std::make_unique<PgStatement>(*this, "s" + std::to_string(++m_next_name), sql);
}

std::unique_ptr<Statement> PgDb::compile_stream(std::string_view sql) {
  return std::make_unique<PgStatement>(*this, "c" + std::to_string(++m_next_name), sql, true);
}

void PgDb::exec(std::string_view sql) {
  Result r(core::libpq().PQexec(m_conn, std::string(sql).c_str()));
  if (!r || !ok(r.get())) fail(r.get(), "update the store");
  m_changes = affected(r.get());
}

void PgDb::begin(bool write) {
  if (!write) {
    exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
    return;
  }
  // The equivalent of SQLite's BEGIN IMMEDIATE, across hosts: one writer at a time, waiting at
  // most the busy timeout for its turn.
  exec(fmt::format("BEGIN; SET LOCAL lock_timeout = {}; SELECT pg_advisory_xact_lock({}, {})", m_busy_timeout.count(),
                   k_lock_space, k_write_lock));
}

void PgDb::commit() { exec("COMMIT"); }

void PgDb::rollback() noexcept {
  Result r(core::libpq().PQexec(m_conn, "ROLLBACK"));
}

bool PgDb::try_session_lock(int key) {
  Result r(core::libpq().PQexec(m_conn, fmt::format("SELECT pg_try_advisory_lock({}, {})", k_lock_space, key).c_str()));
  if (!r || !ok(r.get())) fail(r.get(), "take a lock");
  return core::libpq().PQgetvalue(r.get(), 0, 0)[0] == 't';
}

void PgDb::fail(const void* result, std::string_view doing) const {
  const auto* res = static_cast<const PGresult*>(result);
  const char* state = res ? core::libpq().PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  const char* primary = res ? core::libpq().PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
  const std::string msg = core::pq_one_line(primary ? primary : core::libpq().PQerrorMessage(m_conn));
  const std::string where = path().string();
  const std::string code = state ? state : "";
  if (code.empty() && core::libpq().PQstatus(m_conn) != CONNECTION_OK)
    throw Error(ErrorKind::unavailable, fmt::format("lost the connection to the store {}: {}", where, msg));
  if (code == "55P03" || code == "57014")
    throw Error(ErrorKind::busy, fmt::format("the store {} is busy (another opsdesk is writing it); try again", where));
  if (code == "40001" || code == "40P01")
    throw Error(ErrorKind::busy,
                fmt::format("cannot {}: it conflicted with another writer of the store {}; try again", doing, where));
  if (code.starts_with("08") || code.starts_with("57P") || code == "53300" || code == "3D000")
    throw Error(ErrorKind::unavailable, fmt::format("the store {} is unavailable: {}", where, msg));
  if (code == "53100")
    throw Error(ErrorKind::io, fmt::format("cannot {}: the disk of the database server of {} is full", doing, where));
  if (code.starts_with("23") || code.starts_with("22"))
    throw Error(ErrorKind::data, fmt::format("cannot {}: {}", doing, msg));
  if (code == "42501" || code.starts_with("28"))
    throw Error(ErrorKind::permission,
                fmt::format("cannot {}: the database refused it ({}): {}", doing, where, msg));
  throw Error(ErrorKind::internal, fmt::format("cannot {}: {} [{}] ({})", doing, msg, code, where));
}

}  // namespace opsdesk::store
