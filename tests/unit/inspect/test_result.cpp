// Plugin answers the Nagios way: perfdata written and read back, output split into summary,
// long output and perfdata, and the order of states for a whole run.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "inspect/result.hpp"
#include "support/helpers.hpp"

using namespace opsdesk::inspect;
using opsdesk::test::has;

TEST_SUITE_BEGIN("inspect");

namespace {

std::vector<std::string> labels(const std::vector<Perfdatum>& perf) {
  std::vector<std::string> out;
  for (const auto& p : perf) out.push_back(p.label);
  return out;
}

Perfdatum datum(std::string label, double value, std::string uom = "") {
  Perfdatum p;
  p.label = std::move(label);
  p.value = value;
  p.uom = std::move(uom);
  return p;
}

}  // namespace

TEST_CASE("inspect::state_name and state_of") {
  CHECK(state_name(State::ok) == "OK");
  CHECK(state_name(State::warning) == "WARNING");
  CHECK(state_name(State::critical) == "CRITICAL");
  CHECK(state_name(State::unknown) == "UNKNOWN");
  CHECK(state_of("critical") == State::critical);
  CHECK(state_of(" Warning ") == State::warning);
  CHECK(state_of("OK") == State::ok);
  CHECK(state_of("unknown") == State::unknown);
  CHECK_FALSE(state_of("down").has_value());
  CHECK_FALSE(state_of("").has_value());
  CHECK(static_cast<int>(State::ok) == 0);
  CHECK(static_cast<int>(State::warning) == 1);
  CHECK(static_cast<int>(State::critical) == 2);
  CHECK(static_cast<int>(State::unknown) == 3);
}

TEST_CASE("inspect::worse") {
  SUBCASE("CRITICAL > WARNING > UNKNOWN > OK") {
    CHECK(worse(State::ok, State::ok) == State::ok);
    CHECK(worse(State::ok, State::unknown) == State::unknown);
    CHECK(worse(State::unknown, State::warning) == State::warning);
    CHECK(worse(State::warning, State::critical) == State::critical);
    CHECK(worse(State::critical, State::unknown) == State::critical);
  }
  SUBCASE("either order") {
    const State all[] = {State::ok, State::warning, State::critical, State::unknown};
    for (const auto a : all)
      for (const auto b : all) CHECK(worse(a, b) == worse(b, a));
  }
  SUBCASE("a whole run") {
    State w = State::ok;
    for (const auto s : {State::ok, State::unknown, State::ok, State::warning, State::unknown}) w = worse(w, s);
    CHECK(w == State::warning);
  }
}

TEST_CASE("inspect::format_perfdata") {
  SUBCASE("all fields") {
    Perfdatum p = datum("time", 0.5, "s");
    p.warn = "1";
    p.crit = "~:2";
    p.min = 0;
    p.max = 10;
    CHECK(format_perfdata({p}) == "time=0.5s;1;~:2;0;10");
  }
  SUBCASE("trailing empty fields are dropped, inner ones kept") {
    CHECK(format_perfdata({datum("users", 3)}) == "users=3");
    Perfdatum w = datum("users", 3);
    w.warn = "5";
    CHECK(format_perfdata({w}) == "users=3;5");
    Perfdatum m = datum("users", 3);
    m.min = 0;
    CHECK(format_perfdata({m}) == "users=3;;;0");
  }
  SUBCASE("labels with blanks, quotes or '=' are quoted, quotes doubled") {
    CHECK(format_perfdata({datum("load avg", 1.25)}) == "'load avg'=1.25");
    CHECK(format_perfdata({datum("it's", 1)}) == "'it''s'=1");
    CHECK(format_perfdata({datum("a=b", 2, "%")}) == "'a=b'=2%");
  }
  SUBCASE("several, separated by one space") {
    CHECK(format_perfdata({datum("a", 1, "B"), datum("b", -2.5, "ms")}) == "a=1B b=-2.5ms");
    CHECK(format_perfdata({}).empty());
  }
  SUBCASE("whole numbers without a decimal point") {
    CHECK(format_perfdata({datum("size", 270553174016.0, "B")}) == "size=270553174016B");
  }
}

