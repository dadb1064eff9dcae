// End-to-end: opsdesk ticket ... on a fresh store.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "cli_helpers.hpp"
#include "harness.hpp"

using opsdesk::test::has;
using opsdesk::test::new_ticket;
using opsdesk::test::Sandbox;

TEST_SUITE_BEGIN("cli ticket");

TEST_CASE("ticket new prints the reference at once") {
  Sandbox s;
  const auto r = s.run({"ticket", "new", "ERP login fails with ORA-12541", "--priority", "urgent", "--system", "erp",
                        "--channel", "phone"});
  CHECK(r.code == 0);
  CHECK(r.out.find("INC-") == 0);
  CHECK(r.out.size() == std::string("INC-2026-000001\n").size());  // nothing but the reference
  CHECK(s.run({"ticket", "new", "second"}).err.empty());
  const auto show = s.run({"ticket", "show", r.out.substr(0, r.out.size() - 1), "--json"});
  REQUIRE(show.code == 0);
  const auto j = show.json();
  CHECK(j["title"] == "ERP login fails with ORA-12541");
  CHECK(j["priority"] == "urgent");
  CHECK(j["status"] == "new");
  CHECK(j["channel"] == "phone");
  CHECK(j["events"].size() == 1);
}

TEST_CASE("ticket list on an empty store") {
  Sandbox s;
  auto r = s.run({"ticket", "list"});
  CHECK(r.code == 0);
  CHECK(r.out.empty());  // "no tickets match" only on a terminal: cron mails nothing
  r = s.run({"ticket", "list", "--json"});
  CHECK(r.code == 0);
  CHECK(r.json().is_array());
  CHECK(r.json().empty());
  CHECK_FALSE(std::filesystem::exists(s.db));  // reading creates nothing
}

TEST_CASE("ticket show, unknown reference exits 66") {
  Sandbox s;
  new_ticket(s, {"one"});
  const auto r = s.run({"ticket", "show", "INC-2026-999999"});
  CHECK(r.code == 66);
  CHECK(r.err.find("no ticket INC-2026-999999") != std::string::npos);
  CHECK(s.run({"ticket", "show", "nonsense"}).code == 64);
}

TEST_CASE("ticket, a bad flag exits 64") {
  Sandbox s;
  auto r = s.run({"ticket", "new", "x", "--bogus"});
  CHECK(r.code == 64);
  CHECK(r.err.find("opsdesk: error:") == 0);
  r = s.run({"ticket", "new", "x", "--priority", "urgnet"});
  CHECK(r.code == 64);
  CHECK(r.err.find("did you mean urgent?") != std::string::npos);
}

TEST_CASE("an unknown command exits 64 naming it and the closest one, at every level") {
  Sandbox s;
  auto r = s.run({"tickt", "list"});
  CHECK(r.code == 64);
  CHECK(has(r.err, "unknown command \"tickt\" for \"opsdesk\"; did you mean \"ticket\"?"));
  r = s.run({"ticket", "lst"});
  CHECK(r.code == 64);
  CHECK(has(r.err, "unknown command \"lst\" for \"opsdesk ticket\"; did you mean \"list\"?"));
  r = s.run({"ticket", "extension", "aprove", "INC-2026-1"});
  CHECK(r.code == 64);
  CHECK(has(r.err, "did you mean \"approve\"?"));
  r = s.run({"ticket", "zzzzzzzz"});
  CHECK(r.code == 64);
  CHECK_FALSE(has(r.err, "did you mean"));
  // words after a command are its arguments, whatever they look like
  r = s.run({"ticket", "new", "list", "--system", "lst"});
  CHECK(r.code == 0);
  // every ticket command is still listed by the group's help, built or not
  r = s.run({"ticket", "--help"});
  CHECK(r.code == 0);
  for (const char* name : {"new", "list", "show", "ack", "resolve", "set", "onsite", "extend", "extension", "approve",
                           "release", "sign", "survey", "record", "sla", "import", "export"})
    CHECK_MESSAGE(has(r.out, std::string("  ") + name + " "), name);
  r = s.run({"ticket", "resolve", "--help"});
  CHECK(r.code == 0);
  CHECK(has(r.out, "--resolution"));
}

