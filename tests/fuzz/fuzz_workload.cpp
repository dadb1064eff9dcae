// Fuzz target: the db-tune workload reader (statements, comments, quotes, trigger bodies).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "dbtune/advisor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t total = 0;
  for (const auto& s : opsdesk::dbtune::read_workload(text)) {
    if (s.sql.empty() || s.line == 0) __builtin_trap();  // blank statements are skipped, lines count from 1
    total += s.sql.size();
  }
  if (total > text.size()) __builtin_trap();  // statements are pieces of the input
  return 0;
}
