// End-to-end: opsdesk inspect run|list|history|availability with checks from a config we write,
// real monitoring plugins (check_dummy, check_tcp), incidents, planned downtime and the lock
// that keeps two runs apart.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "cli_helpers.hpp"
#include "harness.hpp"
#include "pg_helpers.hpp"

using opsdesk::test::has;
using opsdesk::test::lines_of;
using opsdesk::test::Sandbox;

TEST_SUITE_BEGIN("cli inspect");

namespace {

constexpr const char* k_plugins = "/usr/lib/nagios/plugins";

// A TCP listener on 127.0.0.1 that accepts and closes, on its own thread.
class Listener {
 public:
  Listener() {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(m_fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(m_fd, 16) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    m_thread = std::thread([this] {
      while (!m_stop) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, 50) <= 0) continue;
        const int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c >= 0) ::close(c);
      }
    });
  }
  ~Listener() {
    m_stop = true;
    m_thread.join();
    ::close(m_fd);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;
  int port = 0;

 private:
  int m_fd = -1;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

// A port nobody listens on (bound a moment ago, then closed).
int closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A check_dummy check answering `state` ("0".."3").
std::string dummy(const std::string& name, const std::string& state, const std::string& extra = "") {
  return "[[checks]]\nname = \"" + name + "\"\nsystem = \"erp\"\ntype = \"command\"\nargv = [\"" + std::string(k_plugins) +
         "/check_dummy\", \"" + state + "\", \"" + name + " says " + state + "\"]\n" + extra + "\n";
}

// A desk at a time of our choosing; the first run makes wang its admin.
struct Desk : Sandbox {
  Desk() { at("2026-11-25T06:00:00Z"); }
  void at(const std::string& when) { env["OPSDESK_NOW"] = when; }
  // A command check whose exit code is the number in the file `state` (written by `set`).
  std::string controlled(const std::string& name, const std::string& extra) const {
    const auto file = (dir / ("state-" + name)).string();
    return "[[checks]]\nname = \"" + name + "\"\nsystem = \"erp\"\ntype = \"command\"\nshell = true\n" +
           "command = '''s=$(cat " + file + "); echo \"DB STATE $s | s=$s;1;2\"; exit $s'''\n" + extra + "\n";
  }
  void set(const std::string& name, int state) const { write_file("state-" + name, std::to_string(state) + "\n"); }
  nlohmann::ordered_json tickets(const std::string& type = "incident") const {
    const auto r = run({"ticket", "list", "--status", "all", "--type", type, "--json"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return r.json();
  }
  nlohmann::ordered_json show(const std::string& ref) const {
    const auto r = run({"ticket", "show", ref, "--json"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    return r.json();
  }
  std::vector<std::string> event_kinds(const std::string& ref) const {
    std::vector<std::string> out;
    const auto ticket = show(ref);
    for (const auto& e : ticket["events"]) out.push_back(e["kind"].get<std::string>());
    return out;
  }
};

std::vector<std::string> names_in(const nlohmann::ordered_json& run) {
  std::vector<std::string> out;
  for (const auto& r : run["results"]) out.push_back(r["check"].get<std::string>());
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("inspect run, exits with the worst state") {
  Desk d;
  SUBCASE("all OK: 0") {
    d.write_config(dummy("a", "0") + dummy("b", "0"));
    const auto r = d.run({"inspect", "run"});
    CHECK(r.code == 0);
    CHECK(has(r.out, "a says 0"));
    CHECK(has(r.out, "b says 0"));
  }
  SUBCASE("a WARNING: 1") {
    d.write_config(dummy("a", "0") + dummy("b", "1"));
    CHECK(d.run({"inspect", "run"}).code == 1);
  }
  SUBCASE("CRITICAL beats WARNING and UNKNOWN: 2") {
    d.write_config(dummy("a", "0") + dummy("b", "3") + dummy("c", "2") + dummy("d", "1"));
    const auto r = d.run({"inspect", "run"});
    CHECK(r.code == 2);
    CHECK(has(r.out, "CRITICAL"));
    CHECK(has(r.out, "UNKNOWN"));
  }
  SUBCASE("UNKNOWN beats OK: 3") {
    d.write_config(dummy("a", "0") + dummy("b", "3"));
    CHECK(d.run({"inspect", "run"}).code == 3);
  }
  SUBCASE("WARNING beats UNKNOWN: 1") {
    d.write_config(dummy("a", "3") + dummy("b", "1"));
    CHECK(d.run({"inspect", "run"}).code == 1);
  }
  SUBCASE("every result is stored") {
    d.write_config(dummy("a", "0") + dummy("b", "2"));
    CHECK(d.run({"inspect", "run"}).code == 2);
    const auto h = d.run({"inspect", "history", "--json"}).json();
    CHECK(h.size() == 2);
  }
}

TEST_CASE("inspect run, real monitoring plugins") {
  Desk d;
  Listener listener;
  const auto tcp = [](const std::string& name, int port) {
    return "[[checks]]\nname = \"" + name + "\"\nsystem = \"erp\"\ntype = \"command\"\nargv = [\"" + std::string(k_plugins) +
           "/check_tcp\", \"-H\", \"127.0.0.1\", \"-p\", \"" + std::to_string(port) + "\", \"-t\", \"3\"]\n\n";
  };
  SUBCASE("check_tcp against a listener: OK with its perfdata") {
    d.write_config(tcp("erp-port", listener.port));
    const auto r = d.run({"inspect", "run", "--format", "json"});
    CHECK_MESSAGE(r.code == 0, r.out, r.err);
    const auto j = r.json();
    REQUIRE(j["results"].size() == 1);
    const auto& res = j["results"][0];
    CHECK(res["state"] == "ok");
    CHECK(has(res["summary"].get<std::string>(), "TCP OK"));
    REQUIRE(res["perfdata"].size() >= 1);
    CHECK(res["perfdata"][0]["label"] == "time");
    CHECK(res["perfdata"][0]["uom"] == "s");
  }
  SUBCASE("check_tcp against a closed port: CRITICAL, 2") {
    d.write_config(tcp("erp-port", closed_port()));
    const auto r = d.run({"inspect", "run"});
    CHECK(r.code == 2);
    CHECK(has(r.out, "CRITICAL"));
  }
  SUBCASE("check_dummy") {
    d.write_config(dummy("dummy", "1"));
    const auto r = d.run({"inspect", "run", "--format", "json"});
    CHECK(r.code == 1);
    CHECK(r.json()["results"][0]["summary"] == "WARNING: dummy says 1");
  }
}

TEST_CASE("inspect run --format") {
  Desk d;
  d.write_config(dummy("fine", "0") + dummy("broken", "2") +
                 "[[checks]]\nname = \"measured\"\ntype = \"command\"\nshell = true\n"
                 "command = '''echo \"OK - 3 users | users=3;5;10;0 'load avg'=0.25\"'''\n");
  SUBCASE("--json FIELDS, checked before any check runs") {
    auto r = d.run({"inspect", "run", "--json", "worst,nope"});
    CHECK(r.code == 64);
    CHECK(d.run({"inspect", "history", "--json"}).json().empty());
    r = d.run({"inspect", "run", "--json", "worst"});
    CHECK(r.code == 2);
    CHECK(r.json() == nlohmann::ordered_json{{"worst", "critical"}});
  }
  SUBCASE("json") {
    const auto r = d.run({"inspect", "run", "--format", "json"});
    CHECK(r.code == 2);
    const auto j = r.json();
    CHECK(j["worst"] == "critical");
    CHECK(j["run"].is_number_integer());
    CHECK(j["record"].is_null());
    CHECK(j["tickets"].is_array());
    CHECK(names_in(j) == Strings{"fine", "broken", "measured"});
    CHECK(j["results"][1]["state"] == "critical");
    CHECK(j["results"][1]["system"] == "erp");
    CHECK(j["results"][2]["system"].is_null());
    CHECK(j["results"][2]["attempts"] == 1);
    CHECK(j["results"][0]["at"] == "2026-11-25T06:00:00Z");
    const auto& perf = j["results"][2]["perfdata"];
    REQUIRE(perf.size() == 2);
    CHECK(perf[0]["label"] == "users");
    CHECK(perf[0]["value"] == 3);
    CHECK(perf[0]["warn"] == "5");
    CHECK(perf[0]["crit"] == "10");
    CHECK(perf[0]["min"] == 0);
    CHECK(perf[0]["max"].is_null());
    CHECK(perf[1]["label"] == "load avg");
  }
  SUBCASE("nagios") {
    const auto r = d.run({"inspect", "run", "--format", "nagios"});
    CHECK(r.code == 2);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() >= 4);
    CHECK(lines[0] == "OPSDESK CRITICAL - 1 critical, 2 ok: broken CRITICAL | measured.users=3;5;10;0 'measured.load avg'=0.25");
    CHECK(lines[1] == "fine: OK: fine says 0");
    CHECK(lines[2] == "broken: CRITICAL: broken says 2");
    CHECK(lines[3] == "measured: OK - 3 users");
  }
  SUBCASE("junit") {
    const auto r = d.run({"inspect", "run", "--format", "junit"});
    CHECK(r.code == 2);
    CHECK(r.out.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite "));
    CHECK(has(r.out, "tests=\"3\" failures=\"1\" errors=\"0\""));
    CHECK(has(r.out, "<failure type=\"CRITICAL\" message=\"CRITICAL: broken says 2\">"));
    CHECK(has(r.out, "</testsuite>\n"));
    std::size_t cases = 0;
    for (auto p = r.out.find("<testcase "); p != std::string::npos; p = r.out.find("<testcase ", p + 1)) ++cases;
    CHECK(cases == 3);
  }
  SUBCASE("prometheus") {
    const auto r = d.run({"inspect", "run", "--format", "prometheus"});
    CHECK(r.code == 2);
    const std::regex sample(R"re(^[a-z_]+\{[a-z]+="[^"]*"(,[a-z]+="[^"]*")*\} -?[0-9.]+(e[+-]?[0-9]+)?$)re");
    int samples = 0;
    for (const auto& line : lines_of(r.out)) {
      if (line.empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE ")) continue;
      CAPTURE(line);
      CHECK(std::regex_match(line, sample));
      ++samples;
    }
    CHECK(samples == 3 * 3 + 2);
    CHECK(has(r.out, "opsdesk_check_state{check=\"broken\",system=\"erp\"} 2\n"));
    CHECK(has(r.out, "opsdesk_check_perfdata{check=\"measured\",system=\"\",label=\"load_avg\",uom=\"\"} 0.25\n"));
  }
  SUBCASE("an unknown format exits 64") {
    const auto r = d.run({"inspect", "run", "--format", "xml"});
    CHECK(r.code == 64);
    CHECK(has(r.err, "xml"));
  }
}

TEST_CASE("inspect run --quiet") {
  Desk d;
  SUBCASE("silent when all is OK") {
    d.write_config(dummy("a", "0") + dummy("b", "0"));
    const auto r = d.run({"inspect", "run", "--quiet"});
    CHECK(r.code == 0);
    CHECK(r.out.empty());
    d.at("2026-11-25T06:01:00Z");
    const auto again = d.run({"inspect", "run", "-q"});  // nothing due: still silent
    CHECK(again.code == 0);
    CHECK(again.out.empty());
    CHECK(again.err.empty());
  }
  SUBCASE("only the checks that are not OK otherwise") {
    d.write_config(dummy("good-one", "0") + dummy("bad-one", "2") + dummy("meh-one", "1"));
    const auto r = d.run({"inspect", "run", "--quiet"});
    CHECK(r.code == 2);
    CHECK(has(r.out, "bad-one"));
    CHECK(has(r.out, "meh-one"));
    CHECK_FALSE(has(r.out, "good-one"));
  }
}

TEST_CASE("inspect run, scheduling") {
  Desk d;
  d.write_config(dummy("often", "0", "interval = \"5m\"") + dummy("rarely", "0", "interval = \"1h\""));
  auto ran = [&](const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"inspect", "run", "--format", "json"};
    args.insert(args.end(), extra.begin(), extra.end());
    const auto r = d.run(args);
    REQUIRE_MESSAGE(r.code == 0, r.err);
    if (r.out.empty()) return Strings{};
    return names_in(r.json());
  };
  CHECK(ran() == Strings{"often", "rarely"});
  d.at("2026-11-25T06:01:00Z");
  const auto skipped = d.run({"inspect", "run"});
  CHECK(skipped.code == 0);
  CHECK(skipped.out.empty());
  CHECK(has(skipped.err, "nothing is due"));
  CHECK(ran({"--all"}) == Strings{"often", "rarely"});
  d.at("2026-11-25T06:02:00Z");
  CHECK(ran({"--check", "rarely"}) == Strings{"rarely"});
  d.at("2026-11-25T06:06:00Z");
  CHECK(ran() == Strings{"often"});
  d.at("2026-11-25T07:05:00Z");
  CHECK(ran() == Strings{"often", "rarely"});
  SUBCASE("selection by tag and system") {
    d.write_config(dummy("tagged", "0", "tags = [\"nightly\"]") +
                   "[[checks]]\nname = \"elsewhere\"\nsystem = \"mail\"\ntype = \"command\"\nargv = [\"/bin/true\"]\n");
    CHECK(ran({"--all", "--tag", "nightly"}) == Strings{"tagged"});
    CHECK(ran({"--all", "--system", "mail"}) == Strings{"elsewhere"});
  }
}

TEST_CASE("inspect run, an unknown --check exits 64") {
  Desk d;
  d.write_config(dummy("root-disk", "0"));
  const auto r = d.run({"inspect", "run", "--check", "root-dsk"});
  CHECK(r.code == 64);
  CHECK(has(r.err, "root-dsk"));
  CHECK(has(r.err, "root-disk"));
  CHECK(r.out.empty());
}

TEST_CASE("inspect run, an invalid range exits 78 naming the check") {
  Desk d;
  for (const char* bad : {"20:10", "abc", "", "1e3", "~", "10%"}) {
    const std::string value = bad;
    CAPTURE(value);
    d.write_config(std::string("[[checks]]\nname = \"root-disk\"\ntype = \"disk\"\npath = \"/\"\nwarning = \"") + bad + "\"\n");
    const auto r = d.run({"inspect", "run"});
    CHECK(r.code == 78);
    CHECK(r.out.empty());
    CHECK(has(r.err, "warning"));
    CHECK(has(r.err, std::string("\"") + bad + "\""));
    CHECK_MESSAGE(has(r.err, "root-disk"), "stderr: ", r.err);  // which check, by the name the user gave it
  }
  SUBCASE("critical too, and inspect list refuses the config as well") {
    d.write_config("[[checks]]\nname = \"web\"\ntype = \"http\"\nurl = \"http://127.0.0.1/\"\ncritical = \"5:1\"\n");
    CHECK(d.run({"inspect", "run"}).code == 78);
    const auto list = d.run({"inspect", "list"});
    CHECK(list.code == 78);
    CHECK(has(list.err, "critical"));
  }
}

TEST_CASE("inspect run, other config errors exit 78") {
  Desk d;
  SUBCASE("a command line without shell = true") {
    d.write_config("[[checks]]\nname = \"script\"\ntype = \"command\"\ncommand = \"echo hi\"\n");
    const auto r = d.run({"inspect", "run"});
    CHECK(r.code == 78);
    CHECK(has(r.err, "shell = true"));
  }
  SUBCASE("shell = true without a command") {
    d.write_config("[[checks]]\nname = \"script\"\ntype = \"command\"\nshell = true\n");
    CHECK(d.run({"inspect", "run"}).code == 78);
  }
  SUBCASE("thresholds on a command check") {
    d.write_config(dummy("d", "0", "warning = \"10\""));
    CHECK(d.run({"inspect", "run"}).code == 78);
  }
  SUBCASE("open_ticket without a system") {
    d.write_config("[[checks]]\nname = \"disk\"\ntype = \"disk\"\nopen_ticket = \"critical\"\n");
    const auto r = d.run({"inspect", "run"});
    CHECK(r.code == 78);
    CHECK(has(r.err, "system"));
  }
  SUBCASE("two checks of one name") {
    d.write_config(dummy("same", "0") + dummy("same", "1"));
    CHECK(d.run({"inspect", "run"}).code == 78);
  }
  SUBCASE("an unknown type") {
    d.write_config("[[checks]]\nname = \"x\"\ntype = \"ping\"\n");
    CHECK(d.run({"inspect", "run"}).code == 78);
  }
  SUBCASE("a postgres check whose url carries a password, which is not repeated") {
    d.write_config("[[checks]]\nname = \"erp-db\"\ntype = \"postgres\"\nurl = \"postgresql://monitor:s3cret@db.example/erp\"\n");
    const auto r = d.run({"inspect", "run"});
    CHECK(r.code == 78);
    CHECK(has(r.err, "carries a password"));
    CHECK_FALSE(has(r.err, "s3cret"));
  }
}

TEST_CASE("inspect run, overlapping runs exit 75") {
  Desk d;
  const auto started = d.dir / "started";
  d.write_config("[[checks]]\nname = \"slow\"\ntype = \"command\"\nshell = true\ncommand = \"touch " + started.string() +
                 "; sleep 3; echo 'OK - slept'\"\n" + dummy("quick", "0"));
  opsdesk::test::Result first;
  std::thread background([&] {
    try {
      first = d.run({"inspect", "run"});
    } catch (const std::exception& e) {  // no assertions off the main thread
      first.err = e.what();
    }
  });
  for (int i = 0; i < 200 && !std::filesystem::exists(started); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  CHECK(std::filesystem::exists(started));
  const auto second = d.run({"inspect", "run", "--all"});
  background.join();
  CHECK(second.code == 75);
  CHECK(has(second.err, "another inspect run"));
  CHECK(second.out.empty());
  CHECK_MESSAGE(first.code == 0, first.err);
  CHECK(has(first.out, "OK - slept"));
  // the first run's results only
  CHECK(d.run({"inspect", "history", "--json"}).json().size() == 2);
  SUBCASE("after it, a run goes ahead") { CHECK(d.run({"inspect", "run", "--check", "quick"}).code == 0); }
}

TEST_CASE("inspect run, incidents open, are commented and resolve without duplicates") {
  Desk d;
  d.write_config(d.controlled("erp-db", "open_ticket = \"warning\"\nauto_resolve = true\ninterval = \"5m\""));
  d.set("erp-db", 0);
  CHECK(d.run({"inspect", "run"}).code == 0);
  CHECK(d.tickets().empty());

  d.at("2026-11-25T06:05:00Z");
  d.set("erp-db", 1);
  auto r = d.run({"inspect", "run"});
  CHECK(r.code == 1);
  CHECK(has(r.out, "erp-db: incident INC-2026-000001 opened"));
  auto list = d.tickets();
  REQUIRE(list.size() == 1);
  CHECK(list[0]["system"] == "erp");
  CHECK(list[0]["channel"] == "monitor");
  CHECK(list[0]["status"] == "new");

  d.at("2026-11-25T06:10:00Z");
  r = d.run({"inspect", "run", "--format", "json"});
  CHECK(r.code == 1);
  CHECK(r.json()["tickets"].empty());
  CHECK(d.tickets().size() == 1);

  d.at("2026-11-25T06:15:00Z");
  d.set("erp-db", 2);
  r = d.run({"inspect", "run", "--format", "json"});
  CHECK(r.code == 2);
  REQUIRE(r.json()["tickets"].size() == 1);
  CHECK(r.json()["tickets"][0]["action"] == "commented");
  CHECK(r.json()["tickets"][0]["ref"] == "INC-2026-000001");
  CHECK(d.tickets().size() == 1);

  d.at("2026-11-25T06:20:00Z");
  CHECK(d.run({"inspect", "run"}).code == 2);
  CHECK(d.tickets().size() == 1);

  d.at("2026-11-25T06:25:00Z");
  d.set("erp-db", 0);
  r = d.run({"inspect", "run"});
  CHECK(r.code == 0);
  CHECK(has(r.out, "erp-db: incident INC-2026-000001 resolved"));
  const auto t = d.show("INC-2026-000001");
  CHECK(t["status"] == "resolved");
  CHECK(d.event_kinds("INC-2026-000001") == Strings{"created", "comment", "comment", "resolved"});
  CHECK(d.tickets().size() == 1);

  d.at("2026-11-25T06:30:00Z");
  CHECK(d.run({"inspect", "run"}).code == 0);
  CHECK(d.event_kinds("INC-2026-000001").size() == 4);

  SUBCASE("suppressed during planned downtime of the system, opened after it") {
    REQUIRE(d.run({"downtime", "add", "--system", "erp", "--start", "2026-11-25T06:30:00Z", "--end",
                   "2026-11-25T07:00:00Z", "--reason", "database upgrade"})
                .code == 0);
    d.at("2026-11-25T06:35:00Z");
    d.set("erp-db", 2);
    r = d.run({"inspect", "run"});
    CHECK(r.code == 2);
    CHECK(has(r.out, "erp-db: no incident opened (planned downtime)"));
    CHECK(d.tickets().size() == 1);
    d.at("2026-11-25T07:00:00Z");
    r = d.run({"inspect", "run"});
    CHECK(r.code == 2);
    CHECK(has(r.out, "erp-db: incident INC-2026-000002 opened"));
    CHECK(d.tickets().size() == 2);
  }
  SUBCASE("another system's downtime does not suppress") {
    REQUIRE(d.run({"downtime", "add", "--system", "mail", "--start", "2026-11-25T06:30:00Z", "--end",
                   "2026-11-25T07:00:00Z", "--reason", "relay"})
                .code == 0);
    d.at("2026-11-25T06:35:00Z");
    d.set("erp-db", 2);
    CHECK(has(d.run({"inspect", "run"}).out, "incident INC-2026-000002 opened"));
  }
  SUBCASE("inspect list shows the open incident") {
    d.at("2026-11-25T06:35:00Z");
    d.set("erp-db", 2);
    d.run({"inspect", "run"});
    const auto l = d.run({"inspect", "list", "--json"}).json();
    REQUIRE(l.size() == 1);
    CHECK(l[0]["state"] == "critical");
    CHECK(l[0]["ticket"] == "INC-2026-000002");
  }
}

TEST_CASE("inspect availability --json") {
  Desk d;
  d.write_config(d.controlled("erp-db", "interval = \"5m\""));
  // 06:00 ok, 06:05 critical, 06:10 ok, 06:15 ok; asked at 06:20.
  const std::pair<const char*, int> runs[] = {{"2026-11-25T06:00:00Z", 0},
                                              {"2026-11-25T06:05:00Z", 2},
                                              {"2026-11-25T06:10:00Z", 0},
                                              {"2026-11-25T06:15:00Z", 0}};
  for (const auto& [when, state] : runs) {
    d.at(when);
    d.set("erp-db", state);
    CHECK(d.run({"inspect", "run"}).code == state);
  }
  d.at("2026-11-25T06:20:00Z");
  auto row = [](const nlohmann::ordered_json& rows, bool system) {
    for (const auto& r : rows)
      if (r["check"].is_null() == system) return r;
    FAIL("no such row");
    return nlohmann::ordered_json{};
  };
  SUBCASE("a window") {
    const auto r = d.run({"inspect", "availability", "--since", "2026-11-25T06:00:00Z", "--json"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    const auto rows = r.json();
    REQUIRE(rows.size() == 2);
    const auto check = row(rows, false);
    CHECK(check["system"] == "erp");
    CHECK(check["check"] == "erp-db");
    CHECK(check["period_seconds"] == 1200);
    CHECK(check["up_seconds"] == 900);
    CHECK(check["down_seconds"] == 300);
    CHECK(check["no_data_seconds"] == 0);
    CHECK(check["downtime_seconds"] == 0);
    CHECK(check["percent"] == 75.0);
    CHECK(row(rows, true)["percent"] == 75.0);
  }
  SUBCASE("planned downtime is left out") {
    REQUIRE(d.run({"downtime", "add", "--system", "erp", "--start", "2026-11-25T06:10:00Z", "--end",
                   "2026-11-25T06:15:00Z", "--reason", "patching"})
                .code == 0);
    const auto rows = d.run({"inspect", "availability", "--since", "2026-11-25T06:00:00Z", "--until",
                             "2026-11-25T06:20:00Z", "--json"})
                          .json();
    const auto check = row(rows, false);
    CHECK(check["downtime_seconds"] == 300);
    CHECK(check["up_seconds"] == 600);
    CHECK(check["percent"] == doctest::Approx(66.667));
  }
  SUBCASE("the month so far: the time before the first run is no data") {
    const auto rows = d.run({"inspect", "availability", "--period", "2026-11", "--json"}).json();
    const auto check = row(rows, false);
    const long long period = 24 * 86400 + 6 * 3600 + 20 * 60;  // 2026-11-01 to 2026-11-25T06:20Z
    CHECK(check["period_seconds"] == period);
    CHECK(check["up_seconds"] == 900);
    CHECK(check["down_seconds"] == 300);
    CHECK(check["no_data_seconds"] == period - 1200);
    CHECK(std::abs(check["percent"].get<double>() - 900.0 * 100 / static_cast<double>(period)) < 0.001);
  }
  SUBCASE("a gap longer than twice the interval is no data") {
    d.at("2026-11-25T07:00:00Z");
    d.set("erp-db", 0);
    CHECK(d.run({"inspect", "run"}).code == 0);
    const auto rows = d.run({"inspect", "availability", "--since", "2026-11-25T06:00:00Z", "--json"}).json();
    const auto check = row(rows, false);
    // 06:15 ok holds until 06:25; no data 06:25-07:00; the 07:00 result counts until now (07:00)
    CHECK(check["period_seconds"] == 3600);
    CHECK(check["up_seconds"] == 1200);
    CHECK(check["down_seconds"] == 300);
    CHECK(check["no_data_seconds"] == 2100);
  }
  SUBCASE("an empty period exits 64") {
    CHECK(d.run({"inspect", "availability", "--since", "2026-11-25T07:00:00Z"}).code == 64);
  }
}

TEST_CASE("inspect run --record makes an inspection ticket") {
  Desk d;
  d.write_config(dummy("fine", "0") + dummy("broken", "2"));
  const auto r = d.run({"inspect", "run", "--record"});
  CHECK(r.code == 2);
  CHECK(has(r.out, "inspection recorded as INS-2026-000001"));
  const auto t = d.show("INS-2026-000001");
  CHECK(t["type"] == "inspection");
  CHECK(t["status"] == "resolved");
  CHECK(has(t["title"].get<std::string>(), "2 checks: 1 OK, 0 WARNING, 1 CRITICAL, 0 UNKNOWN"));
  const auto description = t["description"].get<std::string>();
  CHECK(has(description, "| fine | erp | OK | OK: fine says 0 |"));
  CHECK(has(description, "| broken | erp | CRITICAL | CRITICAL: broken says 2 |"));
  CHECK(d.tickets("inspection").size() == 1);
  SUBCASE("in JSON") {
    d.at("2026-11-25T06:10:00Z");
    const auto j = d.run({"inspect", "run", "--record", "--format", "json"}).json();
    CHECK(j["record"] == "INS-2026-000002");
  }
  SUBCASE("without --record, no ticket") {
    d.at("2026-11-25T06:10:00Z");
    d.run({"inspect", "run"});
    CHECK(d.tickets("inspection").size() == 1);
  }
}

TEST_CASE("inspect list and history") {
  Desk d;
  d.write_config(dummy("a", "0", "interval = \"10m\"") + dummy("b", "2"));
  SUBCASE("list before any run") {
    const auto l = d.run({"inspect", "list", "--json"});
    REQUIRE_MESSAGE(l.code == 0, l.err);
    const auto j = l.json();
    REQUIRE(j.size() == 2);
    CHECK(j[0]["name"] == "a");
    CHECK(j[0]["type"] == "command");
    CHECK(j[0]["interval_seconds"] == 600);
    CHECK(j[0]["state"].is_null());
    CHECK(j[0]["next_due"].is_null());
  }
  SUBCASE("after runs") {
    CHECK(d.run({"inspect", "run"}).code == 2);
    d.at("2026-11-25T06:10:00Z");
    d.write_config(dummy("a", "1", "interval = \"10m\"") + dummy("b", "2"));
    CHECK(d.run({"inspect", "run"}).code == 2);
    const auto l = d.run({"inspect", "list", "--json"}).json();
    CHECK(l[0]["state"] == "warning");
    CHECK(l[0]["since"] == "2026-11-25T06:10:00Z");
    CHECK(l[0]["last_at"] == "2026-11-25T06:10:00Z");
    CHECK(l[0]["next_due"] == "2026-11-25T06:20:00Z");
    CHECK(l[1]["state"] == "critical");
    CHECK(l[1]["since"] == "2026-11-25T06:00:00Z");
    const auto table = d.run({"inspect", "list"});
    CHECK(table.code == 0);
    CHECK(has(table.out, "WARNING"));

    const auto all = d.run({"inspect", "history", "--json"}).json();
    CHECK(all.size() == 4);
    const auto a = d.run({"inspect", "history", "--check", "a", "--json"}).json();
    REQUIRE(a.size() == 2);
    CHECK(a[0]["state"] == "ok");
    CHECK(a[1]["state"] == "warning");
    CHECK(a[1]["summary"] == "WARNING: a says 1");
    const auto recent = d.run({"inspect", "history", "--since", "2026-11-25T06:05:00Z", "--json"}).json();
    CHECK(recent.size() == 2);
    const auto table_history = d.run({"inspect", "history"});
    CHECK(table_history.code == 0);
    CHECK(has(table_history.out, "a says 1"));
  }
  SUBCASE("no checks configured") {
    d.write_config("");
    const auto r = d.run({"inspect", "run"});
    CHECK(r.code == 0);
    CHECK(r.out.empty());
    CHECK(has(r.err, "no checks"));
  }
}

TEST_CASE("inspect run, a postgres check: OK with the database's size as perfdata") {
  POSTGRES_ONLY();
  Desk d;
  const opsdesk::test::PgDatabase db(d, "erp");
  db.sql("CREATE TABLE t AS SELECT i, md5(i::text) AS v FROM generate_series(1, 20000) i");
  d.write_config("[[checks]]\nname = \"erp-db\"\nsystem = \"erp\"\ntype = \"postgres\"\nurl = \"" + db.url +
                 "\"\nwarning = \"~:60\"\ncritical = \"~:300\"\n");
  const auto r = d.run({"inspect", "run", "--format", "json"});
  REQUIRE_MESSAGE(r.code == 0, r.out, r.err);
  const auto res = r.json()["results"][0];
  CHECK(res["state"] == "ok");
  const std::string summary = res["summary"];
  CHECK_MESSAGE(summary.starts_with("POSTGRES OK - " + db.name + " (PostgreSQL "), summary);
  CHECK(has(summary, "primary"));
  REQUIRE(res["perfdata"].size() == 1);  // a primary has no replication lag
  CHECK(res["perfdata"][0]["label"] == "size");
  CHECK(res["perfdata"][0]["uom"] == "B");
  const auto size = std::stoll(db.sql("SELECT pg_database_size(current_database())"));
  CHECK(res["perfdata"][0]["value"].get<double>() > 1e6);
  CHECK(std::abs(res["perfdata"][0]["value"].get<double>() - static_cast<double>(size)) < 1e6);
  const auto nagios = d.run({"inspect", "run", "--all", "--format", "nagios"});
  CHECK(nagios.code == 0);
  CHECK_MESSAGE(has(nagios.out, "erp-db.size="), nagios.out);
}

TEST_CASE("inspect run, a postgres check on a server that is not there is CRITICAL with libpq's message") {
  Desk d;
  const std::string url = "postgresql://monitor@/erp?host=" + (d.dir / "no-server").string();
  d.write_config("[[checks]]\nname = \"erp-db\"\nsystem = \"erp\"\ntype = \"postgres\"\ntimeout = \"3s\"\nurl = \"" + url + "\"\n");
  const auto r = d.run({"inspect", "run"});
  CHECK(r.code == 2);
  CHECK_MESSAGE(has(r.out, "POSTGRES CRITICAL - cannot connect to " + url + ": connection to server"), r.out);
  CHECK(has(r.out, "No such file or directory"));
}

TEST_SUITE_END();
