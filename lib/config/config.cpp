#include "config/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "config/reader.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"

namespace opsdesk::config {

void read_inspect(Section& s, Config::Inspect& i);
void read_checks(Section& s, std::vector<Config::Check>& checks);
void read_backup(Section& s, Config::Backup& b);
void read_dbtune(Section& s, Config::Dbtune& d);

namespace {

template <typename E>
void read_enum(Section& s, std::string_view key, E& out) {
  if (auto v = s.one_of(key, model::all_names<E>())) out = *model::from_name<E>(*v);
}

void read_desk(Section& s, Config::Desk& d) {
  if (auto v = s.string("name")) d.name = *v;
  if (auto v = s.string("timezone")) {
    if (*v != "local" && !core::is_time_zone(*v))
      s.fail("timezone", fmt::format("\"{}\"; expected an IANA zone like Asia/Shanghai, UTC, or \"local\"", *v));
    d.timezone = *v;
  }
}

void read_store(Section& s, Config::Store& st) {
  if (auto v = s.string("path")) st.path = *v;
  if (auto v = postgres_url(s, "url")) {
    if (!st.path.empty()) s.fail("url", "set store.url (PostgreSQL) or store.path (SQLite), not both");
    st.url = *v;
  }
  if (auto v = s.string("password_file")) st.password_file = *v;
  if (auto v = s.duration("busy_timeout")) st.busy_timeout = *v;
}

void read_ticket(Section& s, Config::Tickets& t) {
  read_enum(s, "default_type", t.default_type);
  read_enum(s, "default_priority", t.default_priority);
  if (auto v = s.duration("request_work_limit")) t.request_work_limit = *v;
}

template <typename E>
void read_enum_list(Section& s, std::string_view key, std::vector<E>& out) {
  if (auto v = s.strings(key, model::all_names<E>())) {
    out.clear();
    for (const auto& name : *v) out.push_back(*model::from_name<E>(name));
  }
}

constexpr std::array<std::string_view, 7> k_weekdays = {"sunday", "monday", "tuesday", "wednesday",
                                                         "thursday", "friday", "saturday"};
constexpr std::array<std::string_view, 4> k_clock_names = {"response", "resolution", "onsite", "mitigation"};

std::vector<int> read_dates(Section& s, std::string_view key) {
  std::vector<int> out;
  const auto v = s.strings(key);
  if (!v) return out;
  for (const auto& d : *v) {
    const auto t = d.size() == 10 ? core::try_parse_time(d, 0) : std::nullopt;
    if (!t) s.fail(key, fmt::format("\"{}\"; expected dates like \"2026-10-01\"", d));
    const auto c = core::to_local(*t);
    out.push_back(c.year * 10000 + c.month * 100 + c.day);
  }
  return out;
}

void read_calendar(Section& s, Config::Sla::Calendar& c) {
  c.enabled = true;
  if (auto v = s.strings("days", {k_weekdays.begin(), k_weekdays.end()})) {
    c.days.clear();
    for (const auto& d : *v)
      c.days.push_back(static_cast<int>(std::find(k_weekdays.begin(), k_weekdays.end(), d) - k_weekdays.begin()));
  }
  if (auto v = s.string("hours")) {
    const auto spans = core::parse_day_spans(*v);
    if (!spans || spans->empty())
      s.fail("hours", fmt::format("\"{}\"; expected working hours like \"09:00-18:00\" or "
                                  "\"09:00-12:00,13:00-18:00\" (in order, not overlapping)", *v));
    c.hours = *spans;
  }
  c.holidays = read_dates(s, "holidays");
  c.workdays = read_dates(s, "workdays");
  if (auto v = s.strings("clocks", {k_clock_names.begin(), k_clock_names.end()})) c.clocks = *v;
}

void read_sla(Section& s, Config::Sla& sla) {
  read_enum_list(s, "applies_to", sla.applies_to);
  read_enum_list(s, "pause_on", sla.pause_on);
  read_enum_list(s, "extension_needs_approval", sla.extension_needs_approval);
  if (auto v = s.number("warn_at", 0.01, 1.0)) sla.warn_at = *v;
  s.table("targets", [&](Section& targets) {
    for (std::size_t c = 0; c < k_clock_names.size(); ++c) {
      targets.table(k_clock_names[c], [&](Section& t) {
        for (std::size_t p = 0; p < 4; ++p) {
          if (auto d = t.duration(model::Names<model::Priority>::values[p])) {
            if (*d <= 0) t.fail(model::Names<model::Priority>::values[p], "expected a duration above 0");
            sla.targets[c][p] = *d;
          }
        }
      });
    }
  });
  s.table("calendar", [&](Section& t) { read_calendar(t, sla.calendar); });
}

void read_report(Section& s, Config::Report& r) {
  if (auto v = s.number("acknowledged_on_time", 0, 100)) r.acknowledged_on_time = *v;
  if (auto v = s.number("resolved_on_time", 0, 100)) r.resolved_on_time = *v;
  if (auto v = s.number("availability", 0, 100)) r.availability = *v;
  if (auto v = s.integer("reports_per_quarter", 0, 100)) r.reports_per_quarter = static_cast<int>(*v);
}

void read_staff(Section& s, Config::Staff& st) {
  if (auto v = s.duration("departure_notice")) st.departure_notice = *v;
}

void read_output(Section& s, Config::Output& o) {
  if (auto v = s.one_of("color", {"auto", "always", "never"}))
    o.color = *v == "always" ? ColorMode::always : *v == "never" ? ColorMode::never : ColorMode::auto_;
}

Config read_root(const toml::table& root, const std::filesystem::path& origin) {
  Config c;
  c.source = origin;
  Section s(root, "", origin);
  s.table("desk", [&](Section& t) { read_desk(t, c.desk); });
  s.table("store", [&](Section& t) { read_store(t, c.store); });
  s.table("ticket", [&](Section& t) { read_ticket(t, c.ticket); });
  s.table("sla", [&](Section& t) { read_sla(t, c.sla); });
  s.table("inspect", [&](Section& t) { read_inspect(t, c.inspect); });
  read_checks(s, c.checks);
  s.table("backup", [&](Section& t) { read_backup(t, c.backup); });
  s.table("dbtune", [&](Section& t) { read_dbtune(t, c.dbtune); });
  s.table("staff", [&](Section& t) { read_staff(t, c.staff); });
  s.table("report", [&](Section& t) { read_report(t, c.report); });
  s.table("output", [&](Section& t) { read_output(t, c.output); });
  s.finish();
  return c;
}

// "https://user:secret@host/" → "https://user:<redacted>@host/": never print a password.
std::string redact_url(const std::string& url) {
  const auto scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const auto at = url.find('@', scheme + 3);
  const auto slash = url.find('/', scheme + 3);
  if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "<redacted>" + url.substr(at);
}

const char* color_name(ColorMode m) {
  return m == ColorMode::always ? "always" : m == ColorMode::never ? "never" : "auto";
}

// A check as TOML: the keys that apply to its type, with secrets in URLs hidden.
toml::table check_table(const Config::Check& k) {
  toml::table t{{"name", k.name}, {"type", k.type}, {"interval", core::format_duration(k.interval)},
                {"timeout", core::format_duration(k.timeout)}, {"retries", k.retries},
                {"open_ticket", k.open_ticket}};
  auto put = [&](std::string_view key, const std::string& v) {
    if (!v.empty()) t.insert(key, v);
  };
  put("system", k.system);
  put("metric", k.metric);
  if (k.warning) t.insert("warning", k.warning->text);
  if (k.critical) t.insert("critical", k.critical->text);
  put("path", k.path);
  put("host", k.host);
  if (k.port) t.insert("port", k.port);
  put("url", redact_url(k.url));
  put("process", k.process_name);
  put("args", k.process_args);
  put("target", k.target);
  if (!k.argv.empty()) {
    toml::array argv;
    for (const auto& a : k.argv) argv.push_back(a);
    t.insert("argv", argv);
  }
  put("command", k.command);
  if (!k.tags.empty()) {
    toml::array tags;
    for (const auto& a : k.tags) tags.push_back(a);
    t.insert("tags", tags);
  }
  return t;
}

template <typename E>
toml::array names(const std::vector<E>& values) {
  toml::array out;
  for (const auto v : values) out.push_back(std::string(model::name(v)));
  return out;
}

toml::table to_table(const Config& c) {
  toml::table desk{{"name", c.desk.name}, {"timezone", c.desk.timezone}};
  toml::table store{{"busy_timeout", core::format_duration(c.store.busy_timeout)}};
  if (!c.store.path.empty()) store.insert("path", c.store.path);
  if (!c.store.url.empty()) store.insert("url", c.store.url);
  if (!c.store.password_file.empty()) store.insert("password_file", c.store.password_file);
  toml::table ticket{{"default_type", std::string(model::name(c.ticket.default_type))},
                     {"default_priority", std::string(model::name(c.ticket.default_priority))},
                     {"request_work_limit", core::format_duration(c.ticket.request_work_limit)}};
  toml::table sla{{"applies_to", names(c.sla.applies_to)},
                  {"pause_on", names(c.sla.pause_on)},
                  {"extension_needs_approval", names(c.sla.extension_needs_approval)},
                  {"warn_at", c.sla.warn_at}};
  toml::table targets;
  for (std::size_t k = 0; k < k_clock_names.size(); ++k) {
    toml::table per;
    for (std::size_t p = 0; p < 4; ++p)
      per.insert(model::Names<model::Priority>::values[p], core::format_duration(c.sla.targets[k][p]));
    targets.insert(k_clock_names[k], per);
  }
  sla.insert("targets", targets);
  if (c.sla.calendar.enabled) {
    const auto& cal = c.sla.calendar;
    toml::array days, holidays, workdays, clocks;
    for (const int d : cal.days) days.push_back(std::string(k_weekdays[static_cast<std::size_t>(d)]));
    for (const int d : cal.holidays) holidays.push_back(fmt::format("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100));
    for (const int d : cal.workdays) workdays.push_back(fmt::format("{:04}-{:02}-{:02}", d / 10000, d / 100 % 100, d % 100));
    for (const auto& k : cal.clocks) clocks.push_back(k);
    std::string hours;
    for (const auto& h : cal.hours)
      hours += fmt::format("{}{:02}:{:02}-{:02}:{:02}", hours.empty() ? "" : ",", h.from_minute / 60, h.from_minute % 60,
                           h.to_minute / 60, h.to_minute % 60);
    sla.insert("calendar", toml::table{{"days", days}, {"hours", hours}, {"holidays", holidays},
                                       {"workdays", workdays}, {"clocks", clocks}});
  }
  toml::table staff{{"departure_notice", core::format_duration(c.staff.departure_notice)}};
  toml::table inspect{{"parallel", c.inspect.parallel},
                      {"incident_priority", std::string(model::name(c.inspect.incident_priority))}};
  toml::array checks;
  for (const auto& k : c.checks) checks.push_back(check_table(k));
  toml::table output{{"color", color_name(c.output.color)}};
  auto retention_table = [](const Config::Retention& r) {
    return toml::table{{"keep_last", r.keep_last},       {"keep_hourly", r.keep_hourly},
                       {"keep_daily", r.keep_daily},     {"keep_weekly", r.keep_weekly},
                       {"keep_monthly", r.keep_monthly}, {"keep_yearly", r.keep_yearly},
                       {"keep_within", core::format_duration(r.keep_within)}};
  };
  toml::table backup{{"compression_level", c.backup.compression_level},
                     {"threads", c.backup.threads},
                     {"timeout", core::format_duration(c.backup.timeout)},
                     {"memory_snapshot_limit", c.backup.memory_snapshot_limit},
                     {"retention", retention_table(c.backup.retention)}};
  if (!c.backup.repository.empty()) backup.insert("repository", c.backup.repository);
  if (!c.backup.key_file.empty()) backup.insert("key_file", c.backup.key_file);
  if (!c.backup.restore_roots.empty()) {
    toml::array roots;
    for (const auto& r : c.backup.restore_roots) roots.push_back(r);
    backup.insert("restore_roots", roots);
  }
  toml::array backup_targets;
  for (const auto& t : c.backup.targets) {
    toml::table tt{{"name", t.name}, {"kind", t.kind}, {"encrypt", t.encrypt}};
    if (!t.system.empty()) tt.insert("system", t.system);
    if (!t.path.empty()) tt.insert("path", t.path);
    if (!t.paths.empty()) {
      toml::array a;
      for (const auto& p : t.paths) a.push_back(p);
      tt.insert("paths", a);
    }
    if (!t.argv.empty()) {
      toml::array a;
      for (const auto& p : t.argv) a.push_back(p);
      tt.insert("argv", a);
    }
    if (!t.url.empty()) tt.insert("url", redact_url(t.url));
    if (!t.repository.empty()) tt.insert("repository", t.repository);
    if (!t.key_file.empty()) tt.insert("key_file", t.key_file);
    if (t.retention) tt.insert("retention", retention_table(*t.retention));
    backup_targets.push_back(tt);
  }
  if (!backup_targets.empty()) backup.insert("targets", backup_targets);
  auto strings = [](const std::vector<std::string>& v) {
    toml::array a;
    for (const auto& x : v) a.push_back(x);
    return a;
  };
  auto thresholds_table = [](const Config::DbtuneThresholds& t) {
    return toml::table{{"vacuum_slack_percent", t.vacuum_slack_percent}, {"vacuum_min_bytes", t.vacuum_min_bytes},
                       {"stale_stats_percent", t.stale_stats_percent},   {"huge_table_rows", t.huge_table_rows},
                       {"huge_table_share", t.huge_table_share}};
  };
  toml::table dbtune{{"temp_patterns", strings(c.dbtune.temp_patterns)},
                     {"timeout", core::format_duration(c.dbtune.timeout)},
                     {"sample_rows", c.dbtune.sample_rows},
                     {"archive_keep", core::format_duration(c.dbtune.archive_keep)}};
  for (auto&& [k, v] : thresholds_table(c.dbtune.thresholds)) dbtune.insert(k, v);
  toml::array dbtune_targets;
  for (const auto& t : c.dbtune.targets) {
    toml::table tt{{"name", t.name}, {"path", t.path}};
    if (!t.system.empty()) tt.insert("system", t.system);
    if (!t.temp_patterns.empty()) tt.insert("temp_patterns", strings(t.temp_patterns));
    if (t.thresholds) tt.insert("thresholds", thresholds_table(*t.thresholds));
    dbtune_targets.push_back(tt);
  }
  if (!dbtune_targets.empty()) dbtune.insert("targets", dbtune_targets);
  toml::table root{{"desk", desk},   {"store", store},   {"ticket", ticket},   {"sla", sla},
                   {"staff", staff}, {"output", output}, {"inspect", inspect}, {"backup", backup},
                   {"dbtune", dbtune},
                   {"report", toml::table{{"acknowledged_on_time", c.report.acknowledged_on_time},
                                          {"resolved_on_time", c.report.resolved_on_time},
                                          {"availability", c.report.availability},
                                          {"reports_per_quarter", c.report.reports_per_quarter}}}};
  if (!checks.empty()) root.insert("checks", checks);
  return root;
}

}  // namespace

Config load_text(std::string_view text, const std::filesystem::path& origin) {
  try {
    const toml::table root = toml::parse(text, origin.string());
    return read_root(root, origin);
  } catch (const toml::parse_error& e) {
    throw Error(ErrorKind::config, fmt::format("{}:{}:{}: {}", origin.string(), e.source().begin.line,
                                               e.source().begin.column, e.description()));
  }
}

Config load_file(const std::filesystem::path& path) {
  std::string text;
  try {
    text = core::read_file(path);
  } catch (const Error& e) {
    throw Error(ErrorKind::config, fmt::format("cannot read config {}: {}", path.string(), e.what()));
  }
  return load_text(text, path);
}

ConfigLocation locate(const std::string& flag) {
  if (!flag.empty()) return {core::expand_home(flag), true};
  if (const char* env = std::getenv("OPSDESK_CONFIG"); env && *env) return {core::expand_home(env), true};
  return {core::xdg_config_home() / "opsdesk" / "config.toml", false};
}

Config load(const ConfigLocation& where) {
  std::error_code ec;
  if (std::filesystem::exists(where.path, ec)) return load_file(where.path);
  if (where.explicit_choice)
    throw Error(ErrorKind::config,
                fmt::format("config file {} does not exist; create it with `opsdesk init` or point --config at a file",
                            where.path.string()));
  return Config{};
}

std::filesystem::path store_path(const std::string& flag, const Config& config) {
  if (!flag.empty()) return core::expand_home(flag);
  if (const char* env = std::getenv("OPSDESK_DB"); env && *env) return core::expand_home(env);
  if (!config.store.url.empty()) return config.store.url;
  if (!config.store.path.empty()) return core::expand_home(config.store.path);
  return core::xdg_data_home() / "opsdesk" / "opsdesk.db";
}

std::string to_toml(const Config& config) {
  std::ostringstream out;
  out << to_table(config) << '\n';
  return out.str();
}

std::string to_json(const Config& config) {
  std::ostringstream out;
  out << toml::json_formatter{to_table(config)} << '\n';
  return out.str();
}

}  // namespace opsdesk::config
