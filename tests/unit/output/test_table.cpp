#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "output/table.hpp"
#include "output/terminal.hpp"
#include "support/helpers.hpp"

using namespace opsdesk::output;
using namespace std::string_literals;

TEST_SUITE_BEGIN("output");

namespace {

// A terminal `width` columns wide (0: not a terminal), with or without colour.
Terminal term(int width = 0, bool color = false) {
  Terminal t;
  t.stdout_tty = width > 0;
  t.width = width;
  t.color = color;
  return t;
}

std::string render(const Table& table, const Terminal& t = term()) {
  std::ostringstream out;
  table.render(out, t);
  return out.str();
}

const std::string bold = "\033[1m";
const std::string red = "\033[31m";
const std::string green = "\033[32m";
const std::string reset = "\033[0m";

}  // namespace

TEST_CASE("output::Table plain") {
  SUBCASE("columns as wide as their widest cell, two spaces apart, no padding after the last") {
    Table t({{"REF"}, {"PRIORITY"}, {"TITLE"}});
    t.add({{"INC-1"}, {"high"}, {"Disk full"}});
    t.add({{"INC-22"}, {"urgent"}, {"DB down"}});
    CHECK(render(t) ==
          "REF     PRIORITY  TITLE\n"
          "INC-1   high      Disk full\n"
          "INC-22  urgent    DB down\n");
  }
  SUBCASE("right-aligned columns pad on the left, the header too") {
    Table t({{"ID", true}, {"ACTOR"}});
    t.add({{"7"}, {"wang"}});
    t.add({{"1234"}, {"li"}});
    CHECK(render(t) ==
          "  ID  ACTOR\n"
          "   7  wang\n"
          "1234  li\n");
  }
  SUBCASE("a right-aligned last column") {
    Table t({{"NAME"}, {"SIZE", true}});
    t.add({{"a"}, {"1.5 KiB"}});
    t.add({{"bb"}, {"12 B"}});
    CHECK(render(t) ==
          "NAME     SIZE\n"
          "a     1.5 KiB\n"
          "bb       12 B\n");
  }
  SUBCASE("empty table: the header alone") {
    Table t({{"REF"}, {"TITLE"}});
    CHECK(t.empty());
    CHECK(render(t) == "REF  TITLE\n");
    t.add({{"INC-1"}, {"x"}});
    CHECK_FALSE(t.empty());
  }
  SUBCASE("short rows get empty cells, long rows lose the extra ones") {
    Table t({{"A"}, {"B"}, {"C"}});
    t.add({{"x"}});
    t.add({{"1"}, {"2"}, {"3"}, {"4"}});
    CHECK(render(t) ==
          "A  B  C\n"
          "x     \n"
          "1  2  3\n");
  }
}

TEST_CASE("output::Table CJK widths") {
  SUBCASE("a CJK character takes two columns") {
    Table t({{"SYSTEM"}, {"OWNER"}});
    t.add({{"数据库"}, {"wang"}});
    t.add({{"ERP"}, {"李"}});
    CHECK(render(t) ==
          "SYSTEM  OWNER\n"
          "数据库  wang\n"
          "ERP     李\n");
  }
  SUBCASE("a CJK cell wider than its header sets the column width") {
    Table t({{"T"}, {"N", true}});
    t.add({{"工单标题"}, {"1"}});
    t.add({{"abc"}, {"22"}});
    CHECK(render(t) ==
          "T          N\n"
          "工单标题   1\n"
          "abc       22\n");
  }
  SUBCASE("right alignment counts display columns, not bytes") {
    Table t({{"WHO", true}});
    t.add({{"张三"}});
    t.add({{"wang"}});
    t.add({{"é"}});
    CHECK(render(t) ==
          " WHO\n"
          "张三\n"
          "wang\n"
          "   é\n");
  }
}

