#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::core;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::thrown;
using Record = std::vector<std::string>;

TEST_SUITE_BEGIN("core");

namespace {

// Every record of `text`, with the line each one started on.
std::vector<std::pair<std::size_t, Record>> read_all(std::string_view text, char separator = ',') {
  CsvReader reader(text, separator);
  std::vector<std::pair<std::size_t, Record>> out;
  while (auto r = reader.next()) out.emplace_back(reader.line(), *r);
  return out;
}

}  // namespace

TEST_CASE("core::csv_field, quoting") {
  SUBCASE("plain text stays as it is") {
    CHECK(csv_field("plain") == "plain");
    CHECK(csv_field("").empty());
    CHECK(csv_field("two words") == "two words");
    CHECK(csv_field("数据库，全角逗号") == "数据库，全角逗号");  // a full-width comma is not a separator
  }
  SUBCASE("the separator") {
    CHECK(csv_field("a,b") == "\"a,b\"");
    CHECK(csv_field(",") == "\",\"");
  }
  SUBCASE("quotes are doubled") {
    CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
    CHECK(csv_field("\"") == "\"\"\"\"");
    CHECK(csv_field("12\" monitor") == "\"12\"\" monitor\"");
  }
  SUBCASE("line breaks") {
    CHECK(csv_field("line1\nline2") == "\"line1\nline2\"");
    CHECK(csv_field("a\r\nb") == "\"a\r\nb\"");
    CHECK(csv_field("\r") == "\"\r\"");
  }
  SUBCASE("leading or trailing spaces survive a spreadsheet") {
    CHECK(csv_field(" lead") == "\" lead\"");
    CHECK(csv_field("trail ") == "\"trail \"");
    CHECK(csv_field(" ") == "\" \"");
  }
  SUBCASE("another separator") {
    CHECK(csv_field("a\tb", '\t') == "\"a\tb\"");
    CHECK(csv_field("a,b", '\t') == "a,b");
    CHECK(csv_field("a;b", ';') == "\"a;b\"");
  }
}

TEST_CASE("core::csv_record") {
  CHECK(csv_record({"a", "b", "c"}) == "a,b,c\n");
  CHECK(csv_record({"a", "b,c", ""}) == "a,\"b,c\",\n");
  CHECK(csv_record({"", ""}) == ",\n");
  CHECK(csv_record({"x \"y\"", "多行\n文本"}) == "\"x \"\"y\"\"\",\"多行\n文本\"\n");
  CHECK(csv_record({"a", "b\tc"}, '\t') == "a\t\"b\tc\"\n");
}

TEST_CASE("core::CsvReader, records and line numbers") {
  SUBCASE("one record per line") {
    const auto all = read_all("ref,title\nINC-1,disk full\nINC-2,erp down\n");
    REQUIRE(all.size() == 3);
    CHECK(all[0] == std::pair<std::size_t, Record>{1, {"ref", "title"}});
    CHECK(all[1] == std::pair<std::size_t, Record>{2, {"INC-1", "disk full"}});
    CHECK(all[2] == std::pair<std::size_t, Record>{3, {"INC-2", "erp down"}});
  }
  SUBCASE("no newline at the end") {
    const auto all = read_all("a,b\nc,d");
    REQUIRE(all.size() == 2);
    CHECK(all[1].second == Record{"c", "d"});
  }
  SUBCASE("empty fields") {
    const auto all = read_all("a,,c\n,\na,\n,b\n");
    REQUIRE(all.size() == 4);
    CHECK(all[0].second == Record{"a", "", "c"});
    CHECK(all[1].second == Record{"", ""});
    CHECK(all[2].second == Record{"a", ""});
    CHECK(all[3].second == Record{"", "b"});
  }
  SUBCASE("spaces are content") {
    const auto all = read_all("  a , b \n");
    REQUIRE(all.size() == 1);
    CHECK(all[0].second == Record{"  a ", " b "});
  }
  SUBCASE("nothing to read") {
    CHECK(read_all("").empty());
    CHECK(read_all("\n\n\r\n").empty());
    CHECK(read_all("\xEF\xBB\xBF").empty());
  }
}

