// End-to-end: opsdesk report on a fixed set of tickets whose figures are worked out by hand.
#include <doctest/doctest.h>

#include <string>

#include "cli_helpers.hpp"
#include "harness.hpp"

using opsdesk::test::has;
using opsdesk::test::new_ticket;
using opsdesk::test::Sandbox;

TEST_SUITE_BEGIN("cli report");

namespace {

// October 2026 on a desk in UTC:
//   A  high incident 10-05 10:00, acknowledged +10m (met), resolved +2h (met)
//   B  high incident 10-06 10:00, acknowledged +1h (response breached by 30m), resolved +10h
//      (resolution breached by 2h)
//   C  high incident 09-30 23:00, resolved 10-01 01:00: resolved in October, its clocks are
//      September's
//   D  medium incident 10-20 10:00, acknowledged +5m, resolved +10h (met: 24h target)
// Response clocks in October: A met, B breached, D met → 2 of 3 = 66.67% (aim 99%: missed).
struct Desk : Sandbox {
  Desk() {
    write_config("[desk]\ntimezone = \"UTC\"\n");
    env["OPSDESK_NOW"] = "2026-11-25T10:00:00Z";
    a = incident("A", "high", "2026-10-05T10:00:00Z", "2026-10-05T10:10:00Z", "2026-10-05T12:00:00Z");
    b = incident("B", "high", "2026-10-06T10:00:00Z", "2026-10-06T11:00:00Z", "2026-10-06T20:00:00Z");
    c = incident("C", "high", "2026-09-30T23:00:00Z", "2026-09-30T23:10:00Z", "2026-10-01T01:00:00Z");
    d = incident("D", "medium", "2026-10-20T10:00:00Z", "2026-10-20T10:05:00Z", "2026-10-20T20:00:00Z");
  }
  std::string incident(const std::string& title, const std::string& priority, const std::string& at, const std::string& ack,
                       const std::string& resolve) {
    const auto ref = new_ticket(*this, {"Incident " + title, "--priority", priority, "--system", "erp", "--category", "login",
                                        "--at", at});
    REQUIRE(run({"ticket", "ack", ref, "--at", ack}).code == 0);
    REQUIRE(run({"ticket", "resolve", ref, "--at", resolve, "--resolution", "restarted the listener"}).code == 0);
    return ref;
  }
  std::string a, b, c, d;
};

}  // namespace