TEST_CASE("output::Table colour") {
  Table t({{"REF"}, {"STATE"}});
  t.add({{"INC-1"}, {"down", Color::red}});
  t.add({{"INC-22"}, {"up", Color::green}});
  SUBCASE("only when enabled: headers bold, cells in their colour, padding outside the codes") {
    CHECK(render(t, term(0, true)) ==
          bold + "REF" + reset + "     " + bold + "STATE" + reset + "\n" +
          "INC-1   " + red + "down" + reset + "\n" +
          "INC-22  " + green + "up" + reset + "\n");
  }
  SUBCASE("disabled: no escape codes at all") {
    const std::string out = render(t, term(0, false));
    CHECK(out ==
          "REF     STATE\n"
          "INC-1   down\n"
          "INC-22  up\n");
    CHECK(out.find('\033') == std::string::npos);
  }
  SUBCASE("a wide terminal without colour is plain too") {
    CHECK(render(t, term(200, false)).find('\033') == std::string::npos);
  }
  SUBCASE("cells without a colour, and empty cells, get no codes") {
    Table u({{"A"}, {"B"}});
    u.add({{"x"}, {"", Color::red}});
    CHECK(render(u, term(0, true)) == bold + "A" + reset + "  " + bold + "B" + reset + "\n" + "x  \n");
  }
}

TEST_CASE("output::Table fitting the terminal width") {
  Table t({{"REF"}, {"TITLE", false, true}, {"SYSTEM"}});
  t.add({{"INC-1"}, {"Database connection pool exhausted"}, {"ERP"}});  // 5 + 34 + 6 + 4 = 49 columns
  SUBCASE("not a terminal: nothing is cut") {
    CHECK(render(t, term(0)) ==
          "REF    TITLE                               SYSTEM\n"
          "INC-1  Database connection pool exhausted  ERP\n");
  }
  SUBCASE("a terminal wide enough: nothing is cut") {
    CHECK(render(t, term(49)) == render(t, term(0)));
    CHECK(render(t, term(200)) == render(t, term(0)));
  }
  SUBCASE("a narrow terminal: the shrinkable column is cut to fit, ending in an ellipsis") {
    CHECK(render(t, term(30)) ==
          "REF    TITLE            SYSTEM\n"
          "INC-1  Database conne…  ERP\n");
    CHECK(render(t, term(48)) ==
          "REF    TITLE                              SYSTEM\n"
          "INC-1  Database connection pool exhaust…  ERP\n");
  }
  SUBCASE("never below ten columns (or its header), even if the line then wraps") {
    CHECK(render(t, term(20)) ==
          "REF    TITLE       SYSTEM\n"
          "INC-1  Database …  ERP\n");
    CHECK(render(t, term(5)) == render(t, term(20)));
  }
  SUBCASE("other columns are never cut") {
    Table u({{"REF"}, {"TITLE"}});
    u.add({{"INC-1"}, {"Database connection pool exhausted"}});
    CHECK(render(u, term(20)) ==
          "REF    TITLE\n"
          "INC-1  Database connection pool exhausted\n");
  }
  SUBCASE("CJK text is cut on character boundaries, padded to the column") {
    Table u({{"TITLE", false, true}, {"REF"}});
    u.add({{"数据库连接池耗尽告警"}, {"INC-1"}});  // 20 + 2 + 5 = 27 columns
    CHECK(render(u, term(19)) ==
          "TITLE         REF\n"
          "数据库连接…   INC-1\n");
  }
  SUBCASE("a shrinkable column with a long header keeps the header") {
    Table u({{"REF"}, {"A VERY LONG HEADER", false, true}});
    u.add({{"INC-1"}, {"a title that is longer than the header"}});
    CHECK(render(u, term(10)) ==
          "REF    A VERY LONG HEADER\n"
          "INC-1  a title that is l…\n");
  }
  SUBCASE("colour and cutting together: the codes wrap the cut text") {
    Table u({{"TITLE", false, true}});
    u.add({{"Database connection pool exhausted", Color::red}});
    CHECK(render(u, term(12, true)) == bold + "TITLE" + reset + "\n" + red + "Database co…" + reset + "\n");
  }
}

TEST_CASE("output::render_fields") {
  SUBCASE("keys aligned on the longest one") {
    std::ostringstream out;
    render_fields(out, {{"id", "b-1"}, {"target", "erp-db"}, {"status", "ok"}, {"kind", "数据库"}});
    CHECK(out.str() ==
          "id:     b-1\n"
          "target: erp-db\n"
          "status: ok\n"
          "kind:   数据库\n");
  }
  SUBCASE("no fields, no output") {
    std::ostringstream out;
    render_fields(out, {});
    CHECK(out.str().empty());
  }
  SUBCASE("empty values") {
    std::ostringstream out;
    render_fields(out, {{"a", ""}, {"bb", "-"}});
    CHECK(out.str() == "a:  \nbb: -\n");
  }
}

TEST_SUITE_END();
