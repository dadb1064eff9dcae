#pragma once
// One self-rewriting status line on a terminal, for long work (a backup of a large database):
//   erp-db  412.0 MiB of 1.1 GiB  36%  210.3 MiB/s
// redrawn at most ten times a second and cleared when done. Disabled, it prints nothing: for
// cron, pipes and --quiet.
#include <chrono>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

namespace opsdesk::output {

class ProgressLine {
 public:
  using Clock = std::chrono::steady_clock;
  ProgressLine(std::ostream& out, bool enabled, std::string label);
  ~ProgressLine();
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // `done` bytes so far, of `total` when known; `now` is for tests.
  void update(std::uint64_t done, std::optional<std::uint64_t> total, Clock::time_point now = Clock::now());
  // Erase the line (the next output starts at column 0).
  void clear();

  // The text of the line for these figures (no escape codes).
  static std::string render(const std::string& label, std::uint64_t done, std::optional<std::uint64_t> total,
                            double seconds);

 private:
  std::ostream& m_out;
  bool m_enabled;
  std::string m_label;
  Clock::time_point m_start;
  std::optional<Clock::time_point> m_last_draw;
  bool m_drawn = false;
};

}  // namespace opsdesk::output
