#pragma once
// A shared library opened with dlopen on first use, for what only some commands need: linked,
// a library and everything it pulls in would be loaded at the start of every command. The
// first problem (not installed, a function missing) is kept and thrown by `check`.
#include <string>
#include <string_view>

namespace opsdesk::core {

class DynamicLibrary {
 public:
  // `name` and `package` for the message ("libpq", "libpq5").
  DynamicLibrary(const char* soname, std::string_view name, std::string_view package);

  // Point `fn` at the library's function `symbol` (null, and a problem noted, when missing).
  template <typename F>
  void load(F*& fn, const char* symbol) {
    fn = reinterpret_cast<F*>(find(symbol));
  }
  // Error(unavailable) naming the first problem, if any.
  void check() const;

 private:
  void* find(const char* symbol);
  void* m_handle = nullptr;
  std::string m_name;
  std::string m_problem;
};

}  // namespace opsdesk::core
