#include "inspect/net.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <algorithm>
#include <memory>

#include "core/strings.hpp"

namespace opsdesk::inspect {

namespace {

using Clock = std::chrono::steady_clock;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

struct SslDeleter {
  void operator()(SSL* s) const { SSL_free(s); }
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  void operator()(X509* x) const { X509_free(x); }
};

// Rounded up: a poll that returns "nothing yet" has then really reached the
// deadline, so the caller's timed_out() agrees with it.
int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  while (true) {
    const int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

// Connect to host:port before `deadline`; -1 with `error` set when it cannot.
int connect_to(const std::string& host, int port, Clock::time_point deadline, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0) {
    error = fmt::format("cannot resolve {}: {}", host, ::gai_strerror(rc));
    return -1;
  }
  std::unique_ptr<addrinfo, void (*)(addrinfo*)> guard(found, ::freeaddrinfo);
  error = fmt::format("cannot connect to {} port {}", host, port);
  for (addrinfo* a = found; a; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) return fd;
    if (errno == EINPROGRESS) {
      if (!wait_for(fd, POLLOUT, deadline)) {
        ::close(fd);
        error = fmt::format("connection to {} port {} timed out", host, port);
        return -1;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      if (err == 0) return fd;
      error = fmt::format("connect to {} port {}: {}", host, port, std::strerror(err));
    } else {
      error = fmt::format("connect to {} port {}: {}", host, port, std::strerror(errno));
    }
    ::close(fd);
  }
  return -1;
}

// A plain or TLS connection with deadline-bound reads and writes.
class Connection {
 public:
  bool open(const std::string& host, int port, bool tls, bool verify, const std::string& ca_file,
            Clock::time_point deadline, std::string& error) {
    m_deadline = deadline;
    m_fd.fd = connect_to(host, port, deadline, error);
    if (m_fd.fd < 0) return false;
    if (!tls) return true;
    m_ctx.reset(SSL_CTX_new(TLS_client_method()));
    if (!m_ctx) return fail_tls("cannot set up TLS", error);
    if (verify) {
      SSL_CTX_set_verify(m_ctx.get(), SSL_VERIFY_PEER, nullptr);
      const bool loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(m_ctx.get()) == 1
                                          : SSL_CTX_load_verify_locations(m_ctx.get(), ca_file.c_str(), nullptr) == 1;
      if (!loaded) return fail_tls(ca_file.empty() ? "cannot load the system CA certificates" : "cannot load " + ca_file, error);
    }
    m_ssl.reset(SSL_new(m_ctx.get()));
    SSL_set_fd(m_ssl.get(), m_fd.fd);
    // SSL_set_tlsext_host_name, without the macro's C-style cast
    SSL_ctrl(m_ssl.get(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, const_cast<char*>(host.c_str()));
    if (verify) SSL_set1_host(m_ssl.get(), host.c_str());
    while (true) {
      const int rc = SSL_connect(m_ssl.get());
      if (rc == 1) return true;
      const int why = SSL_get_error(m_ssl.get(), rc);
      if ((why == SSL_ERROR_WANT_READ && wait_for(m_fd.fd, POLLIN, deadline)) ||
          (why == SSL_ERROR_WANT_WRITE && wait_for(m_fd.fd, POLLOUT, deadline)))
        continue;
      const long verified = SSL_get_verify_result(m_ssl.get());
      if (verify && verified != X509_V_OK) {
        error = fmt::format("certificate of {} not trusted: {}", host, X509_verify_cert_error_string(verified));
        return false;
      }
      return fail_tls(why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE ? "TLS handshake timed out"
                                                                                : "TLS handshake failed",
                      error);
    }
  }

  bool write_all(std::string_view data) {
    while (!data.empty()) {
      const long n = m_ssl ? SSL_write(m_ssl.get(), data.data(), static_cast<int>(data.size()))
                           : ::send(m_fd.fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n > 0) {
        data.remove_prefix(static_cast<std::size_t>(n));
        continue;
      }
      if (!again(n, true)) return false;
    }
    return true;
  }

  // Append what arrives to `out`; false at the end of the stream, an error or the deadline.
  bool read_some(std::string& out) {
    char buf[16384];
    while (true) {
      const long n = m_ssl ? SSL_read(m_ssl.get(), buf, sizeof buf) : ::recv(m_fd.fd, buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, static_cast<std::size_t>(n));
        return true;
      }
      if (n == 0 && !m_ssl) return false;
      if (!again(n, false)) return false;
    }
  }

  bool timed_out() const { return Clock::now() >= m_deadline; }
  SSL* ssl() const { return m_ssl.get(); }

