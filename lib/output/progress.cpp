#include "output/progress.hpp"

#include <fmt/format.h>

#include "core/strings.hpp"
#include "core/time.hpp"

namespace opsdesk::output {

ProgressLine::ProgressLine(std::ostream& out, bool enabled, std::string label, std::string noun)
    : m_out(out), m_enabled(enabled), m_label(std::move(label)), m_noun(std::move(noun)), m_start(Clock::now()) {}

ProgressLine::~ProgressLine() { clear(); }

std::string ProgressLine::render(const std::string& label, std::uint64_t done, std::optional<std::uint64_t> total,
                                 double seconds, const std::string& noun) {
  if (!noun.empty()) {
    std::string line = fmt::format("{}  {}", label, core::format_count(done));
    if (total) line += fmt::format(" of {}", core::format_count(*total));
    line += " " + noun;
    if (total && *total > 0)
      line += fmt::format("  {}%", static_cast<int>(100.0 * std::min(1.0, static_cast<double>(done) / static_cast<double>(*total))));
    if (seconds >= 0.5 && done > 0) line += fmt::format("  {}/s", core::format_count(static_cast<std::uint64_t>(static_cast<double>(done) / seconds)));
    return line;
  }
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
  m_out << '\r' << render(m_label, done, total, seconds, m_noun) << "\033[K" << std::flush;
  m_drawn = true;
}

void ProgressLine::clear() {
  if (!m_drawn) return;
  m_out << "\r\033[K" << std::flush;
  m_drawn = false;
}

std::string Activity::render(const std::string& label, double seconds) {
  const auto whole = static_cast<core::Seconds>(seconds);
  return fmt::format("{}  {}", label, whole < 60 ? fmt::format("{}s", whole) : core::format_duration(whole));
}

Activity::Activity(std::ostream& out, bool enabled, std::string label) : m_out(out), m_label(std::move(label)) {
  if (!enabled) return;
  m_thread = std::thread([this] {
    const auto start = std::chrono::steady_clock::now();
    std::unique_lock lock(m_mutex);
    if (m_wake.wait_for(lock, std::chrono::seconds(1), [this] { return m_stop; })) return;  // quick work: nothing shown
    while (!m_stop) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      m_out << '\r' << render(m_label, seconds) << "\033[K" << std::flush;
      m_wake.wait_for(lock, std::chrono::milliseconds(250), [this] { return m_stop; });
    }
    m_out << "\r\033[K" << std::flush;
  });
}

Activity::~Activity() {
  if (!m_thread.joinable()) return;
  {
    std::lock_guard lock(m_mutex);
    m_stop = true;
  }
  m_wake.notify_all();
  m_thread.join();
}

}  // namespace opsdesk::output
