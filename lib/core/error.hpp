#pragma once
// Errors: one exception type carrying a kind; cmd/main.cpp maps kinds to exit codes.
#include <stdexcept>
#include <string>

namespace opsdesk {

// What went wrong, in the terms a caller (and an exit code) cares about.
enum class ErrorKind {
  failed,       // refused for a domain reason (invalid transition, verify mismatch)
  usage,        // bad command line
  data,         // bad input data (import row, value out of range)
  not_found,    // ticket, account, backup, file
  unavailable,  // target database or host unavailable, store from a newer opsdesk
  internal,     // a bug
  io,           // reading or writing a file failed
  busy,         // store busy or locked: try again
  permission,   // the actor may not do this
  config,       // configuration error
};

class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}
  ErrorKind kind() const noexcept { return m_kind; }

 private:
  ErrorKind m_kind;
};

// Short name of a kind, for logs and JSON (`not_found`).
const char* kind_name(ErrorKind kind) noexcept;

}  // namespace opsdesk