TEST_CASE("core::CsvReader, quoted fields") {
  SUBCASE("separators and doubled quotes inside quotes") {
    const auto all = read_all("\"a,b\",\"say \"\"hi\"\"\",\"\"\n");
    REQUIRE(all.size() == 1);
    CHECK(all[0].second == Record{"a,b", "say \"hi\"", ""});
  }
  SUBCASE("embedded newlines; the next record's line counts them") {
    const auto all = read_all("id,text\n1,\"line one\nline two\nline three\"\n2,after\n");
    REQUIRE(all.size() == 3);
    CHECK(all[1] == std::pair<std::size_t, Record>{2, {"1", "line one\nline two\nline three"}});
    CHECK(all[2] == std::pair<std::size_t, Record>{5, {"2", "after"}});
  }
  SUBCASE("CRLF inside quotes is kept as it is") {
    const auto all = read_all("\"x\r\ny\",z\r\nnext\r\n");
    REQUIRE(all.size() == 2);
    CHECK(all[0].second == Record{"x\r\ny", "z"});
    CHECK(all[1] == std::pair<std::size_t, Record>{3, {"next"}});
  }
  SUBCASE("a quote inside an unquoted field is a character") {
    const auto all = read_all("12\" monitor,x\n");
    REQUIRE(all.size() == 1);
    CHECK(all[0].second == Record{"12\" monitor", "x"});
  }
}

TEST_CASE("core::CsvReader, what spreadsheets write") {
  SUBCASE("CRLF line ends") {
    const auto all = read_all("a,b\r\nc,d\r\n");
    REQUIRE(all.size() == 2);
    CHECK(all[0] == std::pair<std::size_t, Record>{1, {"a", "b"}});
    CHECK(all[1] == std::pair<std::size_t, Record>{2, {"c", "d"}});
  }
  SUBCASE("a byte order mark is not part of the first field") {
    const auto all = read_all("\xEF\xBB\xBFref,title\r\nINC-1,x\r\n");
    REQUIRE(all.size() == 2);
    CHECK(all[0].second == Record{"ref", "title"});
    CHECK(all[0].first == 1);
  }
  SUBCASE("a BOM in the middle is content") {
    const auto all = read_all("a\n\xEF\xBB\xBF" "b\n");
    REQUIRE(all.size() == 2);
    CHECK(all[1].second == Record{"\xEF\xBB\xBF" "b"});
  }
  SUBCASE("blank lines are skipped but counted") {
    const auto all = read_all("a\n\n\nb\n\r\n\r\nc\n");
    REQUIRE(all.size() == 3);
    CHECK(all[0].first == 1);
    CHECK(all[1].first == 4);
    CHECK(all[2].first == 7);
  }
  SUBCASE("tab-separated") {
    const auto all = read_all("a\tb,c\n", '\t');
    REQUIRE(all.size() == 1);
    CHECK(all[0].second == Record{"a", "b,c"});
  }
}

TEST_CASE("core::CsvReader, unterminated quote") {
  SUBCASE("in the first record") {
    CsvReader reader("a,\"never closed\nmore text\n");
    const auto e = thrown([&] { reader.next(); });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), "line 1"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "unterminated"), std::string(e.what()));
  }
  SUBCASE("after good records, naming the line where it starts") {
    CsvReader reader("ok,1\n\"two\nlines\",2\nbad,\"open\n");
    REQUIRE(reader.next());
    REQUIRE(reader.next());
    CHECK(reader.line() == 2);
    const auto e = thrown([&] { reader.next(); });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), "line 4"), std::string(e.what()));
  }
  SUBCASE("a lone quote") {
    CsvReader reader("\"");
    CHECK(kind(thrown([&] { reader.next(); })) == "data");
  }
}

TEST_CASE("core::csv_record, read back by CsvReader") {
  const std::vector<Record> records = {
      {"ref", "title", "description", "empty", "last"},
      {"INC-2026-000001", "数据库连接池耗尽", "line1\nline2\r\nline3", "", "plain"},
      {" leading", "trailing ", "a,b,c", "\"", "say \"hi\", then\nleave"},
      {"", "", "", "", ""},
      {"\r", "\n", ",", "\"\"", "🙂"},
  };
  for (const char separator : {',', '\t'}) {
    CAPTURE(separator);
    std::string text;
    for (const auto& r : records) text += csv_record(r, separator);
    CsvReader reader(text, separator);
    for (const auto& expected : records) {
      const auto got = reader.next();
      REQUIRE(got);
      CHECK(*got == expected);
    }
    CHECK_FALSE(reader.next());
  }
}

TEST_SUITE_END();
