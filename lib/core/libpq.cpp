#include "core/libpq.hpp"

#include <mutex>
#include <optional>

#include "core/dynlib.hpp"

namespace opsdesk::core {

const Libpq& libpq() {
  static Libpq pq;
  static std::optional<DynamicLibrary> library;
  static std::once_flag once;
  std::call_once(once, [] {
    library.emplace("libpq.so.5", "libpq", "libpq5");
#define OPSDESK_LIBPQ_LOAD(name) library->load(pq.name, #name);
    OPSDESK_LIBPQ_FUNCTIONS(OPSDESK_LIBPQ_LOAD)
#undef OPSDESK_LIBPQ_LOAD
  });
  library->check();
  return pq;
}

}  // namespace opsdesk::core
