#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "output/json.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::output;
using namespace std::string_literals;
using opsdesk::test::kind;
using opsdesk::test::thrown;
using Strings = std::vector<std::string>;

TEST_SUITE_BEGIN("output");

namespace {

std::string pretty(const Json& value) {
  std::ostringstream out;
  write_json(out, value);
  return out.str();
}

// A ticket-like record, keys in a fixed order (ordered_json keeps insertion order).
Json ticket() {
  Json t = Json::object();
  t["ref"] = "INC-2026-000042";
  t["title"] = "Disk full";
  t["status"] = "new";
  return t;
}

}  // namespace

TEST_CASE("output::write_json") {
  SUBCASE("pretty-printed with two spaces, keys in insertion order, a final newline") {
    Json j = Json::object();
    j["ref"] = "INC-1";
    j["minutes"] = 42;
    j["ratio"] = 1.5;
    j["open"] = true;
    j["assignee"] = nullptr;
    j["tags"] = Json::array({"db", "erp"});
    CHECK(pretty(j) ==
          "{\n"
          "  \"ref\": \"INC-1\",\n"
          "  \"minutes\": 42,\n"
          "  \"ratio\": 1.5,\n"
          "  \"open\": true,\n"
          "  \"assignee\": null,\n"
          "  \"tags\": [\n"
          "    \"db\",\n"
          "    \"erp\"\n"
          "  ]\n"
          "}\n");
  }
  SUBCASE("empty containers and scalars") {
    CHECK(pretty(Json::array()) == "[]\n");
    CHECK(pretty(Json::object()) == "{}\n");
    CHECK(pretty(Json::object({{"tickets", Json::array()}})) == "{\n  \"tickets\": []\n}\n");
    CHECK(pretty(Json()) == "null\n");
    CHECK(pretty(Json(-7)) == "-7\n");
    CHECK(pretty(Json(9007199254740993LL)) == "9007199254740993\n");  // not rounded through a double
  }
  SUBCASE("CJK and other non-ASCII text is written as UTF-8, not \\u-escaped") {
    CHECK(pretty(Json("数据库连接池耗尽")) == "\"数据库连接池耗尽\"\n");
    CHECK(pretty(Json::object({{"标题", "磁盘满 — é"}})) == "{\n  \"标题\": \"磁盘满 — é\"\n}\n");
  }
  SUBCASE("control characters, quotes and backslashes are escaped") {
    CHECK(pretty(Json("a\"b\\c")) == "\"a\\\"b\\\\c\"\n");
    CHECK(pretty(Json("line1\nline2\ttab\r")) == "\"line1\\nline2\\ttab\\r\"\n");
    CHECK(pretty(Json("\x01\x1f"s)) == "\"\\u0001\\u001f\"\n");
    CHECK(pretty(Json("nul\0byte"s)) == "\"nul\\u0000byte\"\n");
  }
  SUBCASE("invalid UTF-8 is replaced by U+FFFD, never fatal") {
    CHECK(pretty(Json("bad\xff" "byte")) == "\"bad\xEF\xBF\xBD" "byte\"\n");
    CHECK(pretty(Json::array({"\xe6\x95"})) == "[\n  \"\xEF\xBF\xBD\"\n]\n");  // a cut-off 数
  }
}

TEST_CASE("output::dump_compact and write_jsonl") {
  Json j = Json::object();
  j["ref"] = "INC-1";
  j["tags"] = Json::array({"a", "b"});
  j["sla"] = Json::object({{"due", nullptr}, {"met", false}});
  SUBCASE("one line without spaces") {
    CHECK(dump_compact(j) == R"({"ref":"INC-1","tags":["a","b"],"sla":{"due":null,"met":false}})");
    CHECK(dump_compact(Json::array()) == "[]");
    CHECK(dump_compact(Json::object()) == "{}");
    CHECK(dump_compact(Json("数据库")) == "\"数据库\"");
  }
  SUBCASE("newlines inside strings are escaped, so a record stays on one line") {
    CHECK(dump_compact(Json("a\nb")) == "\"a\\nb\"");
  }
  SUBCASE("invalid UTF-8 is replaced") { CHECK(dump_compact(Json("x\xc3")) == "\"x\xEF\xBF\xBD\""); }
  SUBCASE("write_jsonl writes one compact record per line") {
    std::ostringstream out;
    write_jsonl(out, j);
    write_jsonl(out, Json::object({{"ref", "INC-2"}, {"note", "two\nlines"}}));
    CHECK(out.str() == R"({"ref":"INC-1","tags":["a","b"],"sla":{"due":null,"met":false}})"
                       "\n"
                       R"({"ref":"INC-2","note":"two\nlines"})"
                       "\n");
  }
}

