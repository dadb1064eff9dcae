#pragma once
// Runs the built opsdesk binary in a fresh temporary directory with its own store and config,
// and captures what a user would see: the exit code, stdout and stderr.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace opsdesk::test {

struct Result {
  int code = -1;
  std::string out;
  std::string err;
  // stdout parsed as JSON (fails the test when it is not JSON)
  nlohmann::ordered_json json() const;
};

// Run any program; `input` goes to its stdin. `env` entries replace or add variables
// (an empty value removes one).
Result run_program(const std::vector<std::string>& argv, const std::string& input = "",
                   const std::map<std::string, std::string>& env = {}, const std::filesystem::path& cwd = {});

// The PostgreSQL server the suite runs against: $OPSDESK_TEST_PG, a URL without a database
// (scripts/pg-cluster prints one); empty when the suite runs on SQLite.
const std::string& pg_server();
inline bool on_postgres() { return !pg_server().empty(); }

// For a test of what only a SQLite file has (its bytes, its permissions, its WAL): ends the
// test early, with a message, when the suite runs on PostgreSQL.
#define SQLITE_ONLY()                                                   \
  do {                                                                  \
    if (::opsdesk::test::on_postgres()) {                               \
      MESSAGE("a SQLite store file is what this test is about: skipped"); \
      return;                                                           \
    }                                                                   \
  } while (false)

// `server` (a URL without a database, as in $OPSDESK_TEST_PG) naming database `name`.
std::string pg_url(const std::string& server, const std::string& name);

class Sandbox {
 public:
  Sandbox();
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // opsdesk --db <db> --config <config> ARGS..., acting as `actor` (OPSDESK_USER).
  Result run(const std::vector<std::string>& args, const std::string& input = "") const;
  Result run_as(const std::string& actor, const std::vector<std::string>& args, const std::string& input = "") const;
  // Same with extra environment (OPSDESK_NOW, NO_COLOR, ...).
  Result run_env(const std::map<std::string, std::string>& env, const std::vector<std::string>& args,
                 const std::string& input = "") const;
  // SQL on the store: sqlite3, or psql on PostgreSQL (unaligned, '|' between columns, as sqlite3).
  Result sql(const std::string& statement) const;
  // What the store holds, to compare before and after: the file's bytes, or a pg_dump.
  std::string store_bytes() const;
  // Write the config file.
  void write_config(const std::string& toml) const;
  void write_file(const std::filesystem::path& name, const std::string& content) const;

  std::filesystem::path dir;
  std::filesystem::path db;  // a file, or on PostgreSQL the URL of this sandbox's own database
  std::string pg_database;   // that database's name
  std::filesystem::path config;
  std::string actor = "wang";
  std::map<std::string, std::string> env;  // added to every run
};

// The ticket reference printed by `ticket new` (its stdout, trimmed); fails the test on error.
std::string new_ticket(const Sandbox& s, const std::vector<std::string>& args);

}  // namespace opsdesk::test
