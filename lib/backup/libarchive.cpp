#include "backup/libarchive.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

#include <clocale>
#include <mutex>
#include <string_view>

#include "core/error.hpp"

namespace opsdesk::backup {

const Libarchive& libarchive() {
  static Libarchive la;
  static std::once_flag once;
  static std::string problem;
  std::call_once(once, [] {
    // libarchive converts names through the locale's character set; in the C locale any name
    // that is not ASCII fails (or crashes the pax writer). File names here are UTF-8.
    const char* current = std::setlocale(LC_CTYPE, nullptr);
    if (!current || std::string_view(current) == "C" || std::string_view(current) == "POSIX")
      std::setlocale(LC_CTYPE, "C.UTF-8");
    void* handle = ::dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      problem = fmt::format("libarchive is not installed (Debian package libarchive13): {}", ::dlerror());
      return;
    }
#define OPSDESK_LIBARCHIVE_LOAD(name)                                                        \
  la.name = reinterpret_cast<decltype(la.name)>(::dlsym(handle, #name));                     \
  if (!la.name && problem.empty()) problem = fmt::format("libarchive lacks {}", #name);
    OPSDESK_LIBARCHIVE_FUNCTIONS(OPSDESK_LIBARCHIVE_LOAD)
#undef OPSDESK_LIBARCHIVE_LOAD
  });
  if (!problem.empty()) throw Error(ErrorKind::unavailable, problem);
  return la;
}

}  // namespace opsdesk::backup
