#include "core/csv.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace opsdesk::core {

std::string csv_field(std::string_view field, char separator) {
  const bool quote = field.find_first_of(std::string{separator, '"', '\r', '\n'}) != std::string_view::npos ||
                     (!field.empty() && (field.front() == ' ' || field.back() == ' '));
  if (!quote) return std::string(field);
  std::string out = "\"";
  for (const char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

std::string csv_record(const std::vector<std::string>& fields, char separator) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) out += separator;
    out += csv_field(fields[i], separator);
  }
  out += '\n';
  return out;
}

CsvReader::CsvReader(std::string_view text, char separator) : m_text(text), m_separator(separator) {
  if (m_text.starts_with("\xEF\xBB\xBF")) m_pos = 3;  // spreadsheets write a BOM
}

std::optional<std::vector<std::string>> CsvReader::next() {
  // Skip blank lines between records.
  while (m_pos < m_text.size() && (m_text[m_pos] == '\n' || m_text[m_pos] == '\r')) {
    if (m_text[m_pos] == '\n') ++m_line;
    ++m_pos;
  }
  if (m_pos >= m_text.size()) return std::nullopt;
  m_record_line = m_line;
  std::vector<std::string> fields;
  std::string field;
  bool quoted = false;
  bool was_quoted = false;
  while (m_pos < m_text.size()) {
    const char c = m_text[m_pos++];
    if (quoted) {
      if (c == '"') {
        if (m_pos < m_text.size() && m_text[m_pos] == '"') {
          field += '"';
          ++m_pos;
        } else {
          quoted = false;
        }
      } else {
        if (c == '\n') ++m_line;
        field += c;
      }
      continue;
    }
    if (c == '"' && field.empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (c == m_separator) {
      fields.push_back(std::move(field));
      field.clear();
      was_quoted = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && m_pos < m_text.size() && m_text[m_pos] == '\n') ++m_pos;
      ++m_line;
      break;
    } else {
      field += c;
    }
  }
  if (quoted) throw Error(ErrorKind::data, fmt::format("line {}: unterminated quoted field", m_record_line));
  fields.push_back(std::move(field));
  return fields;
}

}  // namespace opsdesk::core
