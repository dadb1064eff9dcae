#include "inspect/formats.hpp"

#include <fmt/format.h>

#include <map>

#include "core/strings.hpp"

namespace opsdesk::inspect {

namespace {

std::string xml(std::string_view s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') continue;  // not allowed in XML 1.0
        out += c;
    }
  }
  return out;
}

// Prometheus label values escape backslash, quote and newline.
std::string label(std::string_view s) {
  std::string out;
  for (const char c : s) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

// A perfdata label as a metric-name suffix: [a-zA-Z0-9_].
std::string metric_suffix(std::string_view s) {
  std::string out;
  for (const char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  return out;
}

}  // namespace

std::string to_nagios(const std::vector<Result>& results) {
  State worst = State::ok;
  std::map<State, int> counts;
  for (const auto& r : results) {
    worst = worse(worst, r.state);
    ++counts[r.state];
  }
  std::vector<std::string> tally, bad;
  for (const auto s : {State::critical, State::warning, State::unknown, State::ok})
    if (counts[s]) tally.push_back(fmt::format("{} {}", counts[s], core::to_lower(state_name(s))));
  for (const auto& r : results)
    if (r.state != State::ok) bad.push_back(fmt::format("{} {}", r.check, state_name(r.state)));
  std::vector<Perfdatum> perf;
  for (const auto& r : results)
    for (auto p : r.perfdata) {
      p.label = r.check + "." + p.label;
      perf.push_back(std::move(p));
    }
  std::string out = fmt::format("OPSDESK {} - {}{}", state_name(worst), results.empty() ? "no checks" : core::join(tally, ", "),
                                bad.empty() ? "" : ": " + core::join(bad, ", "));
  if (!perf.empty()) out += " | " + format_perfdata(perf);
  out += '\n';
  for (const auto& r : results) out += fmt::format("{}: {}\n", r.check, r.summary);
  return out;
}

std::string to_junit(const std::vector<Result>& results, core::Timestamp at) {
  int failures = 0, errors = 0;
  double seconds = 0;
  for (const auto& r : results) {
    failures += r.state == State::warning || r.state == State::critical;
    errors += r.state == State::unknown;
    seconds += static_cast<double>(r.duration_ms) / 1000.0;
  }
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<testsuite name=\"opsdesk inspect\" tests=\"{}\" failures=\"{}\" errors=\"{}\" time=\"{:.3f}\" timestamp=\"{}\">\n",
      results.size(), failures, errors, seconds, core::format_rfc3339(at));
  for (const auto& r : results) {
    out += fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">\n", xml(r.system.empty() ? "-" : r.system),
                       xml(r.check), static_cast<double>(r.duration_ms) / 1000.0);
    if (r.state == State::warning || r.state == State::critical)
      out += fmt::format("    <failure type=\"{}\" message=\"{}\">{}</failure>\n", state_name(r.state), xml(r.summary),
                         xml(r.long_output));
    else if (r.state == State::unknown)
      out += fmt::format("    <error type=\"UNKNOWN\" message=\"{}\">{}</error>\n", xml(r.summary), xml(r.long_output));
    out += fmt::format("    <system-out>{}</system-out>\n  </testcase>\n", xml(r.summary));
  }
  return out + "</testsuite>\n";
}

std::string to_prometheus(const std::vector<Result>& results) {
  std::string out =
      "# HELP opsdesk_check_state Nagios state of the check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.\n"
      "# TYPE opsdesk_check_state gauge\n";
  for (const auto& r : results)
    out += fmt::format("opsdesk_check_state{{check=\"{}\",system=\"{}\"}} {}\n", label(r.check), label(r.system),
                       static_cast<int>(r.state));
  out += "# HELP opsdesk_check_duration_seconds How long the check took.\n# TYPE opsdesk_check_duration_seconds gauge\n";
  for (const auto& r : results)
    out += fmt::format("opsdesk_check_duration_seconds{{check=\"{}\",system=\"{}\"}} {:.3f}\n", label(r.check),
                       label(r.system), static_cast<double>(r.duration_ms) / 1000.0);
  out += "# HELP opsdesk_check_timestamp_seconds When the check ran.\n# TYPE opsdesk_check_timestamp_seconds gauge\n";
  for (const auto& r : results)
    out += fmt::format("opsdesk_check_timestamp_seconds{{check=\"{}\",system=\"{}\"}} {}\n", label(r.check), label(r.system), r.at);
  out += "# HELP opsdesk_check_perfdata A value the check measured (its perfdata).\n# TYPE opsdesk_check_perfdata gauge\n";
  for (const auto& r : results)
    for (const auto& p : r.perfdata)
      out += fmt::format("opsdesk_check_perfdata{{check=\"{}\",system=\"{}\",label=\"{}\",uom=\"{}\"}} {}\n", label(r.check),
                         label(r.system), label(metric_suffix(p.label)), label(p.uom), p.value);
  return out;
}

}  // namespace opsdesk::inspect
