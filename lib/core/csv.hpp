#pragma once
// RFC 4180 CSV: quoting on write; quoted fields with commas, quotes and newlines on read.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opsdesk::core {

// `field` quoted when it holds the separator, a quote, CR or LF (or starts with a space).
std::string csv_field(std::string_view field, char separator = ',');
// A whole record, ending in "\n".
std::string csv_record(const std::vector<std::string>& fields, char separator = ',');

// Reads records from a buffer; keeps the line number where each record starts.
class CsvReader {
 public:
  explicit CsvReader(std::string_view text, char separator = ',');
  // The next record, or nullopt at the end. Throws Error(data) on an unterminated quote.
  std::optional<std::vector<std::string>> next();
  // Line (1-based) where the record last returned by next() started.
  std::size_t line() const { return m_record_line; }

 private:
  std::string_view m_text;
  std::size_t m_pos = 0;
  std::size_t m_line = 1;
  std::size_t m_record_line = 0;
  char m_separator;
};

}  // namespace opsdesk::core
