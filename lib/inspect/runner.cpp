#include "inspect/runner.hpp"

#include "core/error.hpp"
#include "core/process.hpp"


#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

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
  const std::vector<std::string> args = c.shell ? std::vector<std::string>{"/bin/sh", "-c", c.command} : c.argv;
  std::string stdout_text;
  core::ChildOutcome child;
  try {
    child = core::run_child(
        args, std::chrono::seconds(c.timeout),
        [&](std::string_view chunk) {
          if (stdout_text.size() < k_output_limit) stdout_text.append(chunk.substr(0, k_output_limit - stdout_text.size()));
        },
        k_output_limit);
  } catch (const Error& e) {
    return make(c, State::unknown, e.what());
  }
  if (child.timed_out) return make(c, timeout_state(c), fmt::format("{} timed out after {}s and was killed", args[0], c.timeout));
  const PluginOutput po = parse_plugin_output(stdout_text.empty() ? child.stderr_head : stdout_text);
  Result r = make(c, State::unknown, po.summary);
  r.long_output = po.long_output;
  r.perfdata = po.perfdata;
  if (child.signal) {
    r.summary = fmt::format("{} was killed by signal {}{}", args[0], *child.signal, po.summary.empty() ? "" : ": " + po.summary);
    return r;
  }
  const int code = child.code.value_or(3);
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
    // libpq has a connect timeout and the server a statement timeout, but a connection that
    // stalls mid-query waits on TCP: a postgres check is guarded too.
    const bool may_hang = c.type == "disk" || c.type == "file_age" || c.type == "sqlite" || c.type == "certificate" ||
                          c.type == "postgres";
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
