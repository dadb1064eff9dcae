#include "core/error.hpp"

namespace opsdesk {

const char* kind_name(ErrorKind kind) noexcept {
  switch (kind) {
    case ErrorKind::failed: return "failed";
    case ErrorKind::usage: return "usage";
    case ErrorKind::data: return "data";
    case ErrorKind::not_found: return "not_found";
    case ErrorKind::unavailable: return "unavailable";
    case ErrorKind::internal: return "internal";
    case ErrorKind::io: return "io";
    case ErrorKind::busy: return "busy";
    case ErrorKind::permission: return "permission";
    case ErrorKind::config: return "config";
  }
  return "internal";
}

}  // namespace opsdesk