TEST_CASE("inspect::format_perfdata, values stay in the perfdata alphabet") {
  // Perfdata values are [-0-9.]; "5e-05" is not one, and reads back as 5 with UOM "e-05s".
  for (const double v : {0.00005, 0.0000123, 2.5e15, 1e20}) {
    CAPTURE(v);
    const std::string text = format_perfdata({datum("time", v, "s")});
    CAPTURE(text);
    CHECK(text.substr(text.find('=')).find('e') == std::string::npos);
    const auto back = parse_perfdata(text);
    REQUIRE(back.size() == 1);
    CHECK(back[0].value == doctest::Approx(v).epsilon(1e-3));
    CHECK(back[0].uom == "s");
  }
}

TEST_CASE("inspect::parse_perfdata") {
  SUBCASE("all fields") {
    const auto p = parse_perfdata("time=0.012s;1;2;0;10");
    REQUIRE(p.size() == 1);
    CHECK(p[0].label == "time");
    CHECK(p[0].value == doctest::Approx(0.012));
    CHECK(p[0].uom == "s");
    CHECK(p[0].warn == "1");
    CHECK(p[0].crit == "2");
    CHECK(p[0].min == 0.0);
    CHECK(p[0].max == 10.0);
  }
  SUBCASE("only a value") {
    const auto p = parse_perfdata("users=3");
    REQUIRE(p.size() == 1);
    CHECK(p[0].value == 3);
    CHECK(p[0].uom.empty());
    CHECK(p[0].warn.empty());
    CHECK(p[0].crit.empty());
    CHECK_FALSE(p[0].min.has_value());
    CHECK_FALSE(p[0].max.has_value());
  }
  SUBCASE("empty and trailing fields") {
    const auto p = parse_perfdata("a=1;;;; b=2;@10:20;~:30;;");
    REQUIRE(p.size() == 2);
    CHECK(p[0].warn.empty());
    CHECK_FALSE(p[0].min.has_value());
    CHECK(p[1].warn == "@10:20");
    CHECK(p[1].crit == "~:30");
    CHECK_FALSE(p[1].max.has_value());
  }
  SUBCASE("quoted labels with blanks and doubled quotes") {
    const auto p = parse_perfdata("'load avg'=0.5;1;2 'it''s here'=7c '/var/lib/my db'=10%;80;90;0;100");
    CHECK(labels(p) == std::vector<std::string>{"load avg", "it's here", "/var/lib/my db"});
    REQUIRE(p.size() == 3);
    CHECK(p[0].value == doctest::Approx(0.5));
    CHECK(p[1].uom == "c");
    CHECK(p[2].uom == "%");
    CHECK(p[2].max == 100.0);
  }
  SUBCASE("units of measure") {
    const auto p = parse_perfdata("a=1s b=2ms c=3us d=4% e=5B f=6KB g=7MB h=8TB i=9c j=-1.5ms");
    REQUIRE(p.size() == 10);
    const char* uoms[] = {"s", "ms", "us", "%", "B", "KB", "MB", "TB", "c", "ms"};
    for (std::size_t i = 0; i < p.size(); ++i) CHECK(p[i].uom == uoms[i]);
    CHECK(p[9].value == doctest::Approx(-1.5));
  }
  SUBCASE("'U' values are skipped") {
    const auto p = parse_perfdata("a=U;1;2 b=2 c=U");
    CHECK(labels(p) == std::vector<std::string>{"b"});
  }
  SUBCASE("junk is tolerated") {
    const auto p = parse_perfdata("  =5 b= c=abc d=;1;2 a=1\t\te=5\n");
    CHECK(labels(p) == std::vector<std::string>{"a", "e"});
    CHECK(parse_perfdata("").empty());
    CHECK(parse_perfdata("   ").empty());
    CHECK(parse_perfdata("no perfdata here").empty());
  }
  SUBCASE("a word without '=' is skipped alone, not with the item after it") {
    CHECK(labels(parse_perfdata("garbage a=1 b=2")) == std::vector<std::string>{"a", "b"});
    CHECK(labels(parse_perfdata("a=1 oops b=2")) == std::vector<std::string>{"a", "b"});
  }
  SUBCASE("format and parse agree") {
    Perfdatum p = datum("disk /var free", 12.75, "%");
    p.warn = "20:";
    p.crit = "10:";
    p.min = 0;
    p.max = 100;
    const auto back = parse_perfdata(format_perfdata({p, datum("o'clock", 3)}));
    REQUIRE(back.size() == 2);
    CHECK(back[0].label == "disk /var free");
    CHECK(back[0].value == doctest::Approx(12.75));
    CHECK(back[0].uom == "%");
    CHECK(back[0].warn == "20:");
    CHECK(back[0].crit == "10:");
    CHECK(back[0].min == 0.0);
    CHECK(back[0].max == 100.0);
    CHECK(back[1].label == "o'clock");
  }
}