TEST_CASE("report: October's figures, worked out by hand, in every format") {
  Desk s;
  const auto r = s.run({"report", "--period", "2026-10", "--format", "json"});
  CHECK(r.code == 1);  // a contract target is missed
  const auto j = r.json();
  CHECK(j["period"]["name"] == "2026-10");
  CHECK(j["targets_met"] == false);
  const auto& targets = j["summary"]["targets"];
  REQUIRE(targets.size() == 2);  // no checks configured: availability is not judged
  CHECK(targets[0]["name"] == "acknowledged_on_time");
  CHECK(targets[0]["basis"] == "2 of 3 clocks");
  CHECK(targets[0]["measured"].get<double>() == doctest::Approx(66.6667).epsilon(0.001));
  CHECK(targets[0]["met"] == false);
  CHECK(targets[1]["basis"] == "2 of 3 clocks");
  bool high = false, medium = false;
  for (const auto& t : j["summary"]["tickets"]) {
    if (t["type"] == "incident" && t["priority"] == "high") {
      high = true;
      CHECK(t["opened"] == 2);
      CHECK(t["resolved"] == 3);  // C was opened in September
      CHECK(t["open_at_end"] == 0);
    }
    if (t["type"] == "incident" && t["priority"] == "medium") {
      medium = true;
      CHECK(t["opened"] == 1);
      CHECK(t["resolved"] == 1);
    }
  }
  CHECK(high);
  CHECK(medium);
  // SLA: high response: A 10m met, B 1h breached; median of 600 and 3600 is the lower, 90th the higher.
  bool response_high = false;
  for (const auto& c : j["sla"]["clocks"])
    if (c["clock"] == "response" && c["priority"] == "high") {
      response_high = true;
      CHECK(c["met"] == 1);
      CHECK(c["breached"] == 1);
      CHECK(c["compliance"].get<double>() == doctest::Approx(50.0));
      CHECK(c["median_seconds"] == 600);
      CHECK(c["p90_seconds"] == 3600);
    }
  CHECK(response_high);
  const auto& breaches = j["quality"]["breaches"];
  REQUIRE(breaches.size() == 2);
  CHECK(breaches[0]["ref"] == s.b);
  CHECK(breaches[0]["clock"] == "resolution");
  CHECK(breaches[0]["overrun_seconds"] == 7200);
  CHECK(breaches[1]["clock"] == "response");
  CHECK(breaches[1]["overrun_seconds"] == 1800);
  CHECK(j["quality"]["unsigned_records"] == 4);
  CHECK(j["technical"]["categories"][0]["name"] == "login");
  CHECK(j["technical"]["categories"][0]["count"] == 3);
  CHECK(j["technical"]["categories"][0]["previous"] == 1);  // C, in September

  // The same numbers in text, Markdown and CSV.
  const auto text = s.run({"report", "--period", "2026-10"});
  CHECK(text.code == 1);
  CHECK(has(text.out, "A contract target is MISSED."));
  CHECK(has(text.out, "66.67%"));
  CHECK(has(text.out, s.b));
  const auto md = s.run({"report", "--period", "2026-10", "--format", "markdown", "--no-fail"});
  CHECK(md.code == 0);
  CHECK(has(md.out, "| incidents acknowledged in time | 99% | 66.67% | MISSED | 2 of 3 clocks |"));
  const auto csv = s.run({"report", "--period", "2026-10", "--format", "csv", "--section", "breaches", "--no-fail"});
  CHECK(csv.out.rfind("ticket,clock,priority,overrun,cause,title\n", 0) == 0);
  CHECK(has(csv.out, s.b + ",resolution,high,2h"));
  CHECK(s.run({"report", "--period", "2026-10", "--format", "csv", "--section", "nope"}).code == 64);
}

TEST_CASE("report: a period with no tickets is a valid report that judges nothing") {
  Desk s;
  const auto r = s.run({"report", "--period", "2026-Q1", "--format", "json"});
  CHECK(r.code == 0);
  const auto j = r.json();
  CHECK(j["targets_met"] == true);
  CHECK(j["summary"]["targets"][0]["measured"].is_null());
  const auto chosen = s.run({"report", "--period", "2026-Q1", "--json", "targets_met"});
  CHECK_MESSAGE(chosen.code == 0, chosen.err);
  CHECK(chosen.json() == nlohmann::ordered_json{{"targets_met", true}});
  CHECK(s.run({"report", "--period", "2026-Q1", "--json", "nope"}).code == 64);
  const auto text = s.run({"report", "--period", "2026-Q1"});
  CHECK(has(text.out, "No SLA clocks started in this period."));
  CHECK(has(text.out, "not measured"));
}

