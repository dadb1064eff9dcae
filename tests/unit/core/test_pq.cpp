// The plain libpq connection to databases that are not the store: URLs naming another database,
// quoting, and what a server that is not there gives.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "core/error.hpp"
#include "core/pq.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::core;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;

TEST_SUITE_BEGIN("core pq");

TEST_CASE("core::url_with_database") {
  SUBCASE("user, host, port and parameters are kept") {
    CHECK(url_with_database("postgresql://backup@db.example:5433/erp?sslmode=require&application_name=x", "scratch") ==
          "postgresql://backup@db.example:5433/scratch?sslmode=require&application_name=x");
  }
  SUBCASE("a socket directory given as a parameter") {
    CHECK(url_with_database("postgresql://postgres@/erp?host=/tmp/pg", "scratch") == "postgresql://postgres@/scratch?host=/tmp/pg");
  }
  SUBCASE("a URL without a database, or with an empty one") {
    CHECK(url_with_database("postgresql://db.example", "scratch") == "postgresql://db.example/scratch");
    CHECK(url_with_database("postgres://db.example/", "scratch") == "postgres://db.example/scratch");
    CHECK(url_with_database("postgresql:///erp", "scratch") == "postgresql:///scratch");
  }
  SUBCASE("dbname= in the parameters would win over the path: refused") {
    const auto e = thrown([] { url_with_database("postgresql://db.example/erp?dbname=erp", "scratch"); });
    CHECK(kind(e) == "config");
    CHECK(has(e.what(), "dbname="));
    CHECK(kind(thrown([] { url_with_database("postgresql://db.example/?sslmode=disable&dbname=erp", "x"); })) == "config");
  }
}

TEST_CASE("core::pq_identifier and core::pq_literal") {
  CHECK(pq_identifier("opsdesk_drill_1") == "\"opsdesk_drill_1\"");
  CHECK(pq_identifier("we\"ird") == "\"we\"\"ird\"");
  CHECK(pq_literal("en_US.UTF-8") == "'en_US.UTF-8'");
  CHECK(pq_literal("it's") == "'it''s'");
}

TEST_CASE("core::PqConnection, a server that is not there") {
  TempDir dir;  // a socket directory with no server in it
  const auto started = std::chrono::steady_clock::now();
  const auto e = thrown([&] { PqConnection db("postgresql://nobody@/erp?host=" + dir.path.string(), std::chrono::seconds(2), "the erp database"); });
  CHECK(kind(e) == "unavailable");
  CHECK_MESSAGE(has(e.what(), "cannot connect to the erp database: "), e.what());
  CHECK_MESSAGE(has(e.what(), "No such file or directory"), e.what());
  CHECK_MESSAGE(!has(e.what(), "\n"), e.what());  // libpq's lines made one
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_SUITE_END();
