#include "core/libpq.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

#include <mutex>
#include <string>

#include "core/error.hpp"

namespace opsdesk::core {

const Libpq& libpq() {
  static Libpq pq;
  static std::once_flag once;
  static std::string problem;
  std::call_once(once, [] {
    void* handle = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      problem = fmt::format("libpq is not installed (Debian package libpq5), needed for PostgreSQL: {}", ::dlerror());
      return;
    }
#define OPSDESK_LIBPQ_LOAD(name)                                          \
  pq.name = reinterpret_cast<decltype(pq.name)>(::dlsym(handle, #name)); \
  if (!pq.name && problem.empty()) problem = fmt::format("libpq lacks {}", #name);
    OPSDESK_LIBPQ_FUNCTIONS(OPSDESK_LIBPQ_LOAD)
#undef OPSDESK_LIBPQ_LOAD
  });
  if (!problem.empty()) throw Error(ErrorKind::unavailable, problem);
  return pq;
}

}  // namespace opsdesk::core
