#include "runtime.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cstdlib>

#include "account/permissions.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
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

store::StoreOptions Runtime::store_options(bool write) {
  store::StoreOptions options;
  options.path = store_path();
  options.write = write;
  options.busy_timeout = std::chrono::milliseconds(config().store.busy_timeout * 1000);
  if (!config().store.password_file.empty()) {
    options.password_file = core::expand_home(config().store.password_file);
    struct stat st {};
    if (::stat(options.password_file.c_str(), &st) != 0)
      throw Error(ErrorKind::config, fmt::format("store.password_file {} does not exist", options.password_file.string()));
    if ((st.st_mode & 077) != 0)
      throw Error(ErrorKind::config, fmt::format("store.password_file {} may be read by others; chmod 600 it",
                                                 options.password_file.string()));
  }
  return options;
}

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

store::Db& Runtime::connection(bool write) {
  if (m_db && (m_db_writes || !write)) return *m_db;
  if (m_db_users > 1) throw Error(ErrorKind::internal, "a write was started inside a read of the store");
  const auto options = store_options(write);
  m_db.reset();
  m_db = store::open_store(options);
  m_db_writes = write;
  return *m_db;
}

Runtime::Writer::Writer(Runtime& rt, std::string_view permission) : m_use(rt) {
  const auto now = rt.now();
  const auto who = rt.identity();
  auto& db = rt.connection(true);
  m_tx = std::make_unique<store::Transaction>(db, true);
  const auto actor = account::resolve(db, who, true, now);
  m_session = std::make_unique<desk::Session>(desk::Session{db, rt.config(), actor.name, now, actor.role});
  if (actor.bootstrapped)
    rt.note(fmt::format("{} is the first account of this store and is now its admin", actor.name));
  account::require(*m_session, permission);
}

Runtime::Writer::~Writer() = default;

void Runtime::Writer::commit() { m_tx->commit(); }

Runtime::Reader::Reader(Runtime& rt, std::string_view permission) : m_use(rt) {
  const auto now = rt.now();
  const auto who = rt.identity();
  auto& db = rt.connection(false);
  m_tx = std::make_unique<store::Transaction>(db, false);
  const auto actor = account::resolve(db, who, false, now);
  m_session = std::make_unique<desk::Session>(desk::Session{db, rt.config(), actor.name, now, actor.role});
  account::require(*m_session, permission);
}

Runtime::Reader::~Reader() = default;

}  // namespace opsdesk::cli
