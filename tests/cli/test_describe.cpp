// End-to-end: the command tree describing itself — shell completion, man pages, enumerated
// values in --help — and --quiet on lists.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <string>

#include "cli_helpers.hpp"
#include "harness.hpp"

using namespace opsdesk::test;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("cli describe");

namespace {

bool offers(const std::vector<std::string>& lines, const std::string& word) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& l) { return l.substr(0, l.find('\t')) == word; });
}

// What bash offers after typing `words` (the last one being typed), with the script that
// `opsdesk completion bash` prints, loaded into a real bash.
std::vector<std::string> bash_offers(const Sandbox& s, const std::vector<std::string>& words) {
  const auto script = s.run({"completion", "bash"});
  REQUIRE(script.code == 0);
  s.write_file("opsdesk.bash", script.out);
  std::string array = std::string("'") + OPSDESK_BIN + "'";
  for (const auto& w : words) array += " '" + w + "'";
  const std::string program = "source '" + (s.dir / "opsdesk.bash").string() + "'\n" + "COMP_WORDS=(" + array +
                              ")\nCOMP_CWORD=" + std::to_string(words.size()) +
                              "\n_opsdesk\nfor w in \"${COMPREPLY[@]}\"; do printf '%s\\n' \"$w\"; done\n";
  auto env = s.env;
  env["OPSDESK_DB"] = s.db.string();
  env["OPSDESK_CONFIG"] = s.config.string();
  env["OPSDESK_USER"] = s.actor;
  const auto r = run_program({"bash", "--norc", "-c", program}, "", env, s.dir);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto lines = lines_of(r.out);
  std::sort(lines.begin(), lines.end());  // as bash shows them
  return lines;
}

}  // namespace

TEST_CASE("bash completion offers the ticket subcommands, their options and enumerated values") {
  Sandbox s;
  auto subs = bash_offers(s, {"ticket", ""});
  for (const char* word : {"new", "list", "show", "ack", "resolve", "import", "export"}) CHECK_MESSAGE(offers(subs, word), word);
  CHECK(subs.size() > 20);
  CHECK(bash_offers(s, {"tick"}) == std::vector<std::string>{"ticket"});
  CHECK(bash_offers(s, {"ticket", "res"}) == std::vector<std::string>{"resolve", "resume"});
  const auto options = bash_offers(s, {"ticket", "list", "--pr"});
  CHECK(options == std::vector<std::string>{"--priority"});
  const auto priorities = bash_offers(s, {"ticket", "new", "title", "--priority", ""});
  CHECK(priorities == std::vector<std::string>{"high", "low", "medium", "urgent"});
  CHECK(bash_offers(s, {"--no-color", "ticket", "list", "--format", "j"}) == std::vector<std::string>{"json", "jsonl"});
  CHECK(bash_offers(s, {"completion", ""}) == std::vector<std::string>{"bash", "fish", "zsh"});
}

TEST_CASE("completion offers ticket references and accounts from the store") {
  Sandbox s;
  const auto ref = new_ticket(s, {"printer jams", "--priority", "low"});
  const auto refs = bash_offers(s, {"ticket", "ack", ""});
  CHECK(refs == std::vector<std::string>{ref});
  CHECK(bash_offers(s, {"ticket", "ack", "INC"}) == std::vector<std::string>{ref});
  CHECK(bash_offers(s, {"ticket", "ack", "REQ"}).empty());
  CHECK(bash_offers(s, {"ticket", "link", ref, "--to", ""}) == std::vector<std::string>{ref});
  must(s, {"account", "add", "li", "--role", "engineer"});
  const auto names = bash_offers(s, {"ticket", "assign", ref, ""});
  CHECK(offers(names, "li"));
  CHECK(offers(names, "wang"));
  // Through --db on the command line, as typed.
  const auto r = run_program({OPSDESK_BIN, "__complete", "--", "--db", s.db.string(), "--config", s.config.string(), "--as",
                              s.actor, "ticket", "show", ""});
  CHECK(r.code == 0);
  CHECK(r.out == ref + "\tprinter jams\n");
}

