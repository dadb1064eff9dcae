#include <doctest/doctest.h>
#include <toml++/toml.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/error.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::config;
using opsdesk::test::EnvGuard;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::spit;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;

namespace fs = std::filesystem;

TEST_SUITE_BEGIN("config");

namespace {

const fs::path k_origin = "/etc/opsdesk/config.toml";

// The error load_text gives for `text`.
Error config_error(const std::string& text) { return thrown([&] { load_text(text, k_origin); }); }

// The lines of `section` ("[store]" up to the next header) of a TOML text; a commented-out
// header ("# [sla.calendar]") counts as a header.
std::vector<std::string> section_lines(std::string_view text, const std::string& section) {
  std::vector<std::string> out;
  std::istringstream in{std::string(text)};
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    const std::string header = line.starts_with("# [") ? line.substr(2) : line;
    if (header.starts_with("[")) inside = header.starts_with("[" + section + "]");
    else if (inside) out.push_back(line);
  }
  return out;
}

// True when the example documents `key` in `section`, set ("key = ...") or commented ("# key = ...").
bool documents(std::string_view example, const std::string& section, const std::string& key) {
  for (const auto& line : section_lines(example, section)) {
    if (line.starts_with(key + " =") || line.starts_with("# " + key + " =")) return true;
  }
  return false;
}

// Every key of `table` (nested tables as their own sections) must be documented in `example`.
void check_documented(std::string_view example, const toml::table& table, const std::string& section,
                      std::size_t& keys) {
  for (auto&& [k, node] : table) {
    const std::string key(k.str());
    if (node.is_table()) {
      check_documented(example, *node.as_table(), section.empty() ? key : section + "." + key, keys);
      continue;
    }
    ++keys;
    const std::string dotted = section + "." + key;
    CAPTURE(dotted);
    CHECK(documents(example, section, key));
  }
}

}  // namespace

TEST_CASE("config::Config, the built-in defaults") {
  const Config c;
  CHECK(c.source.empty());
  CHECK(c.desk.name == "opsdesk");
  CHECK(c.desk.timezone == "local");
  CHECK(c.store.path.empty());
  CHECK(c.store.busy_timeout == 10);
  CHECK(c.ticket.default_type == model::TicketType::incident);
  CHECK(c.ticket.default_priority == model::Priority::medium);
  CHECK(c.output.color == ColorMode::auto_);
}

TEST_CASE("config::load, no config file gives the defaults") {
  TempDir dir;
  EnvGuard home("HOME", dir.path.string());
  EnvGuard xdg("XDG_CONFIG_HOME", (dir / "xdg").string());
  EnvGuard env("OPSDESK_CONFIG", std::nullopt);
  const auto where = locate("");
  CHECK(where.path == dir / "xdg" / "opsdesk" / "config.toml");
  CHECK_FALSE(where.explicit_choice);
  const Config c = load(where);
  CHECK(c.source.empty());
  CHECK(to_toml(c) == to_toml(Config{}));
  CHECK_FALSE(fs::exists(dir / "xdg"));  // loading creates nothing
}

TEST_CASE("config::example_text") {
  const auto example = example_text();
  REQUIRE_FALSE(example.empty());
  SUBCASE("loads to exactly the defaults") {
    const Config c = load_text(example, "opsdesk.example.toml");
    CHECK(to_toml(c) == to_toml(Config{}));
    CHECK(to_json(c) == to_json(Config{}));
  }
  SUBCASE("documents every key the effective config shows") {
    Config all;
    all.store.path = "~/opsdesk.db";  // shown only when set
    const toml::table shown = toml::parse(to_toml(all));
    std::size_t keys = 0;
    check_documented(example, shown, "", keys);
    CHECK(keys >= 7);
  }
}

