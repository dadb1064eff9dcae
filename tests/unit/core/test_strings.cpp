#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

#include "core/strings.hpp"
#include "support/helpers.hpp"  // printing of optionals and lists

using namespace opsdesk::core;
using namespace std::string_literals;
using Strings = std::vector<std::string>;

TEST_SUITE_BEGIN("core");

TEST_CASE("core::trim") {
  SUBCASE("spaces, tabs, CR and LF on both ends") {
    CHECK(trim(" \t\r\nx y\n\t ") == "x y");
    CHECK(trim("abc") == "abc");
    CHECK(trim("  abc") == "abc");
    CHECK(trim("abc\r\n") == "abc");
  }
  SUBCASE("nothing but blanks is empty") {
    CHECK(trim("").empty());
    CHECK(trim("   ").empty());
    CHECK(trim("\r\n\t ").empty());
  }
  SUBCASE("inner blanks and non-ASCII text are kept") {
    CHECK(trim("  a   b  ") == "a   b");
    CHECK(trim(" 数据库 连接 ") == "数据库 连接");
    CHECK(trim("\xC2\xA0x\xC2\xA0") == "\xC2\xA0x\xC2\xA0");  // a no-break space is content
  }
}

TEST_CASE("core::split") {
  SUBCASE("plain") {
    CHECK(split("a,b,c", ',') == Strings{"a", "b", "c"});
    CHECK(split("abc", ',') == Strings{"abc"});
  }
  SUBCASE("empty parts are kept") {
    CHECK(split("", ',') == Strings{""});
    CHECK(split(",", ',') == Strings{"", ""});
    CHECK(split("a,,b,", ',') == Strings{"a", "", "b", ""});
    CHECK(split(",a", ',') == Strings{"", "a"});
  }
  SUBCASE("other separators and UTF-8 text") {
    CHECK(split("INC-2026-000042", '-') == Strings{"INC", "2026", "000042"});
    CHECK(split("甲,乙,丙", ',') == Strings{"甲", "乙", "丙"});
    CHECK(split("a\tb", '\t') == Strings{"a", "b"});
  }
}

TEST_CASE("core::join") {
  CHECK(join(Strings{}, ", ").empty());
  CHECK(join(Strings{"a"}, ", ") == "a");
  CHECK(join(Strings{"urgent", "high", "low"}, ", ") == "urgent, high, low");
  CHECK(join(Strings{"a", "", "b", ""}, ",") == "a,,b,");
  CHECK(join(Strings{"a", "b"}, "") == "ab");
  SUBCASE("join undoes split") {
    for (const std::string text : {"", ",", "a,,b,", "x", "甲,乙"}) {
      CAPTURE(text);
      CHECK(join(split(text, ','), ",") == text);
    }
  }
}

TEST_CASE("core::split_lines") {
  CHECK(split_lines("").empty());
  CHECK(split_lines("one") == Strings{"one"});
  CHECK(split_lines("one\ntwo\n") == Strings{"one", "two"});
  CHECK(split_lines("one\ntwo") == Strings{"one", "two"});
  CHECK(split_lines("\n") == Strings{""});
  CHECK(split_lines("a\n\nb\n") == Strings{"a", "", "b"});
  CHECK(split_lines("crlf\r\nkept\r\n") == Strings{"crlf\r", "kept\r"});  // only '\n' splits
}

TEST_CASE("core::to_lower") {
  CHECK(to_lower("URGENT") == "urgent");
  CHECK(to_lower("Mixed Case 123 _-") == "mixed case 123 _-");
  CHECK(to_lower("").empty());
  SUBCASE("only ASCII letters change; UTF-8 bytes pass through") {
    CHECK(to_lower("ÄÖÜ") == "ÄÖÜ");
    CHECK(to_lower("中文ABC") == "中文abc");
    CHECK(to_lower("@[`{") == "@[`{");  // the neighbours of A-Z and a-z
  }
}

