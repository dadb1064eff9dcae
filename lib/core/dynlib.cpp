#include "core/dynlib.hpp"

#include <dlfcn.h>

#include <fmt/format.h>

#include "core/error.hpp"

namespace opsdesk::core {

DynamicLibrary::DynamicLibrary(const char* soname, std::string_view name, std::string_view package) : m_name(name) {
  m_handle = ::dlopen(soname, RTLD_NOW | RTLD_LOCAL);
  if (!m_handle) m_problem = fmt::format("{} is not installed (Debian package {}): {}", name, package, ::dlerror());
}

void* DynamicLibrary::find(const char* symbol) {
  if (!m_handle) return nullptr;
  void* fn = ::dlsym(m_handle, symbol);
  if (!fn && m_problem.empty()) m_problem = fmt::format("{} lacks {}", m_name, symbol);
  return fn;
}

void DynamicLibrary::check() const {
  if (!m_problem.empty()) throw Error(ErrorKind::unavailable, m_problem);
}

}  // namespace opsdesk::core