TEST_CASE("config::load_text, values") {
  SUBCASE("every key set") {
    const Config c = load_text(R"(
[desk]
name = "运维服务台"
timezone = "Asia/Shanghai"
[store]
path = "~/desk/opsdesk.db"
busy_timeout = "1h30m"
[ticket]
default_type = "request"
default_priority = "high"
[output]
color = "never"
)",
                               k_origin);
    CHECK(c.source == k_origin);
    CHECK(c.desk.name == "运维服务台");
    CHECK(c.desk.timezone == "Asia/Shanghai");
    CHECK(c.store.path == "~/desk/opsdesk.db");
    CHECK(c.store.busy_timeout == 5400);
    CHECK(c.ticket.default_type == model::TicketType::request);
    CHECK(c.ticket.default_priority == model::Priority::high);
    CHECK(c.output.color == ColorMode::never);
    SUBCASE("what config show prints loads back to the same config") {
      const std::string shown = to_toml(c);
      CHECK(to_toml(load_text(shown, "shown.toml")) == shown);
    }
  }
  SUBCASE("an empty file is the defaults") { CHECK(to_toml(load_text("", k_origin)) == to_toml(Config{})); }
  SUBCASE("UTC and local are time zones too") {
    CHECK(load_text("[desk]\ntimezone = \"UTC\"\n", k_origin).desk.timezone == "UTC");
    CHECK(load_text("[desk]\ntimezone = \"local\"\n", k_origin).desk.timezone == "local");
  }
  SUBCASE("JSON output parses and carries the values") {
    const auto j = nlohmann::json::parse(to_json(load_text("[ticket]\ndefault_priority = \"low\"\n", k_origin)));
    CHECK(j["ticket"]["default_priority"] == "low");
    CHECK(j["desk"]["name"] == "opsdesk");
  }
}

TEST_CASE("config::load_text, unknown keys") {
  SUBCASE("a typo in a section names file:line:column and the key it meant") {
    const auto e = config_error("[desk]\nname = \"x\"\ntimezon = \"UTC\"\n");
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), "/etc/opsdesk/config.toml:3:1"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "desk.timezon"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "unknown key"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "did you mean timezone?"), std::string(e.what()));
  }
  SUBCASE("two letters swapped, the commonest typo, also gets a guess") {
    const auto e = config_error("[desk]\nnmae = \"x\"\n");
    CHECK_MESSAGE(has(e.what(), "desk.nmae: unknown key"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "did you mean name?"), std::string(e.what()));
  }
  SUBCASE("a misspelt section") {
    const auto e = config_error("\n[tickets]\ndefault_type = \"request\"\n");
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), "/etc/opsdesk/config.toml:2:"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "tickets"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "unknown key"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "did you mean ticket?"), std::string(e.what()));
  }
  SUBCASE("British spelling") {
    const auto e = config_error("[output]\ncolour = \"never\"\n");
    CHECK_MESSAGE(has(e.what(), "output.colour"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "did you mean color?"), std::string(e.what()));
  }
  SUBCASE("a key that resembles nothing gets no guess") {
    const auto e = config_error("[output]\nwidth = 120\n");
    CHECK_MESSAGE(has(e.what(), "output.width: unknown key"), std::string(e.what()));
    CHECK_MESSAGE(!has(e.what(), "did you mean"), std::string(e.what()));
  }
  SUBCASE("a key at the top level") {
    const auto e = config_error("name = \"x\"\n");
    CHECK_MESSAGE(has(e.what(), "config.toml:1:1"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "unknown key"), std::string(e.what()));
  }
}

