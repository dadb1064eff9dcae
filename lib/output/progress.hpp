#pragma once
// One self-rewriting status line on a terminal, for long work (a backup of a large database):
//   erp-db  412.0 MiB of 1.1 GiB  36%  210.3 MiB/s
// redrawn at most ten times a second and cleared when done. Disabled, it prints nothing: for
// cron, pipes and --quiet.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>

namespace opsdesk::output {

class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;
  // `noun` empty: the figures are bytes; else counts of it ("tickets", "checks").
  ProgressLine(std::ostream& out, bool enabled, std::string label, std::string noun = {});
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // `done` bytes so far, of `total` when known; `now` is for tests.
  void update(std::uint64_t done, std::optional<std::uint64_t> total, Clock::time_point now = Clock::now());
  // Erase the line (the next output starts at column 0).
  void clear();

  // The text of the line for these figures (no escape codes).
  static std::string render(const std::string& label, std::uint64_t done, std::optional<std::uint64_t> total,
                            double seconds, const std::string& noun = {});

 private:
  std::ostream& m_out;
  bool m_enabled;
  std::string m_label;
  std::string m_noun;
  Clock::time_point m_start;
  std::optional<Clock::time_point> m_last_draw;
  bool m_drawn = false;
};

// For work that cannot say how far it is (a restore drill, an analysis, an import): the
// label and the time so far, redrawn by a thread from the first second on and cleared when
// the Activity ends, so that a long wait never looks like a hang. Disabled, it does nothing.
//   analysing erp  12s
class Activity {
 public:
  Activity(std::ostream& out, bool enabled, std::string label);
  ~Activity();
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

  static std::string render(const std::string& label, double seconds);

 private:
  std::ostream& m_out;
  std::string m_label;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_stop = false;
  std::thread m_thread;
};

}  // namespace opsdesk::output
