#include "core/pq.hpp"

#include <fmt/format.h>
#include "core/libpq.hpp"

#include <algorithm>
#include <memory>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::core {

namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { libpq().PQclear(r); }
};
using Result = std::unique_ptr<PGresult, ResultDeleter>;

void quiet_notices(void*, const char*) {}

}  // namespace

// libpq's messages end in a newline and may run over several lines ("connection to server ...
// failed: ...\n\tIs the server running ...?"): one line.
std::string pq_one_line(std::string_view text) {
  std::string out;
  for (const char c : trim(text)) {
    if (c == '\n' || c == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
      continue;
    }
    out += c;
  }
  return out;
}

PqConnection::PqConnection(const std::string& url, std::chrono::seconds connect_timeout, std::string label,
                           const std::string& password)
    : m_label(std::move(label)) {
  const auto seconds = std::to_string(std::max<long long>(2, connect_timeout.count()));
  // dbname first: the URL is expanded there, and the keywords after it win over its parameters.
  const char* keys[] = {"dbname", "connect_timeout", "application_name", "client_encoding", "password", nullptr};
  const char* values[] = {url.c_str(), seconds.c_str(), "opsdesk", "UTF8", password.c_str(), nullptr};
  if (password.empty()) keys[4] = values[4] = nullptr;
  m_conn = libpq().PQconnectdbParams(keys, values, 1);
  if (!m_conn || libpq().PQstatus(m_conn) != CONNECTION_OK) {
    const std::string why = m_conn ? pq_one_line(libpq().PQerrorMessage(m_conn)) : "out of memory";
    if (m_conn) libpq().PQfinish(m_conn);
    m_conn = nullptr;
    throw Error(ErrorKind::unavailable, fmt::format("cannot connect to {}: {}", m_label, why));
  }
  libpq().PQsetNoticeProcessor(m_conn, quiet_notices, nullptr);
}

PqConnection::~PqConnection() {
  if (m_conn) libpq().PQfinish(m_conn);
}

std::vector<PqConnection::Row> PqConnection::rows(std::string_view sql) {
  Result r(libpq().PQexec(m_conn, std::string(sql).c_str()));
  const auto status = r ? libpq().PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    const char* state = r ? libpq().PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
    const char* primary = r ? libpq().PQresultErrorField(r.get(), PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const std::string code = state ? state : "";
    const std::string msg = pq_one_line(primary ? primary : libpq().PQerrorMessage(m_conn));
    if (code == "42501" || code.starts_with("28")) throw Error(ErrorKind::permission, fmt::format("{} refused it: {}", m_label, msg));
    if ((code.empty() && libpq().PQstatus(m_conn) != CONNECTION_OK) || code.starts_with("08") || code.starts_with("57P"))
      throw Error(ErrorKind::unavailable, fmt::format("lost the connection to {}: {}", m_label, msg));
    throw Error(ErrorKind::failed, fmt::format("{}: {}", m_label, msg));
  }
  std::vector<Row> out;
  const int n = libpq().PQntuples(r.get());
  const int columns = libpq().PQnfields(r.get());
  for (int i = 0; i < n; ++i) {
    Row row;
    for (int c = 0; c < columns; ++c)
      row.push_back(libpq().PQgetisnull(r.get(), i, c) ? std::nullopt : std::optional<std::string>(libpq().PQgetvalue(r.get(), i, c)));
    out.push_back(std::move(row));
  }
  return out;
}

void PqConnection::exec(std::string_view sql) { rows(sql); }

std::optional<std::string> PqConnection::value(std::string_view sql) {
  const auto all = rows(sql);
  if (all.empty() || all.front().empty()) return std::nullopt;
  return all.front().front();
}

std::string PqConnection::server_version() const {
  const char* v = libpq().PQparameterStatus(m_conn, "server_version");
  return v ? v : "";
}

std::string pq_identifier(std::string_view name) {
  std::string out = "\"";
  for (const char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string pq_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string url_with_database(std::string_view url, std::string_view name) {
  const auto query = url.find('?');
  const std::string_view params = query == std::string_view::npos ? std::string_view() : url.substr(query);
  if (params.find("?dbname=") != std::string_view::npos || params.find("&dbname=") != std::string_view::npos)
    throw Error(ErrorKind::config, fmt::format("the URL {} names its database by a dbname= parameter; name it in the path "
                                               "instead (postgresql://host/DATABASE)",
                                               url.substr(0, query)));
  const std::string_view base = url.substr(0, query);
  const auto scheme = base.find("://");
  const auto authority = scheme == std::string_view::npos ? 0 : scheme + 3;
  const auto slash = base.find('/', authority);
  const std::string_view server = slash == std::string_view::npos ? base : base.substr(0, slash);
  return fmt::format("{}/{}{}", server, name, params);
}

}  // namespace opsdesk::core