TEST_CASE("core::is_valid_utf8, well-formed text") {
  for (const std::string& text : {""s, "plain ASCII"s, "数据库连接池耗尽"s, "Grüße, café"s,
                                  "\xC2\x80"s,              // U+0080, the smallest 2-byte
                                  "\xDF\xBF"s,              // U+07FF
                                  "\xE0\xA0\x80"s,          // U+0800, the smallest 3-byte
                                  "\xED\x9F\xBF"s,          // U+D7FF, just below the surrogates
                                  "\xEE\x80\x80"s,          // U+E000, just above them
                                  "\xEF\xBF\xBF"s,          // U+FFFF
                                  "\xF0\x90\x80\x80"s,      // U+10000, the smallest 4-byte
                                  "\xF0\x9F\x98\x80 ok"s,   // an emoji
                                  "\xF4\x8F\xBF\xBF"s,      // U+10FFFF, the largest
                                  "a\0b"s}) {               // NUL is valid UTF-8
    CAPTURE(text);
    CHECK(is_valid_utf8(text));
  }
}

TEST_CASE("core::is_valid_utf8, malformed text") {
  SUBCASE("overlong encodings") {
    for (const std::string& text : {"\xC0\x80"s, "\xC1\xBF"s, "\xE0\x80\x80"s, "\xE0\x9F\xBF"s, "\xF0\x80\x80\x80"s,
                                    "\xF0\x8F\xBF\xBF"s, "a\xC0\xAF"s}) {
      CAPTURE(text);
      CHECK_FALSE(is_valid_utf8(text));
    }
  }
  SUBCASE("UTF-16 surrogates") {
    for (const std::string& text : {"\xED\xA0\x80"s, "\xED\xAF\xBF"s, "\xED\xB0\x80"s, "\xED\xBF\xBF"s,
                                    "\xED\xA0\xBD\xED\xB8\x80"s}) {  // a CESU-8 pair
      CAPTURE(text);
      CHECK_FALSE(is_valid_utf8(text));
    }
  }
  SUBCASE("beyond U+10FFFF and bytes that never appear") {
    for (const std::string& text : {"\xF4\x90\x80\x80"s, "\xF5\x80\x80\x80"s, "\xF7\xBF\xBF\xBF"s,
                                    "\xF8\x88\x80\x80\x80"s, "\xFC\x84\x80\x80\x80\x80"s, "\xFE"s, "\xFF"s}) {
      CAPTURE(text);
      CHECK_FALSE(is_valid_utf8(text));
    }
  }
  SUBCASE("stray continuation bytes") {
    for (const std::string& text : {"\x80"s, "\xBF"s, "a\x80z"s, "中\xB8"s}) {
      CAPTURE(text);
      CHECK_FALSE(is_valid_utf8(text));
    }
  }
  SUBCASE("truncated sequences") {
    const std::string zhong = "中";  // E4 B8 AD
    const std::string emoji = "\xF0\x9F\x98\x80";
    for (const std::string& text : {zhong.substr(0, 1), zhong.substr(0, 2), "数据" + zhong.substr(0, 2),
                                    zhong.substr(0, 2) + "a", emoji.substr(0, 3), emoji.substr(0, 3) + "xyz",
                                    "\xC2"s, "\xC2 "s, "\xC2\x41"s, "\xE4\xB8\xC0"s}) {
      CAPTURE(text);
      CHECK_FALSE(is_valid_utf8(text));
    }
  }
  SUBCASE("Latin-1 or GBK bytes passed off as UTF-8") {
    CHECK_FALSE(is_valid_utf8("caf\xE9"));           // café in Latin-1
    CHECK_FALSE(is_valid_utf8("\xCA\xFD\xBE\xDD"));  // 数据 in GBK
  }
}

