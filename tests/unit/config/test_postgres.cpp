// PostgreSQL in the config outside the store: a postgres backup target and a postgres check,
// each with a url that must be a postgresql:// URL and never carry a password.
#include <doctest/doctest.h>

#include <string>

#include "config/config.hpp"
#include "core/error.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::config;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::thrown;

TEST_SUITE_BEGIN("config");

namespace {

Error config_error(const std::string& text) { return thrown([&] { load_text(text, "/etc/opsdesk/config.toml"); }); }

std::string target(const std::string& url_line) {
  return "[[backup.targets]]\nname = \"erp-db\"\nkind = \"postgres\"\n" + url_line;
}

std::string check(const std::string& url_line) {
  return "[[checks]]\nname = \"erp-db\"\ntype = \"postgres\"\nwarning = \"~:60\"\n" + url_line;
}

}  // namespace

TEST_CASE("config::load_text, a postgres backup target") {
  SUBCASE("its url") {
    const auto c = load_text(target("url = \"postgresql://backup@db.example/erp?sslmode=require\"\n"), "c.toml");
    REQUIRE(c.backup.targets.size() == 1);
    CHECK(c.backup.targets[0].kind == "postgres");
    CHECK(c.backup.targets[0].url == "postgresql://backup@db.example/erp?sslmode=require");
    CHECK(has(to_toml(c), "url = 'postgresql://backup@db.example/erp?sslmode=require'"));
  }
  SUBCASE("missing") {
    const auto e = config_error(target(""));
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), "backup.targets[\"erp-db\"].url: missing"), e.what());
  }
  SUBCASE("not a PostgreSQL URL") {
    const auto e = config_error(target("url = \"/srv/erp.db\"\n"));
    CHECK_MESSAGE(has(e.what(), "expected a PostgreSQL URL"), e.what());
  }
  SUBCASE("a password, as user:password@ or password=, refused and not repeated") {
    for (const std::string url : {"postgresql://backup:s3cret@db.example/erp", "postgresql://backup@db.example/erp?password=s3cret"}) {
      CAPTURE(url);
      const auto e = config_error(target("url = \"" + url + "\"\n"));
      CHECK(kind(e) == "config");
      CHECK_MESSAGE(has(e.what(), "config.toml:4:"), e.what());
      CHECK_MESSAGE(has(e.what(), "carries a password"), e.what());
      CHECK_FALSE(has(e.what(), "s3cret"));
    }
  }
  SUBCASE("url belongs to postgres targets only") {
    const auto e = config_error("[[backup.targets]]\nname = \"x\"\nkind = \"sqlite\"\npath = \"/srv/x.db\"\nurl = \"postgresql://h/x\"\n");
    CHECK_MESSAGE(has(e.what(), "unknown key"), e.what());
  }
}

TEST_CASE("config::load_text, a postgres check") {
  SUBCASE("its url; the lag is judged by default") {
    const auto c = load_text(check("url = \"postgresql://monitor@db.example/erp\"\n"), "c.toml");
    REQUIRE(c.checks.size() == 1);
    CHECK(c.checks[0].url == "postgresql://monitor@db.example/erp");
    CHECK(c.checks[0].metric == "lag");
    CHECK(c.checks[0].warning->text == "~:60");
  }
  SUBCASE("metric size") {
    const auto c = load_text(check("url = \"postgresql://h/erp\"\nmetric = \"size\"\n"), "c.toml");
    CHECK(c.checks[0].metric == "size");
  }
  SUBCASE("missing, not PostgreSQL, or with a password") {
    CHECK_MESSAGE(has(config_error(check("")).what(), "checks[\"erp-db\"].url: missing"), config_error(check("")).what());
    CHECK(has(config_error(check("url = \"https://db.example/\"\n")).what(), "expected a PostgreSQL URL"));
    const auto e = config_error(check("url = \"postgres://monitor:s3cret@db.example/erp\"\n"));
    CHECK(kind(e) == "config");
    CHECK(has(e.what(), "carries a password"));
    CHECK_FALSE(has(e.what(), "s3cret"));
  }
}

TEST_SUITE_END();