TEST_CASE("completion: file arguments, an empty store, and nothing printed on errors") {
  Sandbox s;
  CHECK(s.run({"__complete", "--", "ticket", "import", ""}).out == "__files__\n");
  CHECK(s.run({"__complete", "--", "--db", ""}).out == "__files__\n");
  // No store yet: nothing to offer, no error, exit 0.
  const auto r = run_program({OPSDESK_BIN, "__complete", "--", "--db", (s.dir / "none" / "x.db").string(), "ticket", "ack", ""});
  CHECK(r.code == 0);
  CHECK(r.out.empty());
  CHECK(r.err.empty());
  CHECK_FALSE(fs::exists(s.dir / "none"));
  // zsh and fish scripts are printed; an unknown shell is a usage error naming the choices.
  CHECK(has(s.run({"completion", "zsh"}).out, "#compdef opsdesk"));
  CHECK(has(s.run({"completion", "fish"}).out, "complete -c opsdesk"));
  const auto bad = s.run({"completion", "tcsh"});
  CHECK(bad.code == 64);
  CHECK(has(bad.err, "tcsh"));
  CHECK(has(bad.err, "bash"));
}

TEST_CASE("man pages: one for opsdesk, one per command group, every command in them") {
  Sandbox s;
  const auto dir = s.dir / "man";
  const auto r = s.run({"__man", dir.string()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto main = file_bytes(dir / "opsdesk.1");
  for (const char* part : {".TH OPSDESK 1", ".SH SYNOPSIS", ".SH GLOBAL OPTIONS", ".SH EXIT STATUS", "OPSDESK_DB", "\\fB75\\fR",
                           "opsdesk\\-ticket\\fR(1)"})
    CHECK_MESSAGE(has(main, part), part);
  for (const char* group : {"ticket", "account", "inspect", "backup", "db-tune", "report", "audit", "kb", "downtime", "config"})
    CHECK_MESSAGE(fs::exists(dir / (std::string("opsdesk-") + group + ".1")), group);
  const auto ticket = file_bytes(dir / "opsdesk-ticket.1");
  CHECK(has(ticket, ".SS \"opsdesk ticket new [OPTIONS] TITLE\""));
  CHECK(has(ticket, ".SS \"opsdesk ticket extension approve"));
  CHECK(has(ticket, "\\fB\\-p, \\-\\-priority\\fR \\fI{urgent,high,medium,low}\\fR"));
  if (run_program({"sh", "-c", "command -v man"}).code == 0) {
    const auto shown = run_program({"man", "-l", "-P", "cat", (dir / "opsdesk-ticket.1").string()}, "", {{"MANWIDTH", "100"}});
    CHECK_MESSAGE(shown.code == 0, shown.err);
    CHECK(has(shown.out, "opsdesk ticket resolve"));
    CHECK_MESSAGE(shown.err.empty(), shown.err);  // no roff warnings
  }
}

TEST_CASE("--help lists the values an option takes") {
  Sandbox s;
  const auto r = s.run({"ticket", "new", "--help"});
  CHECK(r.code == 0);
  CHECK(has(r.out, "{urgent,high,medium,low}"));
  CHECK(has(r.out, "{phone,email,onsite,remote,monitor}"));
}

TEST_CASE("--quiet prints only each record's reference or id") {
  Sandbox s;
  const auto a = new_ticket(s, {"one"});
  const auto b = new_ticket(s, {"two"});
  auto r = s.run({"ticket", "list", "--quiet"});
  CHECK(r.code == 0);
  CHECK(r.out == b + "\n" + a + "\n");
  r = s.run({"ticket", "list", "-q", "--status", "closed"});
  CHECK(r.code == 0);
  CHECK(r.out.empty());
  r = s.run({"account", "list", "-q"});
  CHECK(r.code == 0);
  CHECK(has(r.out, "wang\n"));
  CHECK_FALSE(has(r.out, "admin"));
}

TEST_CASE("--json FIELDS works on audit verify, config show and config path too") {
  Sandbox s;
  new_ticket(s, {"one"});
  auto r = s.run({"audit", "verify", "--json", "ok"});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(r.json() == nlohmann::ordered_json{{"ok", true}});
  r = s.run({"config", "path", "--json", "store_exists"});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(r.json() == nlohmann::ordered_json{{"store_exists", true}});
  r = s.run({"config", "show", "--json", "desk"});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(r.json().contains("desk"));
  CHECK(r.json().size() == 1);
  CHECK(s.run({"config", "show", "--json", "nope"}).code == 64);
}

TEST_SUITE_END();
