#pragma once
// What the streams are connected to, and colour that is used only where it helps.
#include <string>
#include <string_view>

namespace opsdesk::output {

enum class Color { none, red, yellow, green, blue, magenta, cyan, gray, bold };

struct Terminal {
  bool stdout_tty = false;
  bool stderr_tty = false;
  bool stdin_tty = false;
  bool color = false;  // colour on stdout
  int width = 0;       // columns of the stdout terminal; 0 when not a terminal

  // `force` (--color / color = "always"), `never` (--no-color / color = "never");
  // otherwise colour when stdout is a terminal, NO_COLOR is empty and TERM is not "dumb".
  static Terminal detect(bool force, bool never);
};

// `text` wrapped in the escape codes for `color` when `enabled`.
std::string paint(std::string_view text, Color color, bool enabled);

// Columns `text` takes on a terminal: East Asian wide characters count two, combining marks none.
std::size_t display_width(std::string_view text);
// `text` cut to at most `width` columns, ending in "…" when cut.
std::string truncate_to_width(std::string_view text, std::size_t width);

}  // namespace opsdesk::output
