#pragma once
// A plain libpq connection to some PostgreSQL database that is not the store (a database to
// back up, restore or inspect): connect with a deadline, run SQL text, read values. Messages
// name the database by a label the caller gives (a URL with any password hidden).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace opsdesk::core {

class PqConnection {
 public:
  using Row = std::vector<std::optional<std::string>>;  // nullopt: NULL

  // Connect to `url` (a postgresql:// URL), giving up after `connect_timeout` (libpq waits at
  // least 2 s). A password comes from libpq's own sources (~/.pgpass, $PGPASSFILE), or is
  // `password` when not empty. Error(unavailable) "cannot connect to LABEL: <libpq's message>".
  PqConnection(const std::string& url, std::chrono::seconds connect_timeout, std::string label,
               const std::string& password = {});
  ~PqConnection();
  PqConnection(const PqConnection&) = delete;
  PqConnection& operator=(const PqConnection&) = delete;

  // Run `sql` (one or more statements, no parameters). A failure is an Error by SQLSTATE:
  // permission for 42501 and 28xxx, unavailable for a lost connection (08xxx, 57Pxx), failed
  // otherwise, naming the label and the server's message.
  void exec(std::string_view sql);
  // The rows of one query.
  std::vector<Row> rows(std::string_view sql);
  // The first column of its first row (nullopt for NULL or no row).
  std::optional<std::string> value(std::string_view sql);
  // The server's version as it reports it ("15.18 (Debian 15.18-0+deb12u1)").
  std::string server_version() const;
  const std::string& label() const { return m_label; }
  // The libpq handle, for a caller with its own statements (the store's PostgreSQL backend).
  pg_conn* handle() { return m_conn; }

 private:
  pg_conn* m_conn = nullptr;
  std::string m_label;
};

// A libpq message on one line (they end in a newline and may run over several).
std::string pq_one_line(std::string_view text);

// `name` double-quoted, inner quotes doubled: safe for any identifier.
std::string pq_identifier(std::string_view name);
// 'text' with inner quotes doubled (standard_conforming_strings, on since 9.1).
std::string pq_literal(std::string_view text);

// `url` naming database `name` instead of its own: the path of the URL replaced, its host,
// user and parameters kept. Error(config) for a URL that names its database by a dbname=
// parameter (which would win over the path).
std::string url_with_database(std::string_view url, std::string_view name);

}  // namespace opsdesk::core
