#pragma once
// Walks one TOML table of the config, reads typed values, and rejects what it does not know.
// Every error names file:line:column, the dotted key, the bad value and what is allowed.
#include <toml++/toml.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace opsdesk::config {

class Section {
 public:
  Section(const toml::table& table, std::string prefix, std::filesystem::path file);

  std::optional<std::string> string(std::string_view key);
  std::optional<std::string> one_of(std::string_view key, const std::vector<std::string>& allowed);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<double> number(std::string_view key, double min, double max);
  std::optional<core::Seconds> duration(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key,
                                                  const std::vector<std::string>& allowed = {});
  // A sub-table `key`, read by `read`; absent tables are skipped.
  void table(std::string_view key, const std::function<void(Section&)>& read);
  // Each table of an array of tables `key` ([[key]]).
  void tables(std::string_view key, const std::function<void(Section&, std::size_t)>& read);

  // Throw for the first key nobody read.
  void finish();

  [[noreturn]] void fail(std::string_view key, const std::string& message) const;
  const std::string& prefix() const { return m_prefix; }
  // Name this section in later messages (checks["root-disk"] instead of checks[0]).
  void rename(std::string prefix) { m_prefix = std::move(prefix); }
  const std::filesystem::path& file() const { return m_file; }

 private:
  const toml::node* take(std::string_view key);
  [[noreturn]] void fail_at(const toml::source_region& where, std::string_view key, const std::string& message) const;
  std::string dotted(std::string_view key) const;

  const toml::table& m_table;
  std::string m_prefix;
  std::filesystem::path m_file;
  std::set<std::string, std::less<>> m_used;   // keys present and read
  std::set<std::string, std::less<>> m_asked;  // every key this section knows
};

// A PostgreSQL URL at `key` of `s` (nullopt when absent). One that carries a password is refused:
// it would show in `ps`, in logs and in `config show`; ~/.pgpass or $PGPASSFILE hold passwords.
std::optional<std::string> postgres_url(Section& s, std::string_view key);

}  // namespace opsdesk::config
