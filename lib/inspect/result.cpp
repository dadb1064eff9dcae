#include "inspect/result.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

#include "core/strings.hpp"

namespace opsdesk::inspect {

namespace {

constexpr std::array<std::string_view, 4> k_names = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};

// Perfdata values are written in [-0-9.] only: no exponent, whatever the magnitude.
std::string number(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e18) return fmt::format("{}", static_cast<long long>(v));
  std::string s = fmt::format("{:.9f}", v);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::optional<double> to_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  double v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || ptr != s.data() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::string quote_label(const std::string& label) {
  if (label.find_first_of(" ='") == std::string::npos) return label;
  std::string out = "'";
  for (const char c : label) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

}  // namespace

std::string_view state_name(State s) { return k_names[static_cast<std::size_t>(s)]; }

std::optional<State> state_of(std::string_view name) {
  const std::string upper = [&] {
    std::string u(core::trim(name));
    for (auto& c : u) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return u;
  }();
  for (std::size_t i = 0; i < k_names.size(); ++i)
    if (k_names[i] == upper) return static_cast<State>(i);
  return std::nullopt;
}

State worse(State a, State b) {
  auto rank = [](State s) {
    switch (s) {
      case State::ok: return 0;
      case State::unknown: return 1;
      case State::warning: return 2;
      case State::critical: return 3;
    }
    return 1;
  };
  return rank(a) >= rank(b) ? a : b;
}

std::string format_perfdata(const std::vector<Perfdatum>& perfdata) {
  std::string out;
  for (const auto& p : perfdata) {
    if (!out.empty()) out += ' ';
    out += fmt::format("{}={}{};{};{};{};{}", quote_label(p.label), number(p.value), p.uom, p.warn, p.crit,
                       p.min ? number(*p.min) : "", p.max ? number(*p.max) : "");
    while (out.back() == ';') out.pop_back();  // empty trailing fields may be dropped
  }
  return out;
}

std::vector<Perfdatum> parse_perfdata(std::string_view text) {
  std::vector<Perfdatum> out;
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')) ++i;
    if (i >= text.size()) break;
    Perfdatum p;
    bool ok = true;
    if (text[i] == '\'') {
      ++i;
      while (i < text.size()) {
        if (text[i] == '\'') {
          if (i + 1 < text.size() && text[i + 1] == '\'') {
            p.label += '\'';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        p.label += text[i++];
      }
      if (i >= text.size() || text[i] != '=') ok = false;
    } else {
      while (i < text.size() && text[i] != '=' && text[i] != ' ') p.label += text[i++];
      if (i >= text.size() || text[i] != '=') continue;  // a word without '=': skip just that word
    }
    // The rest of this item: up to the next space.
    const std::size_t start = i < text.size() ? i + 1 : i;
    std::size_t end = start;
    while (end < text.size() && text[end] != ' ' && text[end] != '\t' && text[end] != '\n') ++end;
    i = end;
    if (!ok || p.label.empty()) continue;
    const auto fields = core::split(text.substr(start, end - start), ';');
    std::string_view value = fields[0];
    std::size_t v = 0;
    while (v < value.size() && ((value[v] >= '0' && value[v] <= '9') || value[v] == '-' || value[v] == '.')) ++v;
    const auto number_part = to_number(value.substr(0, v));
    if (!number_part) continue;  // "U" (unknown) and junk are skipped
    p.value = *number_part;
    p.uom = std::string(value.substr(v));
    if (fields.size() > 1) p.warn = fields[1];
    if (fields.size() > 2) p.crit = fields[2];
    if (fields.size() > 3) p.min = to_number(fields[3]);
    if (fields.size() > 4) p.max = to_number(fields[4]);
    out.push_back(std::move(p));
  }
  return out;
}

PluginOutput parse_plugin_output(std::string_view text) {
  PluginOutput o;
  const auto lines = core::split_lines(text);
  std::string perf;
  bool in_perf = false;  // after a '|' on a later line, the rest is perfdata
  for (std::size_t n = 0; n < lines.size(); ++n) {
    std::string_view line = lines[n];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (in_perf) {
      perf += ' ';
      perf += line;
      continue;
    }
    const auto bar = line.find('|');
    const auto before = line.substr(0, bar);
    if (n == 0) o.summary = std::string(core::trim(before));
    else o.long_output += std::string(before) + "\n";
    if (bar != std::string_view::npos) {
      perf += ' ';
      perf += line.substr(bar + 1);
      if (n > 0) in_perf = true;
    }
  }
  while (!o.long_output.empty() && o.long_output.back() == '\n') o.long_output.pop_back();
  o.perfdata = parse_perfdata(perf);
  return o;
}

}  // namespace opsdesk::inspect
