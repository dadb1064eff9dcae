#include "core/range.hpp"

#include <charconv>
#include <cmath>

#include "core/strings.hpp"

namespace opsdesk::core {

namespace {

// A number of the guidelines' alphabet [-0-9.]: no exponent, no "inf", no spaces.
std::optional<double> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  for (const char c : s)
    if (!((c >= '0' && c <= '9') || c == '-' || c == '.')) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace

bool Range::alerts(double value) const {
  const bool below = !start_infinite && value < start;
  const bool above = !end_infinite && value > end;
  const bool outside = below || above;
  return inside ? !outside : outside;
}

std::optional<Range> parse_range(std::string_view text) {
  Range r;
  r.text = std::string(text);
  std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  if (s.front() == '@') {
    r.inside = true;
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) {  // "10": 0..10
    const auto end = number(s);
    if (!end) return std::nullopt;
    r.start = 0;
    r.end = *end;
  } else {
    const auto start = s.substr(0, colon);
    const auto end = s.substr(colon + 1);
    if (end.find(':') != std::string_view::npos) return std::nullopt;
    if (start == "~") {
      r.start_infinite = true;
    } else if (start.empty()) {
      r.start = 0;
    } else {
      const auto v = number(start);
      if (!v) return std::nullopt;
      r.start = *v;
    }
    if (end.empty()) {
      r.end_infinite = true;
    } else {
      const auto v = number(end);
      if (!v) return std::nullopt;
      r.end = *v;
    }
  }
  if (!r.start_infinite && !r.end_infinite && r.start > r.end) return std::nullopt;
  return r;
}

}  // namespace opsdesk::core
