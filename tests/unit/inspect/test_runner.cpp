// Running checks: Nagios plugins by argv (check_dummy from monitoring-plugins-basic), exit
// codes, output capped at 4 KB, timeouts that kill the whole process group, retries, and
// several checks at once.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "inspect/runner.hpp"
#include "support/helpers.hpp"
#include "support/inspect_helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::inspect;
using opsdesk::test::has;
using opsdesk::test::make_check;
using opsdesk::test::seconds_since;
using opsdesk::test::TempDir;

TEST_SUITE_BEGIN("inspect");

namespace {

constexpr const char* k_dummy = "/usr/lib/nagios/plugins/check_dummy";

config::Config::Check argv_check(std::vector<std::string> argv) {
  auto c = make_check("plugin", "command");
  c.system = "erp";
  c.argv = std::move(argv);
  return c;
}

config::Config::Check shell_check(std::string command) {
  auto c = make_check("script", "command");
  c.shell = true;
  c.command = std::move(command);
  return c;
}

// Processes whose command line holds `token` (zombies have none and do not count).
int processes_with(const std::string& token) {
  auto c = make_check("count", "process");
  c.process_args = token;
  const auto m = measure(c, ProbeContext{});
  return m.metrics.empty() ? -1 : static_cast<int>(m.metrics[0].value);
}

std::string unique_sleep(int seconds) { return std::to_string(seconds) + "." + std::to_string(::getpid()) + "3"; }

}  // namespace

TEST_CASE("inspect::run_command, check_dummy states") {
  const std::pair<const char*, State> cases[] = {
      {"0", State::ok}, {"1", State::warning}, {"2", State::critical}, {"3", State::unknown}};
  for (const auto& [code, state] : cases) {
    const std::string exit_code = code;
    CAPTURE(exit_code);
    const auto r = run_command(argv_check({k_dummy, code, "all is said here"}));
    CHECK(r.state == state);
    CHECK(r.summary == std::string(state_name(state)) + ": all is said here");
    CHECK(r.check == "plugin");
    CHECK(r.system == "erp");
    CHECK(r.type == "command");
  }
}

TEST_CASE("inspect::run_command, argv runs without a shell") {
  const auto r = run_command(argv_check({k_dummy, "0", "$HOME; exit 2 `id`"}));
  CHECK(r.state == State::ok);
  CHECK(r.summary == "OK: $HOME; exit 2 `id`");
}

TEST_CASE("inspect::run_command, exit codes outside 0-3 are UNKNOWN") {
  for (const char* code : {"4", "42", "127", "255"}) {
    const std::string exit_code = code;
    CAPTURE(exit_code);
    const auto r = run_command(shell_check(std::string("echo 'OK - looks fine'; exit ") + code));
    CHECK(r.state == State::unknown);
    CHECK(has(r.summary, code));
    CHECK(has(r.summary, "OK - looks fine"));
  }
  SUBCASE("killed by a signal") {
    const auto r = run_command(shell_check("echo 'OK - about to die'; kill -9 $$"));
    CHECK(r.state == State::unknown);
    CHECK(has(r.summary, "signal 9"));
  }
  SUBCASE("silent") {
    const auto r = run_command(shell_check("exit 2"));
    CHECK(r.state == State::critical);
    CHECK_FALSE(r.summary.empty());
  }
  SUBCASE("only stderr") {
    const auto r = run_command(shell_check("echo 'CRITICAL - on stderr' >&2; exit 2"));
    CHECK(r.state == State::critical);
    CHECK(r.summary == "CRITICAL - on stderr");
  }
}

TEST_CASE("inspect::run_command, a missing program is UNKNOWN") {
  const auto r = run_command(argv_check({"/usr/lib/nagios/plugins/check_does_not_exist", "-H", "x"}));
  CHECK(r.state == State::unknown);
  CHECK(has(r.summary, "check_does_not_exist"));
}

