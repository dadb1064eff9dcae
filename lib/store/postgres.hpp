#pragma once
// The PostgreSQL backend of the store (libpq): one connection, statements prepared once per
// connection, `?` parameters rewritten to `$n`, whole results fetched (so cursors may nest as
// on SQLite), write transactions serialised by an advisory lock, SQLSTATEs mapped to opsdesk
// errors.
#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/pq.hpp"
#include "store/db.hpp"

namespace opsdesk::store {

// Is `locator` a PostgreSQL connection URL (postgresql:// or postgres://)?
bool is_postgres_url(std::string_view locator);

// Does the URL carry a password (user:password@, or password= in its parameters)?
bool url_carries_password(std::string_view url);

// The URL as it may be shown: any password in it replaced by "***".
std::string redact_url(std::string_view url);

// `?` placeholders outside quotes and comments become $1, $2, ...; `count` (if given) gets
// how many there are.
std::string numbered_placeholders(std::string_view sql, int* count = nullptr);

// The advisory lock keys of a desk: (k_lock_space, k_write_lock) serialises write
// transactions; (k_lock_space, job key) is a run lock (cmd/lock).
constexpr int k_lock_space = 0x4f505344;  // "OPSD"
constexpr int k_write_lock = 1;

class PgDb final : public Db {
 public:
  // Connect to `url`. A password comes from libpq's own sources (PGPASSFILE, ~/.pgpass) or
  // from `password_file`; a URL that carries one is refused (it would show in `ps` and logs).
  PgDb(const std::string& url, Mode mode, std::chrono::milliseconds busy_timeout,
       const std::filesystem::path& password_file = {});
  ~PgDb() override;

  void exec(std::string_view sql) override;
  std::int64_t changes() const override { return m_changes; }
  Backend backend() const override { return Backend::postgres; }
  void begin(bool write) override;
  void commit() override;
  void rollback() noexcept override;

  // Take (k_lock_space, key) for the session without waiting; false when another holds it.
  bool try_session_lock(int key);

  pg_conn* handle() { return m_connection.handle(); }
  void set_changes(std::int64_t n) { m_changes = n; }
  std::chrono::milliseconds busy_timeout() const { return m_busy_timeout; }
  // Throw the error of a failed libpq call or result (`res` may be null), by SQLSTATE.
  [[noreturn]] void fail(const void* res, std::string_view doing) const;

 protected:
  std::unique_ptr<Statement> compile(std::string_view sql) override;
  std::unique_ptr<Statement> compile_stream(std::string_view sql) override;

 private:
  core::PqConnection m_connection;
  pg_conn* m_conn;
  std::int64_t m_changes = 0;
  std::chrono::milliseconds m_busy_timeout;
  int m_next_name = 0;
};

}  // namespace opsdesk::store