TEST_CASE("config::load_text, bad values name the key and what is allowed") {
  SUBCASE("busy_timeout = \"10x\"") {
    const auto e = config_error("[store]\nbusy_timeout = \"10x\"\n");
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), "config.toml:2:"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "store.busy_timeout"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "\"10x\""), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "expected a duration"), std::string(e.what()));
  }
  SUBCASE("busy_timeout = 10, a bare number") {
    const auto e = config_error("[store]\nbusy_timeout = 10\n");
    CHECK_MESSAGE(has(e.what(), "store.busy_timeout"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "expected a duration"), std::string(e.what()));
  }
  SUBCASE("default_priority = \"critical\"") {
    const auto e = config_error("[ticket]\ndefault_priority = \"critical\"\n");
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), "config.toml:2:"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "ticket.default_priority"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "\"critical\""), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "urgent, high, medium, low"), std::string(e.what()));
  }
  SUBCASE("default_type with a typo gets a guess") {
    const auto e = config_error("[ticket]\ndefault_type = \"incidnet\"\n");
    CHECK_MESSAGE(has(e.what(), "did you mean incident?"), std::string(e.what()));
  }
  SUBCASE("color = 3") {
    const auto e = config_error("[output]\ncolor = 3\n");
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), "config.toml:2:"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "output.color"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "3"), std::string(e.what()));
    // what is allowed: the three words, not just "a string"
    CHECK_MESSAGE(has(e.what(), "auto"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "always"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "never"), std::string(e.what()));
  }
  SUBCASE("color = \"sometimes\"") {
    const auto e = config_error("[output]\ncolor = \"sometimes\"\n");
    CHECK_MESSAGE(has(e.what(), "output.color"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "auto, always, never"), std::string(e.what()));
  }
  SUBCASE("timezone = \"Mars/Base\"") {
    const auto e = config_error("[desk]\ntimezone = \"Mars/Base\"\n");
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), "config.toml:2:"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "desk.timezone"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "Mars/Base"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "IANA zone"), std::string(e.what()));
  }
  SUBCASE("time zones that are paths") {
    for (const char* zone : {"../../etc/passwd", "/etc/localtime", "", "Asia"}) {
      const std::string text = zone;
      CAPTURE(text);
      CHECK(kind(config_error("[desk]\ntimezone = \"" + text + "\"\n")) == "config");
    }
  }
  SUBCASE("a section that is not a table") {
    const auto e = config_error("desk = \"x\"\n");
    CHECK_MESSAGE(has(e.what(), "desk"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "expected a table"), std::string(e.what()));
  }
  SUBCASE("a name that is not a string") {
    const auto e = config_error("[desk]\nname = true\n");
    CHECK_MESSAGE(has(e.what(), "desk.name"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "expected a string"), std::string(e.what()));
  }
}

TEST_CASE("config::load_text, TOML syntax errors name line and column") {
  const std::regex position(R"(^/etc/opsdesk/config\.toml:(\d+):(\d+): )");
  struct Case {
    const char* text;
    const char* line;
  };
  for (const auto& c : {Case{"[desk]\nname = \"unterminated\n", "2"}, Case{"[desk\nname = \"x\"\n", "1"},
                        Case{"[desk]\nname = \"a\"\nname = \"b\"\n", "3"}, Case{"\n\n[store]\nbusy_timeout = \n", "4"},
                        Case{"[output]\ncolor = never\n", "2"}}) {
    const std::string text = c.text;
    CAPTURE(text);
    const auto e = config_error(text);
    CHECK(kind(e) == "config");
    std::cmatch m;
    const std::string what = e.what();
    REQUIRE_MESSAGE(std::regex_search(what.c_str(), m, position), what);
    CHECK(m[1].str() == c.line);
    CHECK(std::stoi(m[2].str()) >= 1);
  }
}

