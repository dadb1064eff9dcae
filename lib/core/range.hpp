#pragma once
// Threshold ranges exactly as the Nagios plugin guidelines define them: [@][start:][end].
// "10" alerts outside 0..10, "10:" below 10, "~:10" above 10, "10:20" outside 10..20,
// "@10:20" inside 10..20; end points are inside the range.
#include <optional>
#include <string>
#include <string_view>

namespace opsdesk::core {

struct Range {
  double start = 0;
  double end = 0;
  bool start_infinite = false;  // "~"
  bool end_infinite = false;    // "10:"
  bool inside = false;          // "@": alert inside the range
  std::string text;             // as written

  // True when `value` should raise the alert this range stands for.
  bool alerts(double value) const;
};

// nullopt for anything the guidelines do not allow (empty, junk, start > end).
std::optional<Range> parse_range(std::string_view text);

}  // namespace opsdesk::core
