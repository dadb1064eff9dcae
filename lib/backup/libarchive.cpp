#include "backup/libarchive.hpp"

#include <clocale>
#include <mutex>
#include <optional>
#include <string_view>

#include "core/dynlib.hpp"

namespace opsdesk::backup {

const Libarchive& libarchive() {
  static Libarchive la;
  static std::optional<core::DynamicLibrary> library;
  static std::once_flag once;
  std::call_once(once, [] {
    // libarchive converts names through the locale's character set; in the C locale any name
    // that is not ASCII fails (or crashes the pax writer). File names here are UTF-8.
    const char* current = std::setlocale(LC_CTYPE, nullptr);
    if (!current || std::string_view(current) == "C" || std::string_view(current) == "POSIX")
      std::setlocale(LC_CTYPE, "C.UTF-8");
    library.emplace("libarchive.so.13", "libarchive", "libarchive13");
#define OPSDESK_LIBARCHIVE_LOAD(name) library->load(la.name, #name);
    OPSDESK_LIBARCHIVE_FUNCTIONS(OPSDESK_LIBARCHIVE_LOAD)
#undef OPSDESK_LIBARCHIVE_LOAD
  });
  library->check();
  return la;
}

}  // namespace opsdesk::backup
