// Reading [[checks]] and [inspect]: each check type accepts its own keys, every threshold is
// a valid Nagios range, and a mistake names the check, the key and what is allowed.
#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "config/config.hpp"
#include "config/reader.hpp"
#include "core/strings.hpp"

namespace opsdesk::config {

namespace {

struct TypeInfo {
  std::string_view type;
  std::string_view default_metric;
  std::vector<std::string> metrics;
};

const std::vector<TypeInfo>& types() {
  static const std::vector<TypeInfo> k_types = {
      {"disk", "free_percent", {"free_percent", "used_percent", "free_bytes", "inodes_free_percent"}},
      {"load", "load1", {"load1", "load5", "load15"}},
      {"memory", "available_percent", {"available_percent", "used_percent", "available_bytes", "swap_used_percent"}},
      {"process", "count", {"count"}},
      {"tcp", "time", {"time"}},
      {"http", "time", {"time", "size"}},
      {"certificate", "days", {"days"}},
      {"file_age", "age", {"age", "size"}},
      {"sqlite", "size", {"size", "freelist_ratio", "value"}},
      {"postgres", "lag", {"lag", "size"}},
      {"backup_freshness", "age", {"age"}},
      {"command", "", {}},
  };
  return k_types;
}

std::vector<std::string> type_names() {
  std::vector<std::string> out;
  for (const auto& t : types()) out.emplace_back(t.type);
  return out;
}

void read_range(Section& s, std::string_view key, std::optional<core::Range>& out) {
  const auto text = s.string(key);
  if (!text) return;
  out = core::parse_range(*text);
  if (!out)
    s.fail(key, fmt::format("\"{}\"; expected a Nagios range like 10, 10:, ~:10, 10:20 or @10:20", *text));
}

void read_check(Section& s, Config::Check& c) {
  const auto name = s.string("name");
  if (!name || name->empty()) s.fail("name", "missing; every check needs a name");
  c.name = *name;
  s.rename(fmt::format("checks[\"{}\"]", c.name));
  const auto type = s.one_of("type", type_names());
  if (!type) s.fail("type", fmt::format("missing; expected one of {}", core::join(type_names(), ", ")));
  c.type = *type;
  const auto& info = *std::find_if(types().begin(), types().end(), [&](const auto& t) { return t.type == c.type; });
  if (auto v = s.string("system")) c.system = *v;
  if (auto v = s.strings("tags")) c.tags = *v;
  c.metric = std::string(info.default_metric);
  if (c.type != "command") {
    if (auto v = s.one_of("metric", info.metrics)) c.metric = *v;
  }
  read_range(s, "warning", c.warning);
  read_range(s, "critical", c.critical);
  if (auto v = s.duration("interval")) c.interval = *v;
  if (auto v = s.duration("timeout")) c.timeout = *v;
  if (c.timeout <= 0) s.fail("timeout", "expected a duration above 0");
  if (auto v = s.integer("retries", 0, 10)) c.retries = static_cast<int>(*v);
  if (auto v = s.duration("retry_delay")) c.retry_delay = *v;
  if (auto v = s.one_of("timeout_state", {"ok", "warning", "critical", "unknown"})) c.timeout_state = *v;
  if (auto v = s.one_of("open_ticket", {"never", "warning", "critical"})) c.open_ticket = *v;
  if (auto v = s.boolean("auto_resolve")) c.auto_resolve = *v;
  if (auto v = s.one_of("priority", model::all_names<model::Priority>())) c.priority = model::from_name<model::Priority>(*v);

  auto need = [&](std::string_view key, const std::string& value) {
    if (value.empty()) s.fail(key, fmt::format("missing; a {} check needs it", c.type));
  };
  auto port = [&] {
    if (auto v = s.integer("port", 1, 65535)) c.port = static_cast<int>(*v);
  };
  if (c.type == "disk") {
    c.path = s.string("path").value_or("/");
  } else if (c.type == "process") {
    c.process_name = s.string("process").value_or("");
    c.process_args = s.string("args").value_or("");
    if (c.process_name.empty() && c.process_args.empty()) s.fail("process", "a process check needs process or args");
  } else if (c.type == "tcp") {
    c.host = s.string("host").value_or("");
    port();
    c.send = s.string("send").value_or("");
    c.expect = s.string("expect").value_or("");
    need("host", c.host);
    if (c.port == 0) s.fail("port", "missing; a tcp check needs it");
  } else if (c.type == "http") {
    c.url = s.string("url").value_or("");
    need("url", c.url);
    if (!c.url.starts_with("http://") && !c.url.starts_with("https://"))
      s.fail("url", fmt::format("\"{}\"; expected an http:// or https:// URL", c.url));
    if (auto v = s.strings("expect_status")) {
      for (const auto& code : *v) {
        const auto n = core::parse_int(code);
        if (!n || *n < 100 || *n > 599) s.fail("expect_status", fmt::format("\"{}\"; expected HTTP status codes like \"200\"", code));
        c.expect_status.push_back(static_cast<int>(*n));
      }
    }
    c.body_contains = s.string("body_contains").value_or("");
    c.header_contains = s.string("header_contains").value_or("");
    if (auto v = s.boolean("verify")) c.verify = *v;
    c.ca_file = s.string("ca_file").value_or("");
  } else if (c.type == "certificate") {
    c.url = s.string("url").value_or("");
    c.host = s.string("host").value_or("");
    port();
    c.path = s.string("path").value_or("");
    if (auto v = s.boolean("verify")) c.verify = *v;
    c.ca_file = s.string("ca_file").value_or("");
    const int given = !c.url.empty() + !c.host.empty() + !c.path.empty();
    if (given != 1) s.fail("path", "a certificate check needs exactly one of url, host (with port) or path (a PEM file)");
    if (!c.host.empty() && c.port == 0) c.port = 443;
  } else if (c.type == "file_age") {
    c.path = s.string("path").value_or("");
    need("path", c.path);
  } else if (c.type == "sqlite") {
    c.path = s.string("path").value_or("");
    need("path", c.path);
    if (auto v = s.one_of("integrity", {"quick", "full", "none"})) c.integrity = *v;
    c.query = s.string("query").value_or("");
    if (c.metric == "value" && c.query.empty()) s.fail("query", "metric \"value\" needs a query that returns one number");
  } else if (c.type == "postgres") {
    c.url = postgres_url(s, "url").value_or("");
    need("url", c.url);
  } else if (c.type == "backup_freshness") {
    c.target = s.string("target").value_or("");
    need("target", c.target);
  } else if (c.type == "command") {
    if (auto v = s.strings("argv")) c.argv = *v;
    c.command = s.string("command").value_or("");
    if (auto v = s.boolean("shell")) c.shell = *v;
    if (c.shell && c.command.empty()) s.fail("command", "shell = true needs command = \"...\" (a shell command line)");
    if (!c.shell && !c.command.empty())
      s.fail("command", "a command line runs only with shell = true; give argv = [\"/usr/lib/nagios/plugins/check_x\", ...] instead");
    if (!c.shell && c.argv.empty()) s.fail("argv", "missing; a command check needs argv (the program and its arguments)");
    if (c.warning || c.critical)
      s.fail(c.warning ? "warning" : "critical", "a command check is judged by its exit code; pass thresholds in its argv");
  }
  if (c.open_ticket != "never" && c.system.empty())
    s.fail("open_ticket", "a check that opens incidents needs a system");
}

}  // namespace

void read_inspect(Section& s, Config::Inspect& i) {
  if (auto v = s.integer("parallel", 1, 64)) i.parallel = static_cast<int>(*v);
  if (auto v = s.one_of("incident_priority", model::all_names<model::Priority>()))
    i.incident_priority = *model::from_name<model::Priority>(*v);
}

void read_checks(Section& s, std::vector<Config::Check>& checks) {
  std::set<std::string> names;
  s.tables("checks", [&](Section& t, std::size_t) {
    Config::Check c;
    read_check(t, c);
    if (!names.insert(c.name).second) t.fail("name", fmt::format("\"{}\"; another check has that name", c.name));
    checks.push_back(std::move(c));
  });
}

}  // namespace opsdesk::config