TEST_CASE("inspect::parse_plugin_output") {
  SUBCASE("a summary alone") {
    const auto o = parse_plugin_output("DISK OK - free space: / 3326 MB (56%)\n");
    CHECK(o.summary == "DISK OK - free space: / 3326 MB (56%)");
    CHECK(o.long_output.empty());
    CHECK(o.perfdata.empty());
  }
  SUBCASE("perfdata on the first line") {
    const auto o = parse_plugin_output("TCP OK - 0.001 second response time on port 22|time=0.001s;;;0.000000;10.000000");
    CHECK(o.summary == "TCP OK - 0.001 second response time on port 22");
    REQUIRE(o.perfdata.size() == 1);
    CHECK(o.perfdata[0].label == "time");
    CHECK(o.perfdata[0].max == 10.0);
  }
  SUBCASE("long output") {
    const auto o = parse_plugin_output("WARNING - 2 of 3 disks\n/ ok\n/var 91%\n");
    CHECK(o.summary == "WARNING - 2 of 3 disks");
    CHECK(o.long_output == "/ ok\n/var 91%");
    CHECK(o.perfdata.empty());
  }
  SUBCASE("perfdata on the first line and after '|' on a later line") {
    const auto o = parse_plugin_output(
        "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
        "/ 15272 MB (77%);\n"
        "/boot 68 MB (69%);\n"
        "/home 69357 MB (27%);\n"
        "/var/log 819 MB (84%); | /boot=68MB;88;93;0;98\n"
        "/home=69357MB;253404;253409;0;253414\n"
        "/var/log=818MB;970;975;0;980\n");
    CHECK(o.summary == "DISK OK - free space: / 3326 MB (56%);");
    CHECK(labels(o.perfdata) == std::vector<std::string>{"/", "/boot", "/home", "/var/log"});
    CHECK(has(o.long_output, "/ 15272 MB (77%);\n/boot 68 MB (69%);\n/home 69357 MB (27%);\n/var/log 819 MB (84%);"));
    CHECK_FALSE(has(o.long_output, "253404"));
    CHECK_FALSE(has(o.long_output, "|"));
  }
  SUBCASE("perfdata only after a later line's '|'") {
    const auto o = parse_plugin_output("CRITICAL - queue stuck\ndetails here | q=120;50;100\n");
    CHECK(o.summary == "CRITICAL - queue stuck");
    CHECK(has(o.long_output, "details here"));
    REQUIRE(o.perfdata.size() == 1);
    CHECK(o.perfdata[0].value == 120);
  }
  SUBCASE("CRLF line ends") {
    const auto o = parse_plugin_output("OK - fine | a=1\r\nmore\r\n");
    CHECK(o.summary == "OK - fine");
    CHECK(o.long_output == "more");
    REQUIRE(o.perfdata.size() == 1);
    CHECK(o.perfdata[0].value == 1);
  }
  SUBCASE("nothing") {
    const auto o = parse_plugin_output("");
    CHECK(o.summary.empty());
    CHECK(o.long_output.empty());
    CHECK(o.perfdata.empty());
  }
}

TEST_SUITE_END();
