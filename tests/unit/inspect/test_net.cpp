// The network checks against servers of our own on the loopback: TCP connect/send/expect,
// HTTP status, body and headers, and TLS with `openssl s_server` and a certificate made with
// the openssl command (self-signed, 20 days).
#include <doctest/doctest.h>

#include <ctime>
#include <memory>
#include <string>

#include "inspect/net.hpp"
#include "support/helpers.hpp"
#include "support/inspect_helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::inspect;
using opsdesk::test::Child;
using opsdesk::test::ClosedPort;
using opsdesk::test::free_port;
using opsdesk::test::has;
using opsdesk::test::HttpServer;
using opsdesk::test::Listener;
using opsdesk::test::make_check;
using opsdesk::test::range;
using opsdesk::test::read_until;
using opsdesk::test::run_quietly;
using opsdesk::test::seconds_since;
using opsdesk::test::send_all;
using opsdesk::test::spit;
using opsdesk::test::TempDir;

TEST_SUITE_BEGIN("inspect");

namespace {

const Metric* metric(const Measurement& m, const std::string& name) {
  for (const auto& x : m.metrics)
    if (x.name == name) return &x;
  return nullptr;
}

core::Timestamp wall_now() { return static_cast<core::Timestamp>(std::time(nullptr)); }

// A self-signed certificate for CN=localhost valid 20 days, and `openssl s_server -www`
// serving it on a free port; made once and shared by the TLS tests.
struct TlsServer {
  TempDir dir;
  std::string cert = (dir / "cert.pem").string();
  std::string key = (dir / "key.pem").string();
  int port = 0;
  std::unique_ptr<Child> server;

  TlsServer() {
    REQUIRE(run_quietly({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "20", "-subj", "/CN=localhost",
                         "-keyout", key, "-out", cert}) == 0);
    for (int attempt = 0; attempt < 3 && !server; ++attempt) {
      port = free_port();
      auto child = std::make_unique<Child>(std::vector<std::string>{
          "openssl", "s_server", "-www", "-quiet", "-accept", std::to_string(port), "-cert", cert, "-key", key});
      if (opsdesk::test::wait_for_port(port)) server = std::move(child);
    }
    REQUIRE_MESSAGE(server != nullptr, "openssl s_server did not start");
  }
  std::string url(const std::string& host) const { return "https://" + host + ":" + std::to_string(port) + "/"; }
};

TlsServer& tls() {
  static TlsServer server;
  return server;
}

}  // namespace

TEST_CASE("inspect::parse_url") {
  SUBCASE("defaults") {
    const auto u = parse_url("http://example.com");
    REQUIRE(u.has_value());
    CHECK(u->scheme == "http");
    CHECK(u->host == "example.com");
    CHECK(u->port == 80);
    CHECK(u->path == "/");
    CHECK(u->user.empty());
    CHECK(u->password.empty());
    const auto s = parse_url("https://erp.example.internal/login?next=/home&x=1");
    REQUIRE(s.has_value());
    CHECK(s->scheme == "https");
    CHECK(s->port == 443);
    CHECK(s->path == "/login?next=/home&x=1");
  }
  SUBCASE("ports and case") {
    const auto u = parse_url("HTTP://Intranet:8080/a/b");
    REQUIRE(u.has_value());
    CHECK(u->scheme == "http");
    CHECK(u->host == "Intranet");
    CHECK(u->port == 8080);
    CHECK(u->path == "/a/b");
    CHECK(parse_url("https://h:1/")->port == 1);
    CHECK(parse_url("https://h:65535/")->port == 65535);
  }
  SUBCASE("credentials") {
    const auto u = parse_url("https://monitor:s3cr:et@erp:8443/status");
    REQUIRE(u.has_value());
    CHECK(u->user == "monitor");
    CHECK(u->password == "s3cr:et");
    CHECK(u->host == "erp");
    CHECK(u->port == 8443);
    const auto at_sign = parse_url("http://u:p@ss@host/");
    REQUIRE(at_sign.has_value());
    CHECK(at_sign->password == "p@ss");
    CHECK(at_sign->host == "host");
    const auto user_only = parse_url("http://u@host/");
    REQUIRE(user_only.has_value());
    CHECK(user_only->user == "u");
    CHECK(user_only->password.empty());
  }
  SUBCASE("IPv6") {
    const auto u = parse_url("http://[::1]:8080/x");
    REQUIRE(u.has_value());
    CHECK(u->host == "::1");
    CHECK(u->port == 8080);
    CHECK(u->path == "/x");
    const auto d = parse_url("https://[2001:db8::1]/");
    REQUIRE(d.has_value());
    CHECK(d->host == "2001:db8::1");
    CHECK(d->port == 443);
  }
  SUBCASE("refused") {
    for (const char* bad : {"", "example.com", "ftp://example.com/", "http://", "http:///path", "http://:80/",
                            "http://host:0/", "http://host:65536/", "http://host:abc/", "http://[::1/", "http://u:p@/"}) {
      const std::string text = bad;
      CAPTURE(text);
      CHECK_FALSE(parse_url(bad).has_value());
    }
  }
}

