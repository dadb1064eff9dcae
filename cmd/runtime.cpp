#include "runtime.hpp"

#include <pwd.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>

#include "account/permissions.hpp"
#include "core/error.hpp"
#include "store/store.hpp"

namespace opsdesk::cli {

const config::Config& Runtime::config() {
  if (!m_config) {
    m_config = config::load(config::locate(globals.config));
    if (m_config->desk.timezone != "local") core::set_time_zone(m_config->desk.timezone);
  }
  return *m_config;
}

const output::Terminal& Runtime::term() {
  if (!m_term) {
    const auto mode = config().output.color;
    m_term = output::Terminal::detect(globals.color || mode == config::ColorMode::always,
                                      globals.no_color || mode == config::ColorMode::never);
  }
  return *m_term;
}

core::Timestamp Runtime::now() {
  if (!m_now) {
    config();  // the time zone first: OPSDESK_NOW may be a local time
    m_now = desk::current_time();
  }
  return *m_now;
}

std::filesystem::path Runtime::store_path() { return config::store_path(globals.db, config()); }

account::Identity Runtime::identity() {
  using Source = account::Identity::Source;
  if (!globals.as.empty()) return {globals.as, Source::flag};
  if (const char* env = std::getenv("OPSDESK_USER"); env && *env) return {env, Source::environment};
  if (const passwd* pw = ::getpwuid(::geteuid()); pw && pw->pw_name) return {pw->pw_name, Source::login};
  throw Error(ErrorKind::permission, "cannot tell who you are; pass --as NAME or set OPSDESK_USER");
}

core::Timestamp Runtime::parse_time(const std::string& value, std::string_view option) {
  try {
    return core::parse_time(value, now());
  } catch (const Error& e) {
    throw Error(ErrorKind::usage, fmt::format("{}: {}", option, e.what()));
  }
}

std::optional<core::Timestamp> Runtime::parse_time_opt(const std::string& value, std::string_view option) {
  if (value.empty()) return std::nullopt;
  return parse_time(value, option);
}

void Runtime::note(const std::string& text) { std::cerr << "opsdesk: " << text << '\n'; }

std::unique_ptr<store::Db> Runtime::open(bool write) {
  store::StoreOptions options;
  options.path = store_path();
  options.write = write;
  options.busy_timeout = std::chrono::milliseconds(config().store.busy_timeout * 1000);
  return store::open_store(options);
}

Runtime::Writer::Writer(Runtime& rt, std::string_view permission) {
  const auto now = rt.now();
  const auto who = rt.identity();
  m_db = rt.open(true);
  m_tx = std::make_unique<store::Transaction>(*m_db, true);
  const auto actor = account::resolve(*m_db, who, true, now);
  m_session = std::make_unique<desk::Session>(desk::Session{*m_db, rt.config(), actor.name, now, actor.role});
  if (actor.bootstrapped)
    rt.note(fmt::format("{} is the first account of this store and is now its admin", actor.name));
  account::require(*m_session, permission);
}

Runtime::Writer::~Writer() = default;

void Runtime::Writer::commit() { m_tx->commit(); }

Runtime::Reader::Reader(Runtime& rt, std::string_view permission) {
  const auto now = rt.now();
  const auto who = rt.identity();
  m_db = rt.open(false);
  m_tx = std::make_unique<store::Transaction>(*m_db, false);
  const auto actor = account::resolve(*m_db, who, false, now);
  m_session = std::make_unique<desk::Session>(desk::Session{*m_db, rt.config(), actor.name, now, actor.role});
  account::require(*m_session, permission);
}

Runtime::Reader::~Reader() = default;

}  // namespace opsdesk::cli
