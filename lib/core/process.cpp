#include "core/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "core/time.hpp"

extern char** environ;

namespace opsdesk::core {

namespace {

constexpr std::size_t k_tail = 4096;

// TERM to the whole group, a second to go quietly, then KILL; reaped either way.
void kill_group(pid_t pid) {
  ::kill(-pid, SIGTERM);
  for (int i = 0; i < 20; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    ::usleep(50000);
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

struct Fd {
  int fd = -1;
  ~Fd() { close(); }
  void close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

}  // namespace

std::string ChildOutcome::last_error_line() const {
  auto lines = split_lines(stderr_tail);
  while (!lines.empty() && trim(lines.back()).empty()) lines.pop_back();
  return lines.empty() ? std::string() : std::string(trim(lines.back()));
}

std::string ChildOutcome::error_line() const {
  for (const auto& line : split_lines(stderr_head))
    if (line.find("error:") != std::string_view::npos) return std::string(trim(line));
  return last_error_line();
}

ChildOutcome run_child(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                       const std::function<void(std::string_view)>& on_stdout, std::size_t stderr_limit) {
  if (args.empty()) throw Error(ErrorKind::config, "an empty command line");
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) throw Error(ErrorKind::io, fmt::format("cannot make a pipe: {}", std::strerror(errno)));
  Fd out{out_pipe[0]}, out_w{out_pipe[1]};
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) throw Error(ErrorKind::io, fmt::format("cannot make a pipe: {}", std::strerror(errno)));
  Fd err{err_pipe[0]}, err_w{err_pipe[1]};

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err_w.fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  out_w.close();
  err_w.close();
  if (rc != 0) throw Error(ErrorKind::failed, fmt::format("cannot run {}: {}", args[0], std::strerror(rc)));

  ChildOutcome outcome;
  std::vector<char> buf(1 << 16);
  bool open_out = true, open_err = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    while (open_out || open_err) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
      if (left <= 0) {
        outcome.timed_out = true;
        kill_group(pid);
        return outcome;
      }
      pollfd fds[2];
      int n = 0;
      if (open_out) fds[n++] = {out.fd, POLLIN, 0};
      if (open_err) fds[n++] = {err.fd, POLLIN, 0};
      if (::poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min<long long>(left, 1000))) <= 0) continue;
      for (int i = 0; i < n; ++i) {
        if (!fds[i].revents) continue;
        const ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
        const bool is_out = fds[i].fd == out.fd;
        if (got <= 0) {
          (is_out ? open_out : open_err) = false;
          continue;
        }
        const std::string_view chunk(buf.data(), static_cast<std::size_t>(got));
        if (is_out) {
          on_stdout(chunk);
          continue;
        }
        if (outcome.stderr_head.size() < stderr_limit)
          outcome.stderr_head.append(chunk.substr(0, stderr_limit - outcome.stderr_head.size()));
        outcome.stderr_tail.append(chunk);
        if (outcome.stderr_tail.size() > k_tail) outcome.stderr_tail.erase(0, outcome.stderr_tail.size() - k_tail);
      }
    }
  } catch (...) {
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    throw;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
  else outcome.code = WEXITSTATUS(status);
  return outcome;
}

void run_checked(const std::vector<std::string>& args, std::chrono::seconds timeout,
                 const std::function<void(std::string_view)>& on_stdout) {
  const auto child = run_child(args, timeout, on_stdout);
  if (child.timed_out)
    throw Error(ErrorKind::unavailable, fmt::format("{} did not finish within {}", args[0], format_duration(timeout.count())));
  const std::string line = child.error_line();
  const std::string why = line.empty() ? "" : ": " + line;
  if (child.signal) throw Error(ErrorKind::failed, fmt::format("{} was killed by signal {}{}", args[0], *child.signal, why));
  if (child.code != 0) throw Error(ErrorKind::failed, fmt::format("{} exited with {}{}", args[0], child.code.value_or(-1), why));
}

}  // namespace opsdesk::core