TEST_CASE("inspect::shown_url") {
  CHECK(shown_url(*parse_url("https://monitor:s3cret@erp:8443/status?x=1")) == "https://monitor:<redacted>@erp:8443/status?x=1");
  CHECK(shown_url(*parse_url("http://monitor@erp/")) == "http://monitor@erp/");
  CHECK(shown_url(*parse_url("http://erp:80/a")) == "http://erp/a");
  CHECK(shown_url(*parse_url("https://erp:443")) == "https://erp/");
  CHECK(shown_url(*parse_url("http://erp:443/")) == "http://erp:443/");
  CHECK(shown_url(*parse_url("http://[::1]:8080/x")) == "http://[::1]:8080/x");
  CHECK(shown_url(*parse_url("https://[fe80::1]/")) == "https://[fe80::1]/");
  CHECK_FALSE(has(shown_url(*parse_url("https://u:hunter2@h/")), "hunter2"));
}

TEST_CASE("inspect::probe_tcp") {
  auto c = make_check("port", "tcp");
  c.host = "127.0.0.1";
  c.timeout = 2;
  SUBCASE("connect") {
    Listener l([](int) {});
    c.port = l.port;
    const auto m = probe_tcp(c);
    CHECK_FALSE(m.forced.has_value());
    REQUIRE(metric(m, "time") != nullptr);
    CHECK(metric(m, "time")->value >= 0);
    CHECK(metric(m, "time")->value < 2);
    CHECK(metric(m, "time")->uom == "s");
    CHECK(has(m.what, "port " + std::to_string(l.port)));
    CHECK(judge(c, m).state == State::ok);
    c.critical = range("@0:10");  // any response time
    CHECK(judge(c, m).state == State::critical);
  }
  SUBCASE("send and expect, matching") {
    Listener l([](int fd) {
      if (has(read_until(fd, "\n"), "PING")) send_all(fd, "+PONG\r\n");
    });
    c.port = l.port;
    c.send = "PING\r\n";
    c.expect = "PONG";
    const auto m = probe_tcp(c);
    CHECK_FALSE(m.forced.has_value());
    CHECK(judge(c, m).state == State::ok);
  }
  SUBCASE("send and expect, not matching") {
    Listener l([](int fd) {
      read_until(fd, "\n");
      send_all(fd, "-ERR unknown command\r\n");
    });
    c.port = l.port;
    c.send = "PING\r\n";
    c.expect = "PONG";
    const auto start = std::chrono::steady_clock::now();
    const auto r = judge(c, probe_tcp(c));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "PONG"));
    CHECK(seconds_since(start) < 1.5);  // the server closed: no need to wait for the timeout
  }
  SUBCASE("a closed port is CRITICAL") {
    const ClosedPort closed;
    c.port = closed.port;
    const auto start = std::chrono::steady_clock::now();
    const auto r = judge(c, probe_tcp(c));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, std::to_string(c.port)));
    CHECK(seconds_since(start) < 1);
  }
  SUBCASE("a listener that never answers: CRITICAL at the timeout") {
    Listener l;  // never accepts, never speaks
    c.port = l.port;
    c.timeout = 1;
    c.expect = "220 ";
    const auto start = std::chrono::steady_clock::now();
    const auto r = judge(c, probe_tcp(c));
    const double took = seconds_since(start);
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "timeout"));
    CHECK(took >= 0.9);
    CHECK(took < 3);
  }
}

