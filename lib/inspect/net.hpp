#pragma once
// Network checks in-process: TCP connect/send/expect, HTTP(S) GET (HTTP/1.0, as check_http
// sends by default; redirects are reported, not followed), and the expiry of a TLS
// certificate, with OpenSSL. Certificates are verified unless a check says verify = false.
#include "config/config.hpp"
#include "inspect/probe.hpp"

namespace opsdesk::inspect {

Measurement probe_tcp(const config::Config::Check& check);
Measurement probe_http(const config::Config::Check& check);
Measurement probe_certificate(const config::Config::Check& check, core::Timestamp now);

struct Url {
  std::string scheme;  // http or https
  std::string user;
  std::string password;
  std::string host;
  int port = 0;
  std::string path;  // with the query
};
std::optional<Url> parse_url(std::string_view text);
// The URL without its password, for output.
std::string shown_url(const Url& url);

}  // namespace opsdesk::inspect
