#include "config/config.hpp"

#include <fmt/format.h>
#include <toml++/toml.h>

#include <cstdlib>
#include <sstream>

#include "config/reader.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"

namespace opsdesk::config {

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
  if (auto v = s.duration("busy_timeout")) st.busy_timeout = *v;
}

void read_ticket(Section& s, Config::Tickets& t) {
  read_enum(s, "default_type", t.default_type);
  read_enum(s, "default_priority", t.default_priority);
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
  s.table("staff", [&](Section& t) { read_staff(t, c.staff); });
  s.table("output", [&](Section& t) { read_output(t, c.output); });
  s.finish();
  return c;
}

const char* color_name(ColorMode m) {
  return m == ColorMode::always ? "always" : m == ColorMode::never ? "never" : "auto";
}

toml::table to_table(const Config& c) {
  toml::table desk{{"name", c.desk.name}, {"timezone", c.desk.timezone}};
  toml::table store{{"busy_timeout", core::format_duration(c.store.busy_timeout)}};
  if (!c.store.path.empty()) store.insert("path", c.store.path);
  toml::table ticket{{"default_type", std::string(model::name(c.ticket.default_type))},
                     {"default_priority", std::string(model::name(c.ticket.default_priority))}};
  toml::table staff{{"departure_notice", core::format_duration(c.staff.departure_notice)}};
  toml::table output{{"color", color_name(c.output.color)}};
  return toml::table{{"desk", desk}, {"store", store}, {"ticket", ticket}, {"staff", staff}, {"output", output}};
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