TEST_CASE("inspect::probe_http") {
  HttpServer server;
  auto c = make_check("web", "http");
  c.timeout = 2;
  SUBCASE("200 with body and header matches") {
    c.url = server.url("/ok");
    c.body_contains = "hello from";
    c.header_contains = "x-opsdesk-test: YES";  // headers match case-insensitively
    const auto m = probe_http(c);
    CHECK_FALSE(m.forced.has_value());
    CHECK(has(m.what, "200"));
    REQUIRE(metric(m, "time") != nullptr);
    CHECK(metric(m, "time")->value >= 0);
    CHECK(metric(m, "time")->value < 2);
    REQUIRE(metric(m, "size") != nullptr);
    CHECK(metric(m, "size")->value == 36);
    CHECK(judge(c, m).state == State::ok);
    c.warning = range("~:5");
    CHECK(judge(c, m).state == State::ok);
    c.critical = range("@0:5");  // any time up to 5 s
    CHECK(judge(c, m).state == State::critical);
  }
  SUBCASE("the request") {
    c.url = server.url("/echo");
    CHECK(judge(c, probe_http(c)).state == State::ok);
    const auto req = server.last_request();
    CHECK(req.starts_with("GET /echo HTTP/1."));
    CHECK(has(req, "Host: 127.0.0.1"));
  }
  SUBCASE("basic auth is sent, the password never shown") {
    c.url = "http://monitor:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/echo";
    const auto r = judge(c, probe_http(c));
    CHECK(r.state == State::ok);
    CHECK(has(server.last_request(), "Authorization: Basic bW9uaXRvcjpzM2NyZXQ="));
    CHECK_FALSE(has(r.summary, "s3cret"));
    CHECK(has(r.summary, "<redacted>"));
  }
  SUBCASE("404 is CRITICAL unless expected") {
    c.url = server.url("/missing");
    const auto r = judge(c, probe_http(c));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "404"));
    c.expect_status = {404};
    CHECK(judge(c, probe_http(c)).state == State::ok);
  }
  SUBCASE("302 is reported, not followed: OK by default, CRITICAL when 200 is expected") {
    c.url = server.url("/moved");
    const auto r = judge(c, probe_http(c));
    CHECK(r.state == State::ok);
    CHECK(has(r.summary, "302"));
    c.expect_status = {200};
    CHECK(judge(c, probe_http(c)).state == State::critical);
  }
  SUBCASE("body or header missing: CRITICAL") {
    c.url = server.url("/ok");
    c.body_contains = "goodbye";
    auto r = judge(c, probe_http(c));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "goodbye"));
    c.body_contains.clear();
    c.header_contains = "X-Powered-By";
    r = judge(c, probe_http(c));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "X-Powered-By"));
  }
  SUBCASE("a closed port is CRITICAL") {
    const ClosedPort closed;
    c.url = "http://127.0.0.1:" + std::to_string(closed.port) + "/";
    CHECK(judge(c, probe_http(c)).state == State::critical);
  }
  SUBCASE("a server that never answers: CRITICAL at the timeout") {
    Listener silent;
    c.url = "http://127.0.0.1:" + std::to_string(silent.port) + "/";
    c.timeout = 1;
    const auto start = std::chrono::steady_clock::now();
    const auto r = judge(c, probe_http(c));
    CHECK(r.state == State::critical);
    CHECK(seconds_since(start) < 3);
  }
  SUBCASE("an unparsable URL is UNKNOWN") {
    c.url = "http://";
    CHECK(judge(c, probe_http(c)).state == State::unknown);
  }
}

