#pragma once
// What a health check finds: a Nagios state, a one-line summary, more lines if useful, and
// performance data.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"

namespace opsdesk::inspect {

enum class State { ok = 0, warning = 1, critical = 2, unknown = 3 };

std::string_view state_name(State s);  // "OK", "WARNING", "CRITICAL", "UNKNOWN"
std::optional<State> state_of(std::string_view name);  // case-insensitive
// The worse of two states for a whole run: CRITICAL > WARNING > UNKNOWN > OK.
State worse(State a, State b);

// 'label'=value[UOM];[warn];[crit];[min];[max]
struct Perfdatum {
  std::string label;
  double value = 0;
  std::string uom;
  std::string warn;  // a range, as written
  std::string crit;
  std::optional<double> min;
  std::optional<double> max;
};

std::string format_perfdata(const std::vector<Perfdatum>& perfdata);
// Lenient: malformed items are skipped, never fatal.
std::vector<Perfdatum> parse_perfdata(std::string_view text);

// A plugin's output split the Nagios way: the first line is the summary, later lines are
// long output, and perfdata follows the first '|' of the first line and of any later line.
struct PluginOutput {
  std::string summary;
  std::string long_output;
  std::vector<Perfdatum> perfdata;
};
PluginOutput parse_plugin_output(std::string_view text);

struct Result {
  std::string check;
  std::string system;
  std::string type;
  State state = State::unknown;
  std::string summary;
  std::string long_output;
  std::vector<Perfdatum> perfdata;
  core::Timestamp at = 0;
  std::int64_t duration_ms = 0;
  int attempts = 1;
};

}  // namespace opsdesk::inspect
