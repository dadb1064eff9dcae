#include <doctest/doctest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <string>

#include "core/error.hpp"
#include "core/process.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::core;
using namespace std::chrono_literals;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::TempDir;

TEST_SUITE_BEGIN("core process");

namespace {

ChildOutcome run(const std::vector<std::string>& argv, std::string& out, std::chrono::milliseconds timeout = 10s) {
  return run_child(argv, timeout, [&](std::string_view chunk) { out += chunk; });
}

}  // namespace

TEST_CASE("run_child: the PATH is searched, stdout streamed, stderr kept, the exit code returned") {
  std::string out;
  auto r = run({"sh", "-c", "echo hello; echo oops >&2; exit 3"}, out);
  CHECK(out == "hello\n");
  CHECK(r.code == 3);
  CHECK_FALSE(r.signal);
  CHECK_FALSE(r.timed_out);
  CHECK(r.stderr_head == "oops\n");
  CHECK(r.last_error_line() == "oops");
  out.clear();
  CHECK(run({"true"}, out).code == 0);
}

TEST_CASE("run_child: a large stdout arrives whole, stderr is bounded") {
  std::string out;
  const auto r = run_child({"sh", "-c", "head -c 3000000 /dev/zero; (head -c 100000 /dev/zero | tr '\\0' x; echo; echo last) >&2"}, 10s,
                           [&](std::string_view chunk) { out += chunk; }, 1000);
  CHECK(out.size() == 3000000);
  CHECK(r.stderr_head.size() == 1000);
  CHECK(r.stderr_tail.size() == 4096);
  CHECK(r.last_error_line() == "last");
}

TEST_CASE("run_child: stdin is empty, a signal is reported") {
  std::string out;
  CHECK(run({"cat"}, out).code == 0);
  CHECK(out.empty());
  const auto r = run({"sh", "-c", "kill -TERM $$"}, out);
  CHECK(r.signal == SIGTERM);
  CHECK_FALSE(r.code);
}

TEST_CASE("run_child: at the deadline the whole process group is killed") {
  TempDir dir;
  const auto marker = dir.path / "grandchild-lived";
  std::string out;
  const auto started = std::chrono::steady_clock::now();
  // The grandchild would write the marker after 2 s if it outlived the kill.
  const auto r = run({"sh", "-c", "(sleep 2; touch '" + marker.string() + "') & sleep 30"}, out, 300ms);
  CHECK(r.timed_out);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
  ::sleep(3);
  CHECK_FALSE(std::filesystem::exists(marker));
}

TEST_CASE("run_child: a program that does not exist, and a sink that fails") {
  std::string out;
  const auto e = opsdesk::test::thrown([&] { run({"no-such-program-opsdesk"}, out); });
  CHECK(kind(e) == "failed");
  CHECK(has(e.what(), "cannot run no-such-program-opsdesk"));
  CHECK_THROWS_AS(run_child({"yes"}, 10s, [](std::string_view) { throw std::runtime_error("disk full"); }), std::runtime_error);
}

TEST_CASE("ChildOutcome::error_line: the first line that says error:, else the last line") {
  ChildOutcome r;
  r.stderr_head = r.stderr_tail =
      "pg_restore: error: could not execute query: ERROR:  relation \"t\" already exists\nCommand was: CREATE TABLE t (\n    id integer\n);\n";
  CHECK(r.error_line() == "pg_restore: error: could not execute query: ERROR:  relation \"t\" already exists");
  CHECK(r.last_error_line() == ");");
  r.stderr_head = r.stderr_tail = "warming up\nconnection refused\n\n";
  CHECK(r.error_line() == "connection refused");
}

TEST_CASE("run_checked: stdout streamed; a failure, a signal and the deadline are errors") {
  std::string out;
  run_checked({"sh", "-c", "echo dump"}, 10s, [&](std::string_view chunk) { out += chunk; });
  CHECK(out == "dump\n");
  auto e = opsdesk::test::thrown([&] {
    run_checked({"sh", "-c", "echo 'pg_dump: error: connection refused' >&2; echo 'more detail' >&2; exit 1"}, 10s, [](std::string_view) {});
  });
  CHECK(kind(e) == "failed");
  CHECK(std::string(e.what()) == "sh exited with 1: pg_dump: error: connection refused");
  e = opsdesk::test::thrown([&] { run_checked({"sh", "-c", "kill -KILL $$"}, 10s, [](std::string_view) {}); });
  CHECK(kind(e) == "failed");
  CHECK(has(e.what(), "killed by signal 9"));
  e = opsdesk::test::thrown([&] { run_checked({"sleep", "5"}, 1s, [](std::string_view) {}); });
  CHECK(kind(e) == "unavailable");
  CHECK(std::string(e.what()) == "sleep did not finish within 1s");
}

TEST_SUITE_END();
