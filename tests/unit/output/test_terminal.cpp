#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <optional>
#include <string>

#include "output/terminal.hpp"
#include "support/helpers.hpp"

using namespace opsdesk::output;
using namespace std::string_literals;
using opsdesk::test::EnvGuard;

TEST_SUITE_BEGIN("output");

namespace {

// Points stdin, stdout and stderr at `fd` for the guard's lifetime, so that Terminal::detect
// sees the same thing whether the tests run on a terminal or under ctest. Nothing may be
// reported (CHECK) while it is in place: doctest writes to stdout.
class StdFds {
 public:
  explicit StdFds(int fd) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    for (int i = 0; i < 3; ++i) {
      m_saved[i] = ::dup(i);
      ::dup2(fd, i);
    }
  }
  ~StdFds() {
    std::fflush(nullptr);
    for (int i = 0; i < 3; ++i) {
      ::dup2(m_saved[i], i);
      ::close(m_saved[i]);
    }
  }
  StdFds(const StdFds&) = delete;
  StdFds& operator=(const StdFds&) = delete;

 private:
  int m_saved[3] = {-1, -1, -1};
};

// A pseudo-terminal `columns` wide; `slave` is what a program would see as its terminal.
struct Pty {
  explicit Pty(unsigned short columns) {
    master = ::posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) return;
    const char* name = ::ptsname(master);
    if (!name) return;
    slave = ::open(name, O_RDWR | O_NOCTTY);
    if (slave < 0) return;
    winsize ws{};
    ws.ws_row = 24;
    ws.ws_col = columns;
    ::ioctl(slave, TIOCSWINSZ, &ws);
  }
  ~Pty() {
    if (slave >= 0) ::close(slave);
    if (master >= 0) ::close(master);
  }
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  bool ok() const { return slave >= 0; }
  int master = -1;
  int slave = -1;
};

Terminal detect_on(int fd, bool force = false, bool never = false) {
  const StdFds guard(fd);
  return Terminal::detect(force, never);
}

// Not a terminal: /dev/null.
Terminal detect_on_null(bool force = false, bool never = false) {
  const int fd = ::open("/dev/null", O_RDWR);
  REQUIRE(fd >= 0);
  const Terminal t = detect_on(fd, force, never);
  ::close(fd);
  return t;
}

}  // namespace

TEST_CASE("output::display_width") {
  SUBCASE("ASCII: one column a character") {
    CHECK(display_width("") == 0);
    CHECK(display_width("a") == 1);
    CHECK(display_width("INC-2026-000042") == 15);
    CHECK(display_width("two words") == 9);
  }
  SUBCASE("CJK, Hangul, kana and full-width forms: two columns") {
    CHECK(display_width("数据库") == 6);
    CHECK(display_width("a数b") == 4);
    CHECK(display_width("한국어") == 6);
    CHECK(display_width("ひらがなカタカナ") == 16);
    CHECK(display_width("Ａ１") == 4);       // full-width Latin and digits
    CHECK(display_width("。，") == 4);       // CJK and full-width punctuation
    CHECK(display_width("𠀀") == 2);         // CJK extension B, four bytes
    CHECK(display_width("\xF0\x9F\x98\x80") == 2);  // 😀
  }
  SUBCASE("other non-ASCII letters and symbols: one column, whatever their byte length") {
    CHECK(display_width("é") == 1);
    CHECK(display_width("Müller") == 6);
    CHECK(display_width("…") == 1);
    CHECK(display_width("—") == 1);
    CHECK(display_width("ｱ") == 1);  // half-width katakana
  }
  SUBCASE("combining marks, zero-width spaces and variation selectors: none") {
    CHECK(display_width("e\xCC\x81") == 1);          // e + U+0301
    CHECK(display_width("a\xCC\x81\xCC\xA7") == 1);  // two marks on one letter
    CHECK(display_width("a\xE2\x80\x8B" "b") == 2);  // U+200B between
    CHECK(display_width("\xE2\x9D\xA4\xEF\xB8\x8F") == 1);  // ❤ + U+FE0F
  }
  SUBCASE("control characters: none") {
    CHECK(display_width("\t\r\n") == 0);
    CHECK(display_width("\x1b[31m") == 4);  // ESC takes nothing; "[31m" is text
    CHECK(display_width("a\x7f" "b") == 2);
    CHECK(display_width("a\0b"s) == 2);
  }
  SUBCASE("invalid UTF-8: one column a bad byte") {
    CHECK(display_width("\xff") == 1);
    CHECK(display_width("a\xff" "b") == 3);
    CHECK(display_width("\xe6\x95") == 2);  // a cut-off 数
    CHECK(display_width("\x80\x80" "x") == 3);
  }
}