TEST_CASE("inspect::probe_certificate, a PEM file") {
  auto c = make_check("cert-file", "certificate");
  c.path = tls().cert;
  const auto now = wall_now();
  SUBCASE("days to expiry") {
    const auto m = probe_certificate(c, now);
    CHECK_FALSE(m.forced.has_value());
    REQUIRE(metric(m, "days") != nullptr);
    CHECK(metric(m, "days")->value > 19.9);
    CHECK(metric(m, "days")->value <= 20.001);
    CHECK(has(m.what, "localhost"));
    c.warning = range("30:");
    c.critical = range("7:");
    CHECK(judge(c, m).state == State::warning);
    c.warning = range("14:");
    CHECK(judge(c, m).state == State::ok);
  }
  SUBCASE("expired: CRITICAL") {
    const auto r = judge(c, probe_certificate(c, now + 30 * 86400));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "expired"));
  }
  SUBCASE("no such file, or no certificate in it: CRITICAL") {
    TempDir dir;
    c.path = (dir / "none.pem").string();
    CHECK(judge(c, probe_certificate(c, now)).state == State::critical);
    spit(dir / "junk.pem", "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
    c.path = (dir / "junk.pem").string();
    CHECK(judge(c, probe_certificate(c, now)).state == State::critical);
  }
}

TEST_CASE("inspect::probe_http, https") {
  auto& server = tls();
  auto c = make_check("secure-web", "http");
  c.timeout = 3;
  SUBCASE("verified by default: a self-signed certificate is CRITICAL, naming the trust problem") {
    c.url = server.url("127.0.0.1");
    const auto r = judge(c, probe_http(c));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "not trusted"));
    CHECK(has(r.summary, "self-signed"));
  }
  SUBCASE("verify = false: OK") {
    c.url = server.url("127.0.0.1");
    c.verify = false;
    const auto r = judge(c, probe_http(c));
    CHECK(r.state == State::ok);
    CHECK(has(r.summary, "200"));
  }
  SUBCASE("ca_file = the certificate, the name it was made for: OK") {
    c.url = server.url("localhost");
    c.ca_file = server.cert;
    const auto r = judge(c, probe_http(c));
    CHECK(r.state == State::ok);
    CHECK(has(r.summary, "200"));
  }
  SUBCASE("ca_file = the certificate, another name: CRITICAL") {
    c.url = server.url("127.0.0.1");
    c.ca_file = server.cert;
    CHECK(judge(c, probe_http(c)).state == State::critical);
  }
  SUBCASE("a ca_file that cannot be read: CRITICAL") {
    c.url = server.url("localhost");
    c.ca_file = "/nonexistent/ca.pem";
    const auto r = judge(c, probe_http(c));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "/nonexistent/ca.pem"));
  }
}

TEST_CASE("inspect::probe_certificate, a TLS endpoint") {
  auto& server = tls();
  auto c = make_check("cert-endpoint", "certificate");
  c.host = "localhost";
  c.port = server.port;
  c.timeout = 3;
  const auto now = wall_now();
  SUBCASE("trusted through ca_file: about 20 days") {
    c.ca_file = server.cert;
    const auto m = probe_certificate(c, now);
    CHECK_FALSE(m.forced.has_value());
    REQUIRE(metric(m, "days") != nullptr);
    CHECK(metric(m, "days")->value > 19.9);
    CHECK(metric(m, "days")->value <= 20.001);
    c.warning = range("30:");
    CHECK(judge(c, m).state == State::warning);
  }
  SUBCASE("verify = false: about 20 days") {
    c.verify = false;
    const auto m = probe_certificate(c, now);
    REQUIRE(metric(m, "days") != nullptr);
    CHECK(metric(m, "days")->value == doctest::Approx(20).epsilon(0.01));
  }
  SUBCASE("by URL") {
    c.host.clear();
    c.url = server.url("localhost");
    c.verify = false;
    const auto m = probe_certificate(c, now);
    REQUIRE(metric(m, "days") != nullptr);
    CHECK(metric(m, "days")->value == doctest::Approx(20).epsilon(0.01));
  }
  SUBCASE("untrusted: CRITICAL") {
    const auto r = judge(c, probe_certificate(c, now));
    CHECK(r.state == State::critical);
    CHECK(has(r.summary, "not trusted"));
  }
  SUBCASE("nothing listening: CRITICAL") {
    const ClosedPort closed;
    c.port = closed.port;
    c.verify = false;
    CHECK(judge(c, probe_certificate(c, now)).state == State::critical);
  }
}

TEST_SUITE_END();