TEST_CASE("report: bad periods, --record and history, --redact, --output") {
  Desk s;
  auto r = s.run({"report", "--period", "2026-13"});
  CHECK(r.code == 64);
  CHECK(has(r.err, "2026-13"));
  CHECK(s.run({"report", "--since", "2026-10-01"}).code == 64);
  r = s.run({"report", "--period", "2026-10", "--record", "--no-fail", "--output", (s.dir / "oct.md").string(), "--format", "markdown"});
  CHECK(r.code == 0);
  const auto history = s.run({"report", "history", "--json"}).json();
  REQUIRE(history.size() == 1);
  CHECK(history[0]["period"] == "2026-10");
  CHECK(history[0]["targets_met"] == false);
  CHECK(history[0]["sha256"].get<std::string>().size() == 64);
  CHECK(s.run({"report", "--period", "2026-10", "--format", "json", "--no-fail"}).json()["summary"]["reports_issued"] == 1);
  const auto redacted = s.run({"report", "--period", "2026-10", "--redact", "--format", "json", "--no-fail"}).json();
  CHECK(redacted["quality"]["breaches"][0]["title"] == "(redacted)");
  // Someone leaving within the notice with open tickets is named.
  REQUIRE(s.run({"account", "add", "zhang", "--role", "engineer"}).code == 0);
  const auto open = new_ticket(s, {"Still open", "--priority", "low"});
  REQUIRE(s.run({"ticket", "assign", open, "zhang"}).code == 0);
  REQUIRE(s.run({"account", "set", "zhang", "--leaves", "2026-11-27"}).code == 0);
  const auto text = s.run({"report", "--period", "2026-10", "--no-fail"});
  CHECK(has(text.out, "Staff: zhang leaves on 2026-11-27"));
  // A viewer may not issue reports.
  REQUIRE(s.run({"account", "add", "zhao", "--role", "viewer"}).code == 0);
  CHECK(s.run_as("zhao", {"report", "--period", "2026-10"}).code == 77);
}

TEST_CASE("report: availability from the inspection history, planned downtime left out") {
  Sandbox s;
  s.env["OPSDESK_NOW"] = "2026-10-10T06:00:00Z";
  const auto state = (s.dir / "state").string();
  s.write_config("[desk]\ntimezone = \"UTC\"\n[[checks]]\nname = \"erp-db\"\nsystem = \"erp\"\ntype = \"command\"\nshell = true\n"
                 "interval = \"5m\"\ncommand = '''s=$(cat " + state + "); echo \"DB STATE $s\"; exit $s'''\n");
  // 06:00 ok, 06:05 critical, 06:10 ok, 06:15 ok: up 06:00-06:05 and 06:10-06:25 (the last result
  // holds for two intervals), down 06:05-06:10: 1200 s up of 1500 measured = 80%.
  for (const auto& [when, code] : {std::pair<std::string, int>{"2026-10-10T06:00:00Z", 0}, {"2026-10-10T06:05:00Z", 2},
                                   {"2026-10-10T06:10:00Z", 0}, {"2026-10-10T06:15:00Z", 0}}) {
    s.env["OPSDESK_NOW"] = when;
    s.write_file("state", std::to_string(code) + "\n");
    REQUIRE(s.run({"inspect", "run"}).code == code);
  }
  s.env["OPSDESK_NOW"] = "2026-11-25T10:00:00Z";
  auto availability = [&] {
    const auto j = s.run({"report", "--period", "2026-10", "--format", "json", "--no-fail"}).json();
    REQUIRE(j["availability"].size() == 1);
    for (const auto& t : j["summary"]["targets"])
      if (t["name"] == "availability") return std::make_pair(j["availability"][0], t);
    FAIL("no availability target");
    return std::make_pair(j, j);
  };
  auto [row, target] = availability();
  CHECK(row["system"] == "erp");
  CHECK(row["percent"].get<double>() == doctest::Approx(80.0));
  CHECK(row["up_seconds"] == 1200);
  CHECK(row["down_seconds"] == 300);
  CHECK(target["met"] == false);
  REQUIRE(s.run({"downtime", "add", "--system", "erp", "--start", "2026-10-10T06:05:00Z", "--end", "2026-10-10T06:10:00Z",
                 "--reason", "patching"})
              .code == 0);
  std::tie(row, target) = availability();
  CHECK(row["percent"].get<double>() == doctest::Approx(100.0));
  CHECK(row["planned_seconds"] == 300);
  CHECK(target["met"] == true);
}