TEST_CASE("output::truncate_to_width") {
  SUBCASE("text that fits is unchanged") {
    CHECK(truncate_to_width("abc", 3) == "abc");
    CHECK(truncate_to_width("abc", 10) == "abc");
    CHECK(truncate_to_width("", 0).empty());
    CHECK(truncate_to_width("数据库", 6) == "数据库");
  }
  SUBCASE("cut text ends in an ellipsis and fills the width") {
    CHECK(truncate_to_width("abcdef", 4) == "abc…");
    CHECK(truncate_to_width("abcdef", 5) == "abcd…");
    CHECK(truncate_to_width("abcdef", 2) == "a…");
    CHECK(truncate_to_width("abcdef", 1) == "…");
    CHECK(truncate_to_width("abcdef", 0).empty());
  }
  SUBCASE("CJK is cut between characters, one column short when a wide one does not fit") {
    CHECK(truncate_to_width("数据库连接", 5) == "数据…");
    CHECK(truncate_to_width("数据库连接", 4) == "数…");
    CHECK(truncate_to_width("数据库连接", 2) == "…");
    CHECK(truncate_to_width("a数据库", 4) == "a数…");
    for (std::size_t w = 0; w <= 12; ++w) {
      CAPTURE(w);
      CHECK(display_width(truncate_to_width("数据库连接池", w)) <= w);
      CHECK(display_width(truncate_to_width("数据库连接池", w)) + 1 >= std::min<std::size_t>(w, 12));
    }
  }
  SUBCASE("combining marks stay with their letter") {
    CHECK(truncate_to_width("e\xCC\x81" "e\xCC\x81" "e\xCC\x81", 2) == "e\xCC\x81…");
    CHECK(truncate_to_width("e\xCC\x81" "e\xCC\x81" "e\xCC\x81", 3) == "e\xCC\x81" "e\xCC\x81" "e\xCC\x81");
  }
}

TEST_CASE("output::paint") {
  SUBCASE("disabled: the text as it is") {
    for (const auto c : {Color::none, Color::red, Color::yellow, Color::green, Color::blue, Color::magenta, Color::cyan,
                         Color::gray, Color::bold}) {
      CHECK(paint("down", c, false) == "down");
    }
  }
  SUBCASE("enabled: the colour's code, the text, a reset") {
    CHECK(paint("down", Color::red, true) == "\033[31mdown\033[0m");
    CHECK(paint("warn", Color::yellow, true) == "\033[33mwarn\033[0m");
    CHECK(paint("up", Color::green, true) == "\033[32mup\033[0m");
    CHECK(paint("x", Color::blue, true) == "\033[34mx\033[0m");
    CHECK(paint("x", Color::magenta, true) == "\033[35mx\033[0m");
    CHECK(paint("x", Color::cyan, true) == "\033[36mx\033[0m");
    CHECK(paint("x", Color::gray, true) == "\033[90mx\033[0m");
    CHECK(paint("REF", Color::bold, true) == "\033[1mREF\033[0m");
    CHECK(paint("数据库", Color::red, true) == "\033[31m数据库\033[0m");
  }
  SUBCASE("no colour, or no text: no codes") {
    CHECK(paint("plain", Color::none, true) == "plain");
    CHECK(paint("", Color::red, true).empty());
  }
}

