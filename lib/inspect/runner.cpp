#include "inspect/runner.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

extern char** environ;

namespace opsdesk::inspect {

namespace {

using Clock = std::chrono::steady_clock;
constexpr std::size_t k_output_limit = 4096;  // what Nagios 3 reads of a plugin

Result make(const config::Config::Check& c, State s, std::string summary) {
  Result r;
  r.check = c.name;
  r.system = c.system;
  r.type = c.type;
  r.state = s;
  r.summary = std::move(summary);
  return r;
}

State timeout_state(const config::Config::Check& c) { return state_of(c.timeout_state).value_or(State::unknown); }

void kill_group(pid_t pid) {
  ::kill(-pid, SIGTERM);
  for (int i = 0; i < 20; ++i) {  // up to a second to go quietly
    if (::waitpid(pid, nullptr, WNOHANG) == pid) return;
    ::usleep(50000);
  }
  ::kill(-pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

struct Shared {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<Result> result;
};

// Run `probe` on its own thread; give up waiting after `limit` (the thread is left to finish
// or to end with the process: a probe stuck in the kernel, on a dead NFS mount say, cannot be
// cancelled).
std::optional<Result> within(std::function<Result()> probe, std::chrono::milliseconds limit) {
  auto shared = std::make_shared<Shared>();
  std::thread([shared, probe = std::move(probe)] {
    Result r = probe();
    std::lock_guard lock(shared->mutex);
    shared->result = std::move(r);
    shared->done.notify_all();
  }).detach();
  std::unique_lock lock(shared->mutex);
  shared->done.wait_for(lock, limit, [&] { return shared->result.has_value(); });
  return shared->result;
}

}  // namespace

Result run_command(const config::Config::Check& c) {
  std::vector<std::string> args = c.shell ? std::vector<std::string>{"/bin/sh", "-c", c.command} : c.argv;
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    return make(c, State::unknown, fmt::format("cannot make a pipe: {}", std::strerror(errno)));
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
  posix_spawnattr_setpgroup(&attr, 0);  // its own group, so a timeout kills what it started too
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    return make(c, State::unknown, fmt::format("cannot run {}: {}", args[0], std::strerror(rc)));
  }
  const auto deadline = Clock::now() + std::chrono::seconds(c.timeout);
  std::string stdout_text, stderr_text;
  bool open_out = true, open_err = true, timed_out = false;
  char buf[4096];
  while (open_out || open_err) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    pollfd fds[2];
    int n = 0;
    if (open_out) fds[n++] = {out[0], POLLIN, 0};
    if (open_err) fds[n++] = {err[0], POLLIN, 0};
    if (::poll(fds, static_cast<nfds_t>(n), static_cast<int>(left)) <= 0) continue;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      const bool is_out = fds[i].fd == out[0];
      if (got <= 0) {
        (is_out ? open_out : open_err) = false;
        continue;
      }
      std::string& text = is_out ? stdout_text : stderr_text;
      if (text.size() < k_output_limit) text.append(buf, std::min<std::size_t>(static_cast<std::size_t>(got), k_output_limit - text.size()));
    }
  }
  ::close(out[0]);
  ::close(err[0]);
  if (timed_out) {
    kill_group(pid);
    return make(c, timeout_state(c), fmt::format("{} timed out after {}s and was killed", args[0], c.timeout));
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  const PluginOutput po = parse_plugin_output(stdout_text.empty() ? stderr_text : stdout_text);
  Result r = make(c, State::unknown, po.summary);
  r.long_output = po.long_output;
  r.perfdata = po.perfdata;
  if (WIFSIGNALED(status)) {
    r.summary = fmt::format("{} was killed by signal {}{}", args[0], WTERMSIG(status), po.summary.empty() ? "" : ": " + po.summary);
    return r;
  }
  const int code = WEXITSTATUS(status);
  if (code >= 0 && code <= 3) r.state = static_cast<State>(code);
  else r.summary = fmt::format("{} exited with {} (not a plugin state){}", args[0], code, po.summary.empty() ? "" : ": " + po.summary);
  if (r.summary.empty()) r.summary = fmt::format("{} said nothing (exit {})", args[0], code);
  return r;
}

Result run_check(const config::Config::Check& c, const ProbeContext& context) {
  const auto started = Clock::now();
  Result r;
  const int attempts = 1 + c.retries;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    const auto at = context.now + std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count();
    std::function<Result()> probe;
    if (c.type == "command") {
      probe = [c] { return run_command(c); };
    } else {
      ProbeContext ctx = context;
      ctx.now = at;
      probe = [c, ctx] { return judge(c, measure(c, ctx)); };
    }
    // Network probes and commands keep their own deadlines, and /proc answers at once; a probe
    // of a file system (a dead NFS mount) can hang in the kernel, so it runs on a thread the
    // runner stops waiting for at the timeout.
    const bool may_hang = c.type == "disk" || c.type == "file_age" || c.type == "sqlite" || c.type == "certificate";
    if (may_hang) {
      const auto guarded = within(std::move(probe), std::chrono::seconds(c.timeout) + std::chrono::seconds(2));
      r = guarded ? *guarded : make(c, timeout_state(c), fmt::format("timed out after {}s", c.timeout));
    } else {
      r = probe();
    }
    r.at = at;
    r.attempts = attempt;
    if (r.state == State::ok || attempt == attempts) break;
    std::this_thread::sleep_for(std::chrono::seconds(c.retry_delay));
  }
  r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  return r;
}

std::vector<Result> run_checks(const std::vector<config::Config::Check>& checks, int parallel,
                               const ProbeContext& context, const std::function<void(std::size_t)>& progress) {
  std::vector<Result> results(checks.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  std::mutex progress_mutex;
  auto worker = [&] {
    while (true) {
      const std::size_t i = next++;
      if (i >= checks.size()) return;
      results[i] = run_check(checks[i], context);
      const std::size_t finished = ++done;
      if (progress) {
        std::lock_guard lock(progress_mutex);
        progress(finished);
      }
    }
  };
  const auto n = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, parallel)), checks.size());
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace opsdesk::inspect