TEST_CASE("inspect::run_command, perfdata and long output") {
  const auto r = run_command(shell_check(
      "echo 'OK - 3 users | users=3;5;10;0'; echo 'alice'; echo 'bob | load=0.25;1;2 '\"'\"'root fs'\"'\"'=42%;80;90'; "
      "echo 'mem=512MB'"));
  CHECK(r.state == State::ok);
  CHECK(r.summary == "OK - 3 users");
  CHECK(has(r.long_output, "alice\nbob"));
  CHECK_FALSE(has(r.long_output, "mem=512MB"));
  REQUIRE(r.perfdata.size() == 4);
  CHECK(r.perfdata[0].label == "users");
  CHECK(r.perfdata[0].warn == "5");
  CHECK(r.perfdata[0].min == 0.0);
  CHECK(r.perfdata[1].label == "load");
  CHECK(r.perfdata[2].label == "root fs");
  CHECK(r.perfdata[2].uom == "%");
  CHECK(r.perfdata[3].label == "mem");
  CHECK(r.perfdata[3].value == 512);
}

TEST_CASE("inspect::run_command, output is read up to 4 KB") {
  auto c = shell_check("echo 'WARNING - chatty'; i=0; while [ $i -lt 3000 ]; do echo \"line $i of the long output\"; "
                       "i=$((i+1)); done; exit 1");
  const auto start = std::chrono::steady_clock::now();
  const auto r = run_command(c);
  CHECK(seconds_since(start) < 3);
  CHECK(r.state == State::warning);  // the rest was read and dropped: the plugin was not blocked
  CHECK(r.summary == "WARNING - chatty");
  CHECK(r.summary.size() + 1 + r.long_output.size() <= 4096);
  CHECK(r.long_output.size() > 3500);
  CHECK(has(r.long_output, "line 0 of the long output"));
  CHECK_FALSE(has(r.long_output, "line 2999"));
}

