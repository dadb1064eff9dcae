#include "output/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace opsdesk::output {

namespace {

// Decode one UTF-8 code point at `i`; invalid bytes decode as U+FFFD of length 1.
char32_t decode(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
  if (len == 0 || i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3Fu);
  }
  i += len;
  return cp;
}

int width_of(char32_t cp) {
  if (cp == 0) return 0;
  if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) return 0;
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F)) return 0;
  const bool wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
                    (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
                    (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
                    (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
                    (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD);
  return wide ? 2 : 1;
}

const char* code(Color c) {
  switch (c) {
    case Color::red: return "\033[31m";
    case Color::yellow: return "\033[33m";
    case Color::green: return "\033[32m";
    case Color::blue: return "\033[34m";
    case Color::magenta: return "\033[35m";
    case Color::cyan: return "\033[36m";
    case Color::gray: return "\033[90m";
    case Color::bold: return "\033[1m";
    case Color::none: break;
  }
  return "";
}

}  // namespace

Terminal Terminal::detect(bool force, bool never) {
  Terminal t;
  t.stdout_tty = ::isatty(1) == 1;
  t.stderr_tty = ::isatty(2) == 1;
  t.stdin_tty = ::isatty(0) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  const char* term = std::getenv("TERM");
  const bool dumb = term && std::strcmp(term, "dumb") == 0;
  t.color = !never && (force || (t.stdout_tty && !(no_color && *no_color) && !dumb));
  if (t.stdout_tty) {
    winsize ws{};
    if (::ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) t.width = ws.ws_col;
    else t.width = 80;
  }
  if (const char* cols = std::getenv("COLUMNS"); cols && t.stdout_tty) {
    const int c = std::atoi(cols);
    if (c > 0) t.width = c;
  }
  return t;
}

std::string paint(std::string_view text, Color color, bool enabled) {
  if (!enabled || color == Color::none || text.empty()) return std::string(text);
  return std::string(code(color)) + std::string(text) + "\033[0m";
}

std::size_t display_width(std::string_view text) {
  std::size_t w = 0;
  for (std::size_t i = 0; i < text.size();) w += static_cast<std::size_t>(width_of(decode(text, i)));
  return w;
}

std::string truncate_to_width(std::string_view text, std::size_t width) {
  if (display_width(text) <= width) return std::string(text);
  if (width == 0) return {};
  std::string out;
  std::size_t w = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t start = i;
    const auto cw = static_cast<std::size_t>(width_of(decode(text, i)));
    if (w + cw > width - 1) break;
    out.append(text.substr(start, i - start));
    w += cw;
  }
  return out + "…";
}

}  // namespace opsdesk::output