TEST_CASE("output::Terminal::detect not on a terminal") {
  const EnvGuard no_color("NO_COLOR", std::nullopt);
  const EnvGuard term("TERM", "xterm-256color");
  const EnvGuard columns("COLUMNS", "120");
  SUBCASE("no colour, no width, COLUMNS ignored") {
    const Terminal t = detect_on_null();
    CHECK_FALSE(t.stdout_tty);
    CHECK_FALSE(t.stderr_tty);
    CHECK_FALSE(t.stdin_tty);
    CHECK_FALSE(t.color);
    CHECK(t.width == 0);
  }
  SUBCASE("force turns colour on anyway") {
    const Terminal t = detect_on_null(true, false);
    CHECK(t.color);
    CHECK(t.width == 0);
  }
  SUBCASE("force even with NO_COLOR and TERM=dumb (an explicit --color wins)") {
    const EnvGuard nc("NO_COLOR", "1");
    const EnvGuard dumb("TERM", "dumb");
    CHECK(detect_on_null(true, false).color);
  }
  SUBCASE("never wins over force") { CHECK_FALSE(detect_on_null(true, true).color); }
}

TEST_CASE("output::Terminal::detect on a terminal") {
  Pty pty(100);
  if (!pty.ok()) {
    MESSAGE("no pseudo-terminal available; skipped");
    return;
  }
  const EnvGuard no_color("NO_COLOR", std::nullopt);
  const EnvGuard term("TERM", "xterm-256color");
  const EnvGuard columns("COLUMNS", std::nullopt);
  SUBCASE("colour and the terminal's width") {
    const Terminal t = detect_on(pty.slave);
    CHECK(t.stdout_tty);
    CHECK(t.stderr_tty);
    CHECK(t.stdin_tty);
    CHECK(t.color);
    CHECK(t.width == 100);
  }
  SUBCASE("no TERM at all still has colour") {
    const EnvGuard unset("TERM", std::nullopt);
    CHECK(detect_on(pty.slave).color);
  }
  SUBCASE("NO_COLOR with a value turns colour off; the width stays") {
    const EnvGuard nc("NO_COLOR", "1");
    const Terminal t = detect_on(pty.slave);
    CHECK_FALSE(t.color);
    CHECK(t.width == 100);
  }
  SUBCASE("an empty NO_COLOR is ignored") {
    const EnvGuard nc("NO_COLOR", "");
    CHECK(detect_on(pty.slave).color);
  }
  SUBCASE("TERM=dumb turns colour off, unless forced") {
    const EnvGuard dumb("TERM", "dumb");
    CHECK_FALSE(detect_on(pty.slave).color);
    CHECK(detect_on(pty.slave, true, false).color);
  }
  SUBCASE("never turns colour off") { CHECK_FALSE(detect_on(pty.slave, false, true).color); }
  SUBCASE("COLUMNS overrides the width when it is a positive number") {
    {
      const EnvGuard c("COLUMNS", "132");
      CHECK(detect_on(pty.slave).width == 132);
    }
    {
      const EnvGuard c("COLUMNS", "wide");
      CHECK(detect_on(pty.slave).width == 100);
    }
    {
      const EnvGuard c("COLUMNS", "0");
      CHECK(detect_on(pty.slave).width == 100);
    }
    {
      const EnvGuard c("COLUMNS", "-5");
      CHECK(detect_on(pty.slave).width == 100);
    }
  }
  SUBCASE("a terminal that does not say its width counts as 80 columns") {
    Pty narrow(0);
    REQUIRE(narrow.ok());
    CHECK(detect_on(narrow.slave).width == 80);
  }
}

TEST_SUITE_END();
