#pragma once
// Aligned text tables: one header, rows of cells, a column that gives way when the terminal is
// narrow. Plain (no colour, no truncation) when stdout is not a terminal.
#include <ostream>
#include <string>
#include <vector>

#include "output/terminal.hpp"

namespace opsdesk::output {

struct Column {
  std::string header;
  bool right = false;   // right-aligned (numbers)
  bool shrink = false;  // cut to fit the terminal width (titles)
};

struct Cell {
  std::string text;
  Color color = Color::none;
};

class Table {
 public:
  explicit Table(std::vector<Column> columns);
  void add(std::vector<Cell> row);
  bool empty() const { return m_rows.empty(); }
  void render(std::ostream& out, const Terminal& term) const;

 private:
  std::vector<Column> m_columns;
  std::vector<std::vector<Cell>> m_rows;
};

// "key: value" lines with the keys aligned, for `show` commands.
void render_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields);

}  // namespace opsdesk::output
