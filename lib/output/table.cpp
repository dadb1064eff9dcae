#include "output/table.hpp"

#include <algorithm>

namespace opsdesk::output {

Table::Table(std::vector<Column> columns) : m_columns(std::move(columns)) {}

void Table::add(std::vector<Cell> row) {
  row.resize(m_columns.size());
  m_rows.push_back(std::move(row));
}

void Table::render(std::ostream& out, const Terminal& term) const {
  const std::size_t n = m_columns.size();
  std::vector<std::size_t> widths(n);
  for (std::size_t c = 0; c < n; ++c) {
    widths[c] = display_width(m_columns[c].header);
    for (const auto& row : m_rows) widths[c] = std::max(widths[c], display_width(row[c].text));
  }
  if (term.width > 0) {  // give way in the shrinkable column when the line would wrap
    std::size_t total = 0;
    for (const auto w : widths) total += w;
    total += 2 * (n - 1);
    const auto avail = static_cast<std::size_t>(term.width);
    for (std::size_t c = 0; c < n && total > avail; ++c) {
      if (!m_columns[c].shrink) continue;
      const std::size_t floor = std::max<std::size_t>(10, display_width(m_columns[c].header));
      const std::size_t cut = std::min(total - avail, widths[c] > floor ? widths[c] - floor : 0);
      widths[c] -= cut;
      total -= cut;
    }
  }
  auto emit = [&](const std::string& text, std::size_t c, Color color, bool last) {
    const std::string shown = term.width > 0 ? truncate_to_width(text, widths[c]) : text;
    const std::size_t pad = widths[c] - std::min(widths[c], display_width(shown));
    if (m_columns[c].right) out << std::string(pad, ' ');
    out << paint(shown, color, term.color);
    if (!m_columns[c].right && !last) out << std::string(pad, ' ');
    if (!last) out << "  ";
  };
  for (std::size_t c = 0; c < n; ++c) emit(m_columns[c].header, c, Color::bold, c + 1 == n);
  out << '\n';
  for (const auto& row : m_rows) {
    for (std::size_t c = 0; c < n; ++c) emit(row[c].text, c, row[c].color, c + 1 == n);
    out << '\n';
  }
}

void render_fields(std::ostream& out, const std::vector<std::pair<std::string, std::string>>& fields) {
  std::size_t w = 0;
  for (const auto& [k, v] : fields) w = std::max(w, display_width(k));
  for (const auto& [k, v] : fields) {
    out << k << ':' << std::string(w - display_width(k) + 1, ' ') << v << '\n';
  }
}

}  // namespace opsdesk::output