TEST_CASE("inspect::run_command, timeout") {
  SUBCASE("a plugin that hangs is killed and UNKNOWN by default") {
    auto c = argv_check({"/bin/sleep", "30"});
    c.timeout = 1;
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_command(c);
    const double took = seconds_since(start);
    CHECK(r.state == State::unknown);
    CHECK(has(r.summary, "timed out"));
    CHECK(took >= 0.9);
    CHECK(took < 3);
  }
  SUBCASE("timeout_state decides the state") {
    auto c = argv_check({"/bin/sleep", "30"});
    c.timeout = 1;
    c.timeout_state = "critical";
    CHECK(run_command(c).state == State::critical);
    c.timeout_state = "ok";
    CHECK(run_command(c).state == State::ok);
  }
  SUBCASE("the whole process group goes: a shell and the sleep it started in the background") {
    const std::string token = unique_sleep(30);
    auto c = shell_check("sleep " + token + " & echo 'OK - started'; wait");
    c.timeout = 1;
    c.timeout_state = "warning";
    const auto start = std::chrono::steady_clock::now();
    const auto r = run_command(c);
    CHECK(seconds_since(start) < 3);
    CHECK(r.state == State::warning);
    for (int i = 0; i < 40 && processes_with(token) > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    CHECK(processes_with(token) == 0);
  }
  SUBCASE("a shell that exits leaving a background child holding its output") {
    const std::string token = unique_sleep(31);
    auto c = shell_check("sleep " + token + " & echo 'OK - detached'");
    c.timeout = 1;
    const auto start = std::chrono::steady_clock::now();
    run_command(c);
    CHECK(seconds_since(start) < 3);
    for (int i = 0; i < 40 && processes_with(token) > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
    CHECK(processes_with(token) == 0);
  }
}

TEST_CASE("inspect::run_check, retries") {
  TempDir dir;
  const auto counter = (dir / "attempts").string();
  // Fails the first time, succeeds from the second on.
  auto c = shell_check("n=$(cat " + counter + " 2>/dev/null || echo 0); n=$((n+1)); echo $n > " + counter +
                       "; if [ $n -ge 2 ]; then echo \"OK - attempt $n\"; exit 0; fi; echo \"CRITICAL - attempt $n\"; exit 2");
  ProbeContext ctx;
  ctx.now = 1795588200;
  SUBCASE("a retry makes it OK") {
    c.retries = 2;
    const auto r = run_check(c, ctx);
    CHECK(r.state == State::ok);
    CHECK(r.attempts == 2);
    CHECK(r.summary == "OK - attempt 2");
    CHECK(opsdesk::test::slurp(counter) == "2\n");
    CHECK(r.at >= ctx.now);
    CHECK(r.at <= ctx.now + 2);
  }
  SUBCASE("no retries: the first failure counts") {
    c.retries = 0;
    const auto r = run_check(c, ctx);
    CHECK(r.state == State::critical);
    CHECK(r.attempts == 1);
  }
  SUBCASE("always failing: every attempt is made") {
    auto bad = shell_check("echo x >> " + counter + "; echo 'CRITICAL - still'; exit 2");
    bad.retries = 3;
    const auto r = run_check(bad, ctx);
    CHECK(r.state == State::critical);
    CHECK(r.attempts == 4);
    CHECK(opsdesk::test::slurp(counter) == "x\nx\nx\nx\n");
  }
  SUBCASE("an OK check is not retried") {
    auto good = shell_check("echo x >> " + counter + "; echo 'OK'");
    good.retries = 3;
    const auto r = run_check(good, ctx);
    CHECK(r.state == State::ok);
    CHECK(r.attempts == 1);
    CHECK(opsdesk::test::slurp(counter) == "x\n");
  }
  SUBCASE("a built-in check is retried too") {
    auto disk = make_check("gone", "disk");
    disk.path = (dir / "no-such-dir").string();
    disk.retries = 2;
    const auto r = run_check(disk, ctx);
    CHECK(r.state == State::critical);
    CHECK(r.attempts == 3);
  }
}

TEST_CASE("inspect::run_checks") {
  SUBCASE("in parallel, faster than one after another, results in order") {
    std::vector<config::Config::Check> checks;
    for (int i = 0; i < 4; ++i) {
      auto c = shell_check("sleep 1; echo 'OK - slow " + std::to_string(i) + "'");
      c.name = "slow-" + std::to_string(i);
      checks.push_back(c);
    }
    std::vector<std::size_t> progress;
    const auto start = std::chrono::steady_clock::now();
    const auto results = run_checks(checks, 4, ProbeContext{}, [&](std::size_t done) { progress.push_back(done); });
    const double took = seconds_since(start);
    CHECK(took < 2.5);  // one after another: 4 s
    REQUIRE(results.size() == 4);
    for (int i = 0; i < 4; ++i) {
      CHECK(results[static_cast<std::size_t>(i)].check == "slow-" + std::to_string(i));
      CHECK(results[static_cast<std::size_t>(i)].summary == "OK - slow " + std::to_string(i));
    }
    CHECK(progress == std::vector<std::size_t>{1, 2, 3, 4});
  }
  SUBCASE("at most `parallel` at a time") {
    std::vector<config::Config::Check> checks;
    for (int i = 0; i < 3; ++i) {
      auto c = shell_check("sleep 0.3; echo OK");
      c.name = "c" + std::to_string(i);
      checks.push_back(c);
    }
    const auto start = std::chrono::steady_clock::now();
    const auto results = run_checks(checks, 1, ProbeContext{});
    CHECK(seconds_since(start) >= 0.85);
    CHECK(results.size() == 3);
  }
  SUBCASE("mixed states and types") {
    auto disk = make_check("tmp", "disk");
    disk.path = "/tmp";
    const auto results = run_checks({argv_check({k_dummy, "2", "down"}), disk, shell_check("echo 'WARNING - meh'; exit 1")}, 8,
                                    ProbeContext{});
    REQUIRE(results.size() == 3);
    CHECK(results[0].state == State::critical);
    CHECK(results[1].state == State::ok);
    CHECK(results[2].state == State::warning);
  }
  SUBCASE("no checks") { CHECK(run_checks({}, 4, ProbeContext{}).empty()); }
}

TEST_SUITE_END();
