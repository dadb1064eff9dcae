#pragma once
// For the end-to-end tests of what opsdesk does to PostgreSQL databases other than its store
// (postgres backup targets and checks): they need the suite's server, $OPSDESK_TEST_PG, which
// only the "cli-pg:" run has; psql on a database, and databases made for one test.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>

#include "harness.hpp"

namespace opsdesk::test {

// Ends the test early, with a message, when no PostgreSQL server is there (the plain "cli:"
// run); the "cli-pg:" run has one. (The opposite of SQLITE_ONLY.)
#define POSTGRES_ONLY()                                                                          \
  do {                                                                                           \
    if (!::opsdesk::test::on_postgres()) {                                                       \
      MESSAGE("needs a PostgreSQL server ($OPSDESK_TEST_PG; the cli-pg: run has one): skipped"); \
      return;                                                                                    \
    }                                                                                            \
  } while (false)

// psql on `url`: unaligned, tuples only, '|' between columns, stopping at the first error.
inline Result pg_sql(const std::string& url, const std::string& statement) {
  return run_program({"psql", "-X", "-q", "-t", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement});
}

// A database of its own on the suite's server for one test, named after the sandbox's
// (unique among tests running at once), dropped when the test ends.
struct PgDatabase {
  std::string name;
  std::string url;
  PgDatabase(const Sandbox& s, const std::string& suffix) : name(s.pg_database + "_" + suffix), url(pg_url(pg_server(), name)) {
    REQUIRE_MESSAGE(!s.pg_database.empty(), "a PgDatabase needs the PostgreSQL run (POSTGRES_ONLY)");
    const auto r = pg_sql(pg_url(pg_server(), "postgres"), "CREATE DATABASE " + name);
    REQUIRE_MESSAGE(r.code == 0, r.err);
  }
  ~PgDatabase() { pg_sql(pg_url(pg_server(), "postgres"), "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); }
  PgDatabase(const PgDatabase&) = delete;
  PgDatabase& operator=(const PgDatabase&) = delete;
  // psql on this database; the test fails when it does.
  std::string sql(const std::string& statement) const {
    const auto r = pg_sql(url, statement);
    REQUIRE_MESSAGE(r.code == 0, statement, ": ", r.err);
    return r.out;
  }
};

// How many restore drills' scratch databases (opsdesk_drill_*) are on the server, waiting up
// to `limit` for none: a drill of a test running beside this one may be under way.
inline int drill_databases_left(std::chrono::seconds limit = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (true) {
    const auto r = pg_sql(pg_url(pg_server(), "postgres"),
                          "SELECT count(*) FROM pg_database WHERE datname LIKE 'opsdesk\\_drill\\_%'");
    const int n = r.code == 0 ? std::stoi(r.out) : -1;
    if (n == 0 || std::chrono::steady_clock::now() > deadline) return n;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

}  // namespace opsdesk::test