TEST_CASE("output::field_names") {
  CHECK(field_names(ticket()) == Strings{"ref", "title", "status"});
  CHECK(field_names(Json::object()).empty());
  CHECK(field_names(Json::array({ticket()})).empty());  // not an object
  CHECK(field_names(Json("ref")).empty());
  CHECK(field_names(Json()).empty());
}

TEST_CASE("output::select_fields") {
  SUBCASE("no fields keeps everything") {
    CHECK(select_fields(ticket(), {}) == ticket());
    CHECK(select_fields(Json::array({ticket(), ticket()}), {}) == Json::array({ticket(), ticket()}));
    CHECK(select_fields(Json(3), {}) == Json(3));
  }
  SUBCASE("an object keeps only the named fields, in the order named") {
    const Json got = select_fields(ticket(), {"status", "ref"});
    CHECK(dump_compact(got) == R"({"status":"new","ref":"INC-2026-000042"})");
    CHECK(dump_compact(select_fields(ticket(), {"title"})) == R"({"title":"Disk full"})");
  }
  SUBCASE("null values are kept as null") {
    const Json j = Json::object({{"ref", "INC-1"}, {"assignee", nullptr}});
    CHECK(dump_compact(select_fields(j, {"assignee"})) == R"({"assignee":null})");
  }
  SUBCASE("each object of an array") {
    Json second = ticket();
    second["ref"] = "REQ-2026-000001";
    second["status"] = "closed";
    const Json got = select_fields(Json::array({ticket(), second}), {"ref", "status"});
    CHECK(dump_compact(got) == R"([{"ref":"INC-2026-000042","status":"new"},{"ref":"REQ-2026-000001","status":"closed"}])");
  }
  SUBCASE("an empty array stays empty and is not an error, even for an unknown field") {
    CHECK(select_fields(Json::array(), {"ref"}) == Json::array());
    CHECK(select_fields(Json::array(), {"nonsense"}) == Json::array());
  }
  SUBCASE("non-objects in an array and scalars are passed through") {
    CHECK(dump_compact(select_fields(Json::array({1, "x", nullptr}), {"ref"})) == R"([1,"x",null])");
    CHECK(select_fields(Json("text"), {"ref"}) == Json("text"));
  }
  SUBCASE("an unknown field is a usage error naming the available ones") {
    const auto e = thrown([] { select_fields(ticket(), {"ref", "owner"}); });
    CHECK(kind(e) == "usage");
    CHECK(std::string(e.what()) == "unknown field \"owner\" for --json; available: ref, title, status");
  }
  SUBCASE("a near miss gets a suggestion") {
    const auto e = thrown([] { select_fields(ticket(), {"titel"}); });
    CHECK(kind(e) == "usage");
    CHECK(std::string(e.what()) ==
          "unknown field \"titel\" for --json; available: ref, title, status (did you mean title?)");
    const auto prefix = thrown([] { select_fields(ticket(), {"stat"}); });
    CHECK(std::string(prefix.what()) ==
          "unknown field \"stat\" for --json; available: ref, title, status (did you mean status?)");
  }
  SUBCASE("an unknown field in an array's objects is an error too") {
    const auto e = thrown([] { select_fields(Json::array({ticket()}), {"titel"}); });
    CHECK(kind(e) == "usage");
    CHECK(std::string(e.what()) ==
          "unknown field \"titel\" for --json; available: ref, title, status (did you mean title?)");
  }
  SUBCASE("CJK values survive selection") {
    Json j = ticket();
    j["title"] = "数据库连接池耗尽";
    CHECK(dump_compact(select_fields(j, {"title"})) == R"({"title":"数据库连接池耗尽"})");
  }
}