 private:
  bool again(long n, bool writing) {
    if (m_ssl) {
      const int why = SSL_get_error(m_ssl.get(), static_cast<int>(n));
      if (why == SSL_ERROR_WANT_READ) return wait_for(m_fd.fd, POLLIN, m_deadline);
      if (why == SSL_ERROR_WANT_WRITE) return wait_for(m_fd.fd, POLLOUT, m_deadline);
      return false;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
      return wait_for(m_fd.fd, writing ? POLLOUT : POLLIN, m_deadline);
    return false;
  }

  bool fail_tls(const std::string& what, std::string& error) {
    const unsigned long e = ERR_get_error();
    error = e ? fmt::format("{}: {}", what, ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "unknown") : what;
    return false;
  }

  Fd m_fd;
  std::unique_ptr<SSL_CTX, SslDeleter> m_ctx;
  std::unique_ptr<SSL, SslDeleter> m_ssl;
  Clock::time_point m_deadline;
};

Measurement fail(State s, std::string what) {
  Measurement m;
  m.forced = s;
  m.what = std::move(what);
  return m;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::optional<core::Timestamp> not_after(X509* cert) {
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) != 1) return std::nullopt;
  return static_cast<core::Timestamp>(::timegm(&tm));
}

std::string subject(X509* cert) {
  char buf[256] = {0};
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

Measurement expiry(X509* cert, core::Timestamp now, const std::string& where) {
  const auto end = not_after(cert);
  if (!end) return fail(State::unknown, fmt::format("cannot read the expiry of {}", where));
  const double days = static_cast<double>(*end - now) / 86400.0;
  Measurement m;
  m.what = days < 0 ? fmt::format("{} ({}) expired {:.0f} days ago", where, subject(cert), -days)
                    : fmt::format("{} ({}) expires in {:.1f} days ({})", where, subject(cert), days,
                                  core::format_rfc3339(*end));
  m.metrics = {{"days", days, "", std::nullopt, std::nullopt}};
  return m;
}

std::string base64(std::string_view s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

std::optional<Url> parse_url(std::string_view text) {
  Url u;
  const auto scheme = text.find("://");
  if (scheme == std::string_view::npos) return std::nullopt;
  u.scheme = core::to_lower(text.substr(0, scheme));
  if (u.scheme != "http" && u.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(scheme + 3);
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  u.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const auto creds = authority.substr(0, at);
    const auto colon = creds.find(':');
    u.user = std::string(creds.substr(0, colon));
    if (colon != std::string_view::npos) u.password = std::string(creds.substr(colon + 1));
    authority = authority.substr(at + 1);
  }
  std::string_view port;
  if (authority.starts_with("[")) {  // [::1]:8443
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    u.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    const auto colon = authority.rfind(':');
    u.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  u.port = u.scheme == "https" ? 443 : 80;
  if (!port.empty()) {
    const auto p = core::parse_int(port);
    if (!p || *p < 1 || *p > 65535) return std::nullopt;
    u.port = static_cast<int>(*p);
  }
  return u;
}

std::string shown_url(const Url& u) {
  const std::string creds = u.user.empty() ? "" : u.user + (u.password.empty() ? "" : ":<redacted>") + "@";
  const bool default_port = (u.scheme == "http" && u.port == 80) || (u.scheme == "https" && u.port == 443);
  const std::string host = u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host;
  return fmt::format("{}://{}{}{}{}", u.scheme, creds, host, default_port ? "" : ":" + std::to_string(u.port), u.path);
}

Measurement probe_tcp(const config::Config::Check& c) {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(c.timeout);
  Connection conn;
  std::string error;
  if (!conn.open(c.host, c.port, false, false, "", deadline, error)) return fail(State::critical, error);
  if (!c.send.empty() && !conn.write_all(c.send)) return fail(State::critical, "cannot send to " + c.host);
  if (!c.expect.empty()) {
    std::string got;
    while (got.find(c.expect) == std::string::npos && got.size() < 65536 && conn.read_some(got)) {
    }
    if (got.find(c.expect) == std::string::npos)
      return fail(State::critical, conn.timed_out() ? fmt::format("no \"{}\" from {} port {} before the timeout", c.expect, c.host, c.port)
                                                    : fmt::format("\"{}\" not in the answer of {} port {}", c.expect, c.host, c.port));
  }
  const double t = seconds_since(start);
  Measurement m;
  m.what = fmt::format("{:.3f} s response time on {} port {}", t, c.host, c.port);
  m.metrics = {{"time", t, "s", 0.0, static_cast<double>(c.timeout)}};
  return m;
}

Measurement probe_http(const config::Config::Check& c) {
  const auto url = parse_url(c.url);
  if (!url) return fail(State::unknown, fmt::format("cannot parse the URL {}", c.url));
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::seconds(c.timeout);
  Connection conn;
  std::string error;
  if (!conn.open(url->host, url->port, url->scheme == "https", c.verify, c.ca_file, deadline, error))
    return fail(State::critical, error);
  std::string request = fmt::format("GET {} HTTP/1.0\r\nHost: {}\r\nUser-Agent: opsdesk/{}\r\nAccept: */*\r\n", url->path,
                                    url->host, OPSDESK_VERSION);
  if (!url->user.empty()) request += "Authorization: Basic " + base64(url->user + ":" + url->password) + "\r\n";
  request += "Connection: close\r\n\r\n";
  if (!conn.write_all(request)) return fail(State::critical, "cannot send the request to " + shown_url(*url));
  std::string response;
  while (response.size() < (1u << 20) && conn.read_some(response)) {
  }
  const double t = seconds_since(start);
  if (response.empty())
    return fail(State::critical, conn.timed_out() ? fmt::format("no answer from {} within {}s", shown_url(*url), c.timeout)
                                                  : fmt::format("{} closed the connection without an answer", shown_url(*url)));
  const auto line_end = response.find("\r\n");
  const auto status_line = response.substr(0, line_end);
  const auto parts = core::split(status_line, ' ');
  const auto parsed = parts.size() >= 2 ? core::parse_int(parts[1]) : std::nullopt;
  if (!status_line.starts_with("HTTP/") || !parsed) return fail(State::critical, "not an HTTP answer from " + shown_url(*url));
  const long long status_code = *parsed;
  const auto header_end = response.find("\r\n\r\n");
  const std::string headers = response.substr(0, header_end);
  const std::string body = header_end == std::string::npos ? "" : response.substr(header_end + 4);
  Measurement m;
  m.metrics = {{"time", t, "s", 0.0, static_cast<double>(c.timeout)}, {"size", static_cast<double>(body.size()), "B", 0.0, std::nullopt}};
  const bool status_ok = c.expect_status.empty()
                             ? status_code >= 200 && status_code < 400
                             : std::find(c.expect_status.begin(), c.expect_status.end(), status_code) != c.expect_status.end();
  m.what = fmt::format("{} - {} bytes in {:.3f} s from {}", status_line.substr(status_line.find(' ') + 1), body.size(), t,
                       shown_url(*url));
  if (!status_ok) {
    m.forced = State::critical;
    m.what = fmt::format("status {} unexpected; {}", status_code, m.what);
  } else if (!c.body_contains.empty() && body.find(c.body_contains) == std::string::npos) {
    m.forced = State::critical;
    m.what = fmt::format("\"{}\" not in the body; {}", c.body_contains, m.what);
  } else if (!c.header_contains.empty() && core::to_lower(headers).find(core::to_lower(c.header_contains)) == std::string::npos) {
    m.forced = State::critical;
    m.what = fmt::format("\"{}\" not in the headers; {}", c.header_contains, m.what);
  }
  return m;
}

Measurement probe_certificate(const config::Config::Check& c, core::Timestamp now) {
  if (!c.path.empty()) {
    std::unique_ptr<FILE, int (*)(FILE*)> f(::fopen(c.path.c_str(), "r"), ::fclose);
    if (!f) return fail(State::critical, fmt::format("{}: {}", c.path, std::strerror(errno)));
    std::unique_ptr<X509, SslDeleter> cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
    if (!cert) return fail(State::critical, fmt::format("{} holds no PEM certificate", c.path));
    return expiry(cert.get(), now, c.path);
  }
  std::string host = c.host;
  int port = c.port;
  if (!c.url.empty()) {
    const auto url = parse_url(c.url);
    if (!url) return fail(State::unknown, fmt::format("cannot parse the URL {}", c.url));
    host = url->host;
    port = url->port;
  }
  Connection conn;
  std::string error;
  const auto deadline = Clock::now() + std::chrono::seconds(c.timeout);
  if (!conn.open(host, port, true, c.verify, c.ca_file, deadline, error)) return fail(State::critical, error);
  std::unique_ptr<X509, SslDeleter> cert(SSL_get1_peer_certificate(conn.ssl()));
  if (!cert) return fail(State::critical, fmt::format("{} port {} sent no certificate", host, port));
  return expiry(cert.get(), now, fmt::format("{}:{}", host, port));
}

}  // namespace opsdesk::inspect
