// Fuzz target: the TOML config loader. Any input either loads or is refused with an opsdesk Error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/config.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto c = opsdesk::config::load_text(text, "fuzz.toml");
    (void)opsdesk::config::to_toml(c);
  } catch (const opsdesk::Error&) {
  }
  return 0;
}
