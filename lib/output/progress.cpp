#include "output/progress.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"

namespace opsdesk::output {

ProgressLine::ProgressLine(std::ostream& out, bool enabled, std::string label)
    : m_out(out), m_enabled(enabled), m_label(std::move(label)), m_start(Clock::now()) {}

ProgressLine::~ProgressLine() { clear(); }

std::string ProgressLine::render(const std::string& label, std::uint64_t done, std::optional<std::uint64_t> total,
                                 double seconds) {
  std::string line = label + "  " + core::format_bytes(static_cast<double>(done));
  if (total && *total > 0) {
    const double share = std::min(1.0, static_cast<double>(done) / static_cast<double>(*total));
    // Floored: "100%" only when it is all there.
    line += fmt::format(" of {}  {}%", core::format_bytes(static_cast<double>(*total)), static_cast<int>(100.0 * share));
  }
  if (seconds >= 0.5 && done > 0) line += fmt::format("  {}/s", core::format_bytes(static_cast<double>(done) / seconds));
  return line;
}

void ProgressLine::update(std::uint64_t done, std::optional<std::uint64_t> total, Clock::time_point now) {
  if (!m_enabled) return;
  if (m_last_draw && now - *m_last_draw < std::chrono::milliseconds(100)) return;
  m_last_draw = now;
  const double seconds = std::chrono::duration<double>(now - m_start).count();
  m_out << '\r' << render(m_label, done, total, seconds) << "\033[K" << std::flush;
  m_drawn = true;
}

void ProgressLine::clear() {
  if (!m_drawn) return;
  m_out << "\r\033[K" << std::flush;
  m_drawn = false;
}

}  // namespace opsdesk::output