TEST_CASE("output::check_fields") {
  SUBCASE("known fields and no fields pass") {
    CHECK_NOTHROW(check_fields(ticket(), {}));
    CHECK_NOTHROW(check_fields(ticket(), {"ref"}));
    CHECK_NOTHROW(check_fields(ticket(), {"status", "title", "ref"}));
  }
  SUBCASE("the first unknown field is named, with the available ones") {
    const auto e = thrown([] { check_fields(ticket(), {"ref", "sytem", "zzz"}); });
    CHECK(kind(e) == "usage");
    CHECK(std::string(e.what()) == "unknown field \"sytem\" for --json; available: ref, title, status");
  }
  SUBCASE("field names are case-sensitive; the suggestion shows the right spelling") {
    const auto e = thrown([] { check_fields(ticket(), {"REF"}); });
    CHECK(std::string(e.what()) == "unknown field \"REF\" for --json; available: ref, title, status (did you mean ref?)");
  }
  SUBCASE("a sample without fields leaves nothing to choose from") {
    const auto e = thrown([] { check_fields(Json::object(), {"ref"}); });
    CHECK(kind(e) == "usage");
    CHECK(std::string(e.what()) == "unknown field \"ref\" for --json; available: ");
  }
}

TEST_CASE("output::delimited_header") {
  CHECK(delimited_header({"ref", "title", "status"}, ',') == "ref,title,status\n");
  CHECK(delimited_header({"ref", "title", "status"}, '\t') == "ref\ttitle\tstatus\n");
  CHECK(delimited_header({"a,b", "say \"x\""}, ',') == "\"a,b\",\"say \"\"x\"\"\"\n");
  CHECK(delimited_header({"a,b"}, '\t') == "a,b\n");
  CHECK(delimited_header({"标题"}, ',') == "标题\n");
  CHECK(delimited_header({}, ',') == "\n");
}

TEST_CASE("output::delimited_row") {
  Json row = Json::object();
  row["ref"] = "INC-1";
  row["title"] = "Disk full, again";
  row["note"] = "say \"hi\"";
  row["body"] = "line1\nline2";
  row["minutes"] = 42;
  row["ratio"] = 1.5;
  row["open"] = true;
  row["assignee"] = nullptr;
  row["tags"] = Json::array({"a", "b"});
  row["sla"] = Json::object({{"met", false}});
  row["system"] = "数据库";

  SUBCASE("CSV: strings as they are, quoted when they hold a comma, quote or newline") {
    CHECK(delimited_row(row, {"ref", "title", "note", "body"}, ',') ==
          "INC-1,\"Disk full, again\",\"say \"\"hi\"\"\",\"line1\nline2\"\n");
  }
  SUBCASE("numbers and booleans as JSON, null and missing keys as empty") {
    CHECK(delimited_row(row, {"minutes", "ratio", "open", "assignee", "no_such_key", "ref"}, ',') ==
          "42,1.5,true,,,INC-1\n");
  }
  SUBCASE("nested values as compact JSON, quoted") {
    CHECK(delimited_row(row, {"tags", "sla"}, ',') == "\"[\"\"a\"\",\"\"b\"\"]\",\"{\"\"met\"\":false}\"\n");
  }
  SUBCASE("keys decide the columns and their order") {
    CHECK(delimited_row(row, {"system", "ref"}, ',') == "数据库,INC-1\n");
    CHECK(delimited_row(row, {}, ',') == "\n");
    CHECK(delimited_row(Json::object(), {"a", "b", "c"}, ',') == ",,\n");
  }
  SUBCASE("TSV: commas are plain, tabs and quotes are quoted") {
    Json t = Json::object({{"a", "x, y"}, {"b", "tab\there"}, {"c", "q\"q"}, {"d", "plain"}});
    CHECK(delimited_row(t, {"a", "b", "c", "d"}, '\t') == "x, y\t\"tab\there\"\t\"q\"\"q\"\tplain\n");
  }
  SUBCASE("CR, and blanks at either end, are quoted") {
    Json t = Json::object({{"a", "one\r\ntwo"}, {"b", " lead"}, {"c", "trail "}, {"d", "in side"}});
    CHECK(delimited_row(t, {"a", "b", "c", "d"}, ',') == "\"one\r\ntwo\",\" lead\",\"trail \",in side\n");
  }
  SUBCASE("what is written reads back as the same strings") {
    const Strings keys = {"ref", "title", "note", "body", "assignee", "system"};
    const std::string csv = delimited_header(keys, ',') + delimited_row(row, keys, ',');
    core::CsvReader reader(csv);
    CHECK(reader.next() == std::optional<Strings>(keys));
    CHECK(reader.next() ==
          std::optional<Strings>(Strings{"INC-1", "Disk full, again", "say \"hi\"", "line1\nline2", "", "数据库"}));
    CHECK(reader.next() == std::nullopt);
  }
}

TEST_SUITE_END();