TEST_CASE("core::edit_distance") {
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("abc", "") == 3);
  CHECK(edit_distance("", "abc") == 3);
  CHECK(edit_distance("same", "same") == 0);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("flaw", "lawn") == 2);
  CHECK(edit_distance("urgnet", "urgent") == 1);  // swapped neighbours count one
  CHECK(edit_distance("nmae", "name") == 1);
  CHECK(edit_distance("ab", "ba") == 1);
  CHECK(edit_distance("colour", "color") == 1);
  SUBCASE("symmetric") {
    using Pair = std::pair<std::string, std::string>;
    for (const auto& p : {Pair{"incident", "incidnet"}, Pair{"", "x"}, Pair{"abc", "yabd"}}) {
      CAPTURE(p.first);
      CAPTURE(p.second);
      CHECK(edit_distance(p.first, p.second) == edit_distance(p.second, p.first));
    }
  }
}

TEST_CASE("core::closest_match") {
  const Strings priorities = {"urgent", "high", "medium", "low"};
  SUBCASE("a likely typo finds its word") {
    CHECK(closest_match("urgnet", priorities) == "urgent");
    CHECK(closest_match("hgh", priorities) == "high");
    CHECK(closest_match("lwo", priorities) == "low");  // two letters swapped
    CHECK(closest_match("lw", priorities) == "low");
    CHECK(closest_match("meduim", priorities) == "medium");
  }
  SUBCASE("case does not count") {
    CHECK(closest_match("URGENT", priorities) == "urgent");
    CHECK(closest_match("High", priorities) == "high");
  }
  SUBCASE("a prefix finds the word it starts") {
    CHECK(closest_match("med", priorities) == "medium");
    CHECK(closest_match("urg", priorities) == "urgent");
    // even when a shorter word is fewer edits away ("new" is 3 edits from "ack")
    const Strings statuses = {"new", "acknowledged", "in_progress", "pending", "resolved", "closed"};
    CHECK(closest_match("ack", statuses) == "acknowledged");
  }
  SUBCASE("spaces around the value do not loosen the typo limit") {
    CHECK(closest_match("  xyz  ", priorities) == std::nullopt);
    CHECK(closest_match(" hgh ", priorities) == "high");
  }
  SUBCASE("something else finds nothing") {
    CHECK(closest_match("critical", priorities) == std::nullopt);
    CHECK(closest_match("p1", priorities) == std::nullopt);
    CHECK(closest_match("紧急", priorities) == std::nullopt);
    CHECK(closest_match("urgent", Strings{}) == std::nullopt);
  }
  SUBCASE("an empty value suggests nothing") {
    // `default_priority = ""` should not be answered with "did you mean low?"
    CHECK(closest_match("", priorities) == std::nullopt);
  }
}

TEST_CASE("core::parse_int, accepted forms") {
  CHECK(parse_int("0") == 0);
  CHECK(parse_int("42") == 42);
  CHECK(parse_int("-7") == -7);
  CHECK(parse_int("+7") == 7);
  CHECK(parse_int("000042") == 42);
  CHECK(parse_int("9223372036854775807") == std::numeric_limits<long long>::max());
  CHECK(parse_int("-9223372036854775808") == std::numeric_limits<long long>::min());
}

TEST_CASE("core::parse_int, junk and overflow") {
  for (const char* bad : {"", "+", "-", " 5", "5 ", "5x", "x5", "1.0", "1e3", "0x10", "1_000", "1,000",
                          "9223372036854775808", "-9223372036854775809", "99999999999999999999", "++5", "--5",
                          "+-5", "-+5", "\xEF\xBC\x91"}) {  // the last is a full-width 1
    const std::string text = bad;
    CAPTURE(text);
    CHECK(parse_int(text) == std::nullopt);
  }
}

TEST_CASE("core::format_count") {
  CHECK(format_count(0) == "0");
  CHECK(format_count(999) == "999");
  CHECK(format_count(1000) == "1,000");
  CHECK(format_count(1234567) == "1,234,567");
  CHECK(format_count(18446744073709551615ULL) == "18,446,744,073,709,551,615");
}

TEST_CASE("core::format_bytes") {
  CHECK(format_bytes(512) == "512 B");
  CHECK(format_bytes(1536) == "1.5 KiB");
  CHECK(format_bytes(3.0 * 1024 * 1024 * 1024) == "3.0 GiB");
}

TEST_SUITE_END();
