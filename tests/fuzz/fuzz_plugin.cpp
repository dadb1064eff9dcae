// Fuzz target: Nagios plugin output (summary, long output, perfdata) and threshold ranges.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/range.hpp"
#include "inspect/result.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)opsdesk::inspect::parse_plugin_output(text);
  (void)opsdesk::inspect::parse_perfdata(text);
  if (const auto r = opsdesk::core::parse_range(text)) {
    (void)r->alerts(0);
    (void)r->alerts(-1e300);
    (void)r->alerts(1e300);
  }
  return 0;
}