TEST_CASE("ticket lifecycle, an invalid transition exits 1 naming the allowed ones") {
  Sandbox s;
  const auto ref = new_ticket(s, {"printer on fire"});
  CHECK(s.run({"ticket", "close", ref}).code == 1);
  const auto r = s.run({"ticket", "close", ref});
  CHECK(r.err.find("only when it is resolved") != std::string::npos);
  CHECK(s.run({"ticket", "ack", ref}).code == 0);
  CHECK(s.run({"ticket", "ack", ref}).code == 1);
}

TEST_CASE("ticket lifecycle, the whole way") {
  Sandbox s;
  const auto ref = new_ticket(s, {"disk full on db01", "--at", "-3h"});
  REQUIRE(s.run({"account", "add", "li", "--role", "engineer"}).code == 0);
  CHECK(s.run({"ticket", "ack", ref, "--at", "-2h50m"}).code == 0);
  CHECK(s.run({"ticket", "assign", ref, "li"}).code == 0);
  CHECK(s.run({"ticket", "start", ref}).code == 0);
  CHECK(s.run({"ticket", "pend", ref, "--reason", "customer"}).code == 0);
  CHECK(s.run({"ticket", "resume", ref}).code == 0);
  CHECK(s.run({"ticket", "comment", ref, "old logs removed"}).code == 0);
  CHECK(s.run({"ticket", "log-work", ref, "1h30m"}).code == 0);
  CHECK(s.run({"ticket", "resolve", ref}).code == 64);  // --resolution is required
  CHECK(s.run({"ticket", "resolve", ref, "--resolution", "logrotate fixed"}).code == 0);
  CHECK(s.run({"ticket", "close", ref}).code == 0);
  CHECK(s.run({"ticket", "reopen", ref, "--reason", "came back"}).code == 0);
  const auto j = s.run({"ticket", "show", ref, "--json"}).json();
  CHECK(j["status"] == "in_progress");
  CHECK(j["assignee"] == "li");
  CHECK(j["resolved_at"].is_null());
  CHECK(j["work_logged"] == "1h30m");
  std::vector<std::string> kinds;
  for (const auto& e : j["events"]) kinds.push_back(e["kind"]);
  CHECK(kinds == std::vector<std::string>{"created", "acknowledged", "assigned", "started", "pending", "resumed",
                                          "comment", "work", "resolved", "closed", "reopened"});
}

TEST_CASE("ticket --at in the future or before the last change exits 65") {
  Sandbox s;
  const auto ref = new_ticket(s, {"x", "--at", "-1h"});
  auto r = s.run({"ticket", "ack", ref, "--at", "+5m"});
  CHECK(r.code == 65);
  CHECK(r.err.find("in the future") != std::string::npos);
  r = s.run({"ticket", "ack", ref, "--at", "-2h"});
  CHECK(r.code == 65);
  CHECK(r.err.find("before") != std::string::npos);
  CHECK(s.run({"ticket", "new", "y", "--at", "+1h"}).code == 65);
}

TEST_CASE("ticket new, 20 concurrent processes get 20 distinct references") {
  Sandbox s;
  new_ticket(s, {"first"});  // the store exists; the race is on the counter
  std::vector<pid_t> pids;
  const std::string out = (s.dir / "refs").string();
  for (int i = 0; i < 20; ++i) {
    const pid_t pid = fork();
    if (pid == 0) {
      const auto r = s.run({"ticket", "new", "concurrent " + std::to_string(i)});
      const std::string path = out + std::to_string(i);
      FILE* f = fopen(path.c_str(), "w");
      fprintf(f, "%d %s", r.code, r.out.c_str());
      fclose(f);
      _exit(0);
    }
    pids.push_back(pid);
  }
  for (const auto pid : pids) waitpid(pid, nullptr, 0);
  std::set<std::string> refs;
  for (int i = 0; i < 20; ++i) {
    std::ifstream f(out + std::to_string(i));
    int code = -1;
    std::string ref;
    f >> code >> ref;
    CHECK(code == 0);
    refs.insert(ref);
  }
  CHECK(refs.size() == 20);
  CHECK(s.run({"audit", "verify"}).code == 0);
}

TEST_SUITE_END();
