#pragma once
// A child process run the way the `command` check and the `command` backup target both need:
// argv only (the PATH searched, no shell), stdin from /dev/null, in its own process group so
// that a timeout kills what it started too, stdout streamed, stderr kept, a deadline.
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opsdesk::core {

struct ChildOutcome {
  bool timed_out = false;     // killed (TERM, then KILL after a second) at the deadline
  std::optional<int> code;    // its exit status, when it exited
  std::optional<int> signal;  // the signal that killed it, when one did
  std::string stderr_head;    // the first bytes of its stderr (up to the limit asked for)
  std::string stderr_tail;    // the last 4 KiB of its stderr
  // The last non-blank line of stderr, for an error message ("" when none).
  std::string last_error_line() const;
  // The first line of stderr that says "error:" (most tools' prefix; the first one is the
  // cause, later ones its echoes), else the last non-blank line.
  std::string error_line() const;
};

// Run `argv`; each chunk of its stdout goes to `on_stdout`. Error(failed) "cannot run X: ..."
// when it cannot be started. If `on_stdout` throws, the child's group is killed and reaped
// and the exception goes on.
ChildOutcome run_child(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                       const std::function<void(std::string_view)>& on_stdout, std::size_t stderr_limit = 64 * 1024);

// run_child for a program that must succeed (a dump or restore tool): Error(unavailable) when it
// does not finish within `timeout`, Error(failed) for a signal or a non-zero exit, each with
// its error_line().
void run_checked(const std::vector<std::string>& argv, std::chrono::seconds timeout,
                 const std::function<void(std::string_view)>& on_stdout);

}  // namespace opsdesk::core
