#pragma once
// Helpers shared by the unit tests: the opsdesk::Error a call throws, a temporary directory,
// environment and umask guards, and a writable store with a desk::Session on it.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "desk/session.hpp"
#include "store/db.hpp"
#include "store/store.hpp"

// Lists and optionals print as ["a", "b"] and nullopt in failed checks rather than {?}.
namespace doctest {
template <typename T>
struct StringMaker<std::vector<T>> {
  static String convert(const std::vector<T>& values) {
    String out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) out += ", ";
      out += toString(values[i]);
    }
    return out + "]";
  }
};
template <typename T>
struct StringMaker<std::optional<T>> {
  static String convert(const std::optional<T>& value) { return value ? toString(*value) : String("nullopt"); }
};
}  // namespace doctest

namespace opsdesk::test {

// The opsdesk::Error that `f` throws; fails the test when it throws nothing or something else.
template <typename F>
Error thrown(F&& f) {
  try {
    std::forward<F>(f)();
  } catch (const Error& e) {
    return e;
  } catch (const std::exception& e) {
    FAIL("threw a non-opsdesk exception: ", e.what());
  }
  FAIL("threw nothing; expected an opsdesk::Error");
  return Error(ErrorKind::internal, "unreachable");
}

// The kind's name, so that failures print "data" rather than a number.
inline std::string kind(const Error& e) { return kind_name(e.kind()); }

inline bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "opsdesk-unit-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path / name; }
  std::filesystem::path path;
};

// Set (or, with nullopt, remove) an environment variable for the guard's lifetime.
class EnvGuard {
 public:
  EnvGuard(const char* name, std::optional<std::string> value) : m_name(name) {
    if (const char* old = std::getenv(name)) m_old = old;
    if (value) ::setenv(name, value->c_str(), 1);
    else ::unsetenv(name);
  }
  ~EnvGuard() {
    if (m_old) ::setenv(m_name.c_str(), m_old->c_str(), 1);
    else ::unsetenv(m_name.c_str());
  }
  EnvGuard(const EnvGuard&) = delete;
  EnvGuard& operator=(const EnvGuard&) = delete;

 private:
  std::string m_name;
  std::optional<std::string> m_old;
};

class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) {}
  ~UmaskGuard() { ::umask(m_old); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t m_old;
};

class ZoneGuard {
 public:
  explicit ZoneGuard(const char* zone) { core::set_time_zone(zone); }
  ~ZoneGuard() { core::set_time_zone("UTC"); }
  ZoneGuard(const ZoneGuard&) = delete;
  ZoneGuard& operator=(const ZoneGuard&) = delete;
};

// A file's bytes (independent of core::read_file, which some tests are about).
inline std::string slurp(const std::filesystem::path& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  REQUIRE_MESSAGE(f != nullptr, "cannot open ", path.string());
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

inline void spit(const std::filesystem::path& path, std::string_view content) {
  std::ofstream f(path, std::ios::binary);
  f << content;
}

inline unsigned mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<unsigned>(st.st_mode & 07777);
}

// A desk::Session; built here so that fields added to Session later (defaulted ones) do not
// turn every test into a -Wmissing-field-initializers warning.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
inline desk::Session make_session(store::Db& db, const config::Config& config, std::string actor, core::Timestamp now) {
  return desk::Session{db, config, std::move(actor), now};
}
#pragma GCC diagnostic pop

// Make `name` an account that may work on tickets when the store knows accounts (a schema that
// has them); a no-op on a store without. Tickets may be assigned only to accounts.
inline void ensure_account(store::Db& db, const std::string& name) {
  if (!db.one_int("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'accounts'")) return;
  db.run("INSERT OR IGNORE INTO accounts (name, role, created_at, updated_at) VALUES (?, 'engineer', 0, 0)", name);
}

// A store file in a temp dir, opened for writing, with the built-in config.
struct TempStore {
  TempDir dir;
  std::filesystem::path path = dir / "opsdesk.db";
  config::Config config;
  std::unique_ptr<store::Db> db = store::open_store({path, true, std::chrono::milliseconds(2000), {}});

  desk::Session session(core::Timestamp now, std::string actor = "wang") {
    return make_session(*db, config, std::move(actor), now);
  }
  std::int64_t count(std::string_view table) {
    return db->one_int("SELECT count(*) FROM " + std::string(table)).value_or(-1);
  }
};

}  // namespace opsdesk::test
