// Fuzz target: times, durations, periods and working-day spans as a user types them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/time.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  constexpr opsdesk::core::Timestamp now = 1795600000;  // 2026-11-25
  if (const auto t = opsdesk::core::try_parse_time(text, now)) (void)opsdesk::core::format_rfc3339(*t);
  if (const auto d = opsdesk::core::try_parse_duration(text)) (void)opsdesk::core::format_duration(*d);
  (void)opsdesk::core::parse_period(text);
  (void)opsdesk::core::parse_day_spans(text);
  return 0;
}
