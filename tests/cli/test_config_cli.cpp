// End-to-end: opsdesk init, config show|check|path, and the config's effect on other commands.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>

#include "cli_helpers.hpp"
#include "harness.hpp"

using namespace opsdesk::test;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("cli config");

namespace {

// opsdesk without --db and --config: what a new user types, in the sandbox's HOME and XDG dirs.
Result bare(const Sandbox& s, const std::vector<std::string>& args, std::map<std::string, std::string> extra = {}) {
  std::vector<std::string> argv = {OPSDESK_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  auto env = s.env;
  env["OPSDESK_USER"] = s.actor;
  for (const auto& [k, v] : extra) env[k] = v;
  return run_program(argv, "", env, s.dir);
}

const char* const k_bad_key = "[desk]\nname = \"ops\"\nnmae = \"typo\"\n";

}  // namespace

TEST_CASE("init writes a private config and creates the store") {
  Sandbox s;
  UmaskGuard umask(0);
  fs::remove(s.config);
  const auto r = s.run({"init"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(has(r.out, s.config.string()));
  CHECK(has(r.out, "written"));
  CHECK(has(r.out, "created"));
  CHECK(file_mode(s.config) == 0600);
  if (!on_postgres()) CHECK(file_mode(s.db) == 0600);
  const auto text = file_bytes(s.config);
  for (const char* section : {"[desk]", "[store]", "[ticket]", "[output]", "busy_timeout", "default_priority"}) {
    const std::string part = section;
    CAPTURE(part);
    CHECK(has(text, part));
  }
  const auto check = s.run({"config", "check"});
  CHECK(check.code == 0);
  CHECK(check.out == s.config.string() + ": OK\n");
  CHECK(s.run({"ticket", "list"}).code == 0);
}

TEST_CASE("init in a new HOME uses the XDG directories, private") {
  Sandbox s;
  UmaskGuard umask(0);
  const auto r = bare(s, {"init"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto config = s.dir / "xdg-config" / "opsdesk" / "config.toml";
  const auto store = s.dir / "xdg-data" / "opsdesk" / "opsdesk.db";
  CHECK(file_mode(config) == 0600);
  CHECK(file_mode(config.parent_path()) == 0700);
  CHECK(file_mode(store) == 0600);
  CHECK(file_mode(store.parent_path()) == 0700);
  const auto path = bare(s, {"config", "path", "--json"});
  REQUIRE(path.code == 0);
  const auto j = path.json();
  CHECK(j["config"] == config.string());
  CHECK(j["config_exists"] == true);
  CHECK(j["store"] == store.string());
  CHECK(j["store_exists"] == true);
}

TEST_CASE("init a second time exits 1 and keeps the config") {
  Sandbox s;
  s.write_config("[desk]\nname = \"mine\"\n");
  const auto r = s.run({"init"});
  CHECK(r.code == 1);
  CHECK(has(r.err, "already exists"));
  CHECK(has(r.err, "--force"));
  CHECK(r.out.empty());
  CHECK(file_bytes(s.config) == "[desk]\nname = \"mine\"\n");
  CHECK_FALSE(fs::exists(s.db));
}

TEST_CASE("init --force replaces the config and keeps the store") {
  Sandbox s;
  const auto ref = new_ticket(s, {"keep me"});
  SUBCASE("over a valid config") { s.write_config("[desk]\nname = \"mine\"\n"); }
  SUBCASE("over a broken one") { s.write_config(k_bad_key); }
  UmaskGuard umask(0);
  fs::permissions(s.config, fs::perms(0644));
  const auto r = s.run({"init", "--force"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(has(r.out, "replaced"));
  CHECK(has(r.out, "kept"));
  CHECK(has(file_bytes(s.config), "[ticket]"));
  CHECK_FALSE(has(file_bytes(s.config), "mine"));
  CHECK(file_mode(s.config) == 0600);
  CHECK(s.run({"config", "check"}).code == 0);
  CHECK(s.run({"ticket", "show", ref}).code == 0);
}

TEST_CASE("config check, a bad config exits 78 naming file:line:column") {
  Sandbox s;
  SUBCASE("an unknown key") {
    s.write_config(k_bad_key);
    const auto r = s.run({"config", "check"});
    CHECK(r.code == 78);
    CHECK(r.out.empty());
    CHECK_MESSAGE(r.err.starts_with("opsdesk: error: " + s.config.string() + ":3:1: "), r.err);
    CHECK(has(r.err, "desk.nmae"));
    CHECK(has(r.err, "unknown key"));
  }
  SUBCASE("a bad value") {
    s.write_config("[store]\nbusy_timeout = \"10x\"\n");
    const auto r = s.run({"config", "check"});
    CHECK(r.code == 78);
    CHECK_MESSAGE(has(r.err, s.config.string() + ":2:"), r.err);
    CHECK(has(r.err, "store.busy_timeout"));
    CHECK(has(r.err, "10x"));
  }
  SUBCASE("a TOML syntax error") {
    s.write_config("[ticket]\ndefault_priority = high\n");
    const auto r = s.run({"config", "check"});
    CHECK(r.code == 78);
    CHECK_MESSAGE(has(r.err, s.config.string() + ":2:"), r.err);
  }
  SUBCASE("a config file named with --config that does not exist") {
    fs::remove(s.config);
    const auto r = s.run({"config", "check"});
    CHECK(r.code == 78);
    CHECK(has(r.err, s.config.string()));
    CHECK(has(r.err, "does not exist"));
  }
  SUBCASE("... or with OPSDESK_CONFIG") {
    const auto r = bare(s, {"config", "check"}, {{"OPSDESK_CONFIG", (s.dir / "nope.toml").string()}});
    CHECK(r.code == 78);
    CHECK(has(r.err, "nope.toml"));
  }
}

TEST_CASE("config check with no config file: the defaults apply") {
  Sandbox s;
  const auto r = bare(s, {"config", "check"});
  CHECK(r.code == 0);
  CHECK(has(r.out, "built-in defaults"));
}

TEST_CASE("config show") {
  Sandbox s;
  SUBCASE("--json parses and has the defaults") {
    const auto r = s.run({"config", "show", "--json"});
    REQUIRE(r.code == 0);
    const auto j = r.json();
    CHECK(j["desk"]["name"] == "opsdesk");
    CHECK(j["store"]["busy_timeout"] == "10s");
    CHECK(j["ticket"]["default_type"] == "incident");
    CHECK(j["ticket"]["default_priority"] == "medium");
    CHECK(j["output"]["color"] == "auto");
  }
  SUBCASE("values from the file") {
    s.write_config("[ticket]\ndefault_priority = \"high\"\n[store]\nbusy_timeout = \"1h30m\"\n");
    const auto j = s.run({"config", "show", "--json"}).json();
    CHECK(j["ticket"]["default_priority"] == "high");
    CHECK(j["store"]["busy_timeout"] == "1h30m");
    const auto toml = s.run({"config", "show"});
    CHECK(toml.code == 0);
    CHECK(has(toml.out, "[ticket]"));
    CHECK(has(toml.out, "high"));
  }
  SUBCASE("what it prints is a valid config") {
    s.write_config("[desk]\nname = \"运维台\"\ntimezone = \"Asia/Shanghai\"\n[output]\ncolor = \"never\"\n");
    const auto shown = s.run({"config", "show"});
    REQUIRE(shown.code == 0);
    s.write_config(shown.out);
    CHECK(s.run({"config", "check"}).code == 0);
    CHECK(s.run({"config", "show"}).out == shown.out);
  }
  SUBCASE("a bad config exits 78") {
    s.write_config(k_bad_key);
    CHECK(s.run({"config", "show", "--json"}).code == 78);
  }
}

TEST_CASE("config path") {
  Sandbox s;
  auto r = bare(s, {"config", "path"});
  CHECK(r.code == 0);
  CHECK(has(r.out, (s.dir / "xdg-config" / "opsdesk" / "config.toml").string()));
  CHECK(has(r.out, "not found; the built-in defaults apply"));
  CHECK(has(r.out, (s.dir / "xdg-data" / "opsdesk" / "opsdesk.db").string()));
  r = s.run({"config", "path", "--json"});
  REQUIRE(r.code == 0);
  auto j = r.json();
  CHECK(j["config"] == s.config.string());
  CHECK(j["config_exists"] == true);
  CHECK(j["store"] == s.db.string());
  CHECK(j["store_exists"] == false);
  SUBCASE("OPSDESK_DB names the store when --db does not") {
    j = bare(s, {"config", "path", "--json"}, {{"OPSDESK_DB", (s.dir / "env.db").string()}}).json();
    CHECK(j["store"] == (s.dir / "env.db").string());
  }
  SUBCASE("store.path in the config, with ~") {
    s.write_config("[store]\npath = \"~/desk/opsdesk.db\"\n");
    j = bare(s, {"config", "path", "--json"}, {{"OPSDESK_CONFIG", s.config.string()}}).json();
    CHECK(j["store"] == (s.dir / "desk" / "opsdesk.db").string());
    CHECK(bare(s, {"ticket", "new", "x"}, {{"OPSDESK_CONFIG", s.config.string()}}).code == 0);
    CHECK(fs::exists(s.dir / "desk" / "opsdesk.db"));
  }
}

TEST_CASE("a bad config stops every command with 78, before the store is touched") {
  Sandbox s;
  s.write_config(k_bad_key);
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"ticket", "list"}, {"ticket", "new", "x"}, {"ticket", "export"}, {"audit", "verify"}, {"audit", "log"}}) {
    CAPTURE(args[1]);
    const auto r = s.run(args);
    CHECK(r.code == 78);
    CHECK_MESSAGE(has(r.err, s.config.string() + ":3:1"), r.err);
  }
  CHECK_FALSE(fs::exists(s.db));
}

TEST_CASE("the config's defaults and time zone apply to commands") {
  Sandbox s;
  SUBCASE("ticket new uses the default type and priority") {
    s.write_config("[ticket]\ndefault_type = \"request\"\ndefault_priority = \"high\"\n");
    const auto ref = new_ticket(s, {"toner"});
    CHECK(ref.starts_with("REQ-"));
    CHECK(s.run({"ticket", "show", ref, "--json"}).json()["priority"] == "high");
  }
  SUBCASE("times typed without an offset are in desk.timezone") {
    s.write_config("[desk]\ntimezone = \"Asia/Shanghai\"\n");
    s.env["OPSDESK_NOW"] = "2026-11-25T06:30:00Z";
    const auto ref = new_ticket(s, {"called at two", "--at", "2026-11-25 14:00"});
    CHECK(s.run({"ticket", "show", ref, "--json"}).json()["created_at"] == "2026-11-25T06:00:00Z");
  }
}

TEST_CASE("config show never prints the password of a URL in the config") {
  Sandbox s;
  s.write_config("[[checks]]\nname = \"web\"\ntype = \"http\"\nurl = \"https://monitor:s3cret@erp:8443/status\"\n");
  for (const std::vector<std::string>& args : {std::vector<std::string>{"config", "show"}, std::vector<std::string>{"config", "show", "--json"}}) {
    const auto r = s.run(args);
    REQUIRE(r.code == 0);
    CHECK(r.out.find("s3cret") == std::string::npos);
    CHECK(r.out.find("monitor:<redacted>@erp") != std::string::npos);
  }
}

TEST_SUITE_END();