TEST_CASE("config::load and config::load_file, files") {
  TempDir dir;
  EnvGuard home("HOME", dir.path.string());
  EnvGuard xdg("XDG_CONFIG_HOME", (dir / "xdg").string());
  EnvGuard env("OPSDESK_CONFIG", std::nullopt);
  SUBCASE("an explicitly named file that does not exist is a config error") {
    const auto e = thrown([&] { load({dir / "nope.toml", true}); });
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), (dir / "nope.toml").string()), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "does not exist"), std::string(e.what()));
  }
  SUBCASE("so is one named by OPSDESK_CONFIG") {
    EnvGuard named("OPSDESK_CONFIG", (dir / "env.toml").string());
    const auto where = locate("");
    CHECK(where.path == dir / "env.toml");
    CHECK(where.explicit_choice);
    CHECK(kind(thrown([&] { load(where); })) == "config");
  }
  SUBCASE("load_file of a missing file is a config error") {
    CHECK(kind(thrown([&] { load_file(dir / "missing.toml"); })) == "config");
  }
  SUBCASE("errors name the file that was loaded") {
    spit(dir / "bad.toml", "[desk]\nnmae = \"x\"\n");
    const auto e = thrown([&] { load({dir / "bad.toml", true}); });
    CHECK(kind(e) == "config");
    CHECK_MESSAGE(has(e.what(), (dir / "bad.toml").string() + ":2:1"), std::string(e.what()));
  }
  SUBCASE("the flag wins over OPSDESK_CONFIG, which wins over XDG") {
    spit(dir / "flag.toml", "[desk]\nname = \"from flag\"\n");
    spit(dir / "env.toml", "[desk]\nname = \"from env\"\n");
    fs::create_directories(dir / "xdg" / "opsdesk");
    spit(dir / "xdg" / "opsdesk" / "config.toml", "[desk]\nname = \"from xdg\"\n");
    CHECK(load(locate("")).desk.name == "from xdg");
    CHECK(load(locate("")).source == dir / "xdg" / "opsdesk" / "config.toml");
    EnvGuard named("OPSDESK_CONFIG", (dir / "env.toml").string());
    CHECK(load(locate("")).desk.name == "from env");
    CHECK(load(locate((dir / "flag.toml").string())).desk.name == "from flag");
    CHECK(locate("~/flag.toml").path == dir / "flag.toml");
  }
}

TEST_CASE("config::store_path, precedence") {
  TempDir dir;
  EnvGuard home("HOME", dir.path.string());
  EnvGuard xdg("XDG_DATA_HOME", (dir / "data").string());
  EnvGuard env("OPSDESK_DB", "/from/env.db");
  Config c;
  c.store.path = "/from/config.db";
  SUBCASE("--db first") { CHECK(store_path("/from/flag.db", c) == fs::path("/from/flag.db")); }
  SUBCASE("then OPSDESK_DB") { CHECK(store_path("", c) == fs::path("/from/env.db")); }
  SUBCASE("then store.path") {
    EnvGuard no_env("OPSDESK_DB", std::nullopt);
    CHECK(store_path("", c) == fs::path("/from/config.db"));
  }
  SUBCASE("an empty OPSDESK_DB counts as unset") {
    EnvGuard empty("OPSDESK_DB", "");
    CHECK(store_path("", c) == fs::path("/from/config.db"));
  }
  SUBCASE("then $XDG_DATA_HOME/opsdesk/opsdesk.db") {
    EnvGuard no_env("OPSDESK_DB", std::nullopt);
    CHECK(store_path("", Config{}) == dir / "data" / "opsdesk" / "opsdesk.db");
  }
  SUBCASE("then ~/.local/share/opsdesk/opsdesk.db") {
    EnvGuard no_env("OPSDESK_DB", std::nullopt);
    EnvGuard no_xdg("XDG_DATA_HOME", std::nullopt);
    CHECK(store_path("", Config{}) == dir / ".local" / "share" / "opsdesk" / "opsdesk.db");
  }
  SUBCASE("~ is expanded in each") {
    CHECK(store_path("~/flag.db", c) == dir / "flag.db");
    EnvGuard home_env("OPSDESK_DB", "~/env.db");
    CHECK(store_path("", c) == dir / "env.db");
    EnvGuard no_env("OPSDESK_DB", std::nullopt);
    c.store.path = "~/desk/config.db";
    CHECK(store_path("", c) == dir / "desk" / "config.db");
  }
}

TEST_SUITE_END();