TEST_CASE("report: a reopened incident counts once, resolved when it was last resolved") {
  Sandbox s;
  s.write_config("[desk]\ntimezone = \"UTC\"\n");
  s.env["OPSDESK_NOW"] = "2026-11-25T10:00:00Z";
  const auto e = new_ticket(s, {"Incident E", "--priority", "low", "--at", "2026-10-12T10:00:00Z"});
  REQUIRE(s.run({"ticket", "ack", e, "--at", "2026-10-12T10:05:00Z"}).code == 0);
  REQUIRE(s.run({"ticket", "resolve", e, "--at", "2026-10-12T11:00:00Z", "--resolution", "cleared the queue"}).code == 0);
  REQUIRE(s.run({"ticket", "reopen", e, "--at", "2026-10-12T12:00:00Z", "--reason", "queue stuck again"}).code == 0);
  REQUIRE(s.run({"ticket", "resolve", e, "--at", "2026-10-31T23:00:00Z", "--resolution", "replaced the disk"}).code == 0);
  const auto j = s.run({"report", "--period", "2026-10", "--format", "json", "--no-fail"}).json();
  REQUIRE(j["summary"]["tickets"].size() == 1);
  CHECK(j["summary"]["tickets"][0]["opened"] == 1);
  CHECK(j["summary"]["tickets"][0]["resolved"] == 1);
  CHECK(j["summary"]["tickets"][0]["open_at_end"] == 0);
  // One resolution clock, from 10-12 10:00 to 10-31 23:00 less the hour it was resolved: far
  // past the 24h target.
  for (const auto& c : j["sla"]["clocks"])
    if (c["clock"] == "resolution") {
      CHECK(c["met"] == 0);
      CHECK(c["breached"] == 1);
    }
  // The month after sees nothing of it.
  const auto next = s.run({"report", "--period", "2026-11", "--format", "json"}).json();
  CHECK(next["summary"]["tickets"].empty());
  CHECK(next["sla"]["clocks"].empty());
}

TEST_CASE("report on a desk that has no store yet: a valid empty report, and nothing is created") {
  Sandbox s;
  s.env["OPSDESK_NOW"] = "2026-11-25T10:00:00Z";
  const auto r = s.run({"report", "--format", "json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.json()["period"]["name"] == "2026-10");  // the last complete month
  CHECK(s.run({"report", "history", "--json"}).json().empty());
  CHECK(s.run({"db-tune", "history", "--json"}).json().empty());
  CHECK_FALSE(std::filesystem::exists(s.db));
}

TEST_CASE("report --format html: one self-contained page with the figures and charts, rendered by a headless browser") {
  Desk s;
  const auto page = s.dir / "report.html";
  REQUIRE(s.run({"report", "--period", "2026-10", "--format", "html", "--no-fail", "--output", page.string()}).code == 0);
  const auto html = opsdesk::test::file_bytes(page);
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(has(html, "66.67%"));
  CHECK(has(html, "<svg"));
  CHECK(has(html, "@page { size: A4"));
  CHECK_FALSE(has(html, "http://"));   // nothing fetched
  CHECK_FALSE(has(html, "https://"));
  CHECK_FALSE(has(html, "<script"));
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    MESSAGE("chromium is not installed (scripts/test installs it): the page was not rendered");
    return;
  }
  const auto shot = s.dir / "report.png";
  const std::vector<std::string> browser = {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                            "--user-data-dir=" + (s.dir / "chromium").string()};
  auto args = browser;
  args.insert(args.end(), {"--screenshot=" + shot.string(), "--window-size=1000,1400", "file://" + page.string()});
  opsdesk::test::run_program(args, "", {{"HOME", s.dir.string()}});
  REQUIRE(std::filesystem::exists(shot));
  CHECK(std::filesystem::file_size(shot) > 10000);
  const auto png = opsdesk::test::file_bytes(shot);
  CHECK(png.rfind("\x89PNG", 0) == 0);
  args = browser;
  args.insert(args.end(), {"--dump-dom", "file://" + page.string()});
  const auto dom = opsdesk::test::run_program(args, "", {{"HOME", s.dir.string()}});
  CHECK(has(dom.out, "66.67%"));
  CHECK(has(dom.out, s.b));
}

TEST_SUITE_END();
