// The report as one HTML page: inline CSS, inline SVG charts, nothing fetched from anywhere.
#include <fmt/format.h>

#include <algorithm>
#include <sstream>

#include "core/strings.hpp"
#include "report/report.hpp"

namespace opsdesk::report {

namespace {

std::string esc(std::string_view text) { return core::html_escape(text); }

const char* colour_of(std::string_view priority) {
  if (priority == "urgent") return "#b71c1c";
  if (priority == "high") return "#ef6c00";
  if (priority == "medium") return "#1565c0";
  return "#78909c";
}

const std::vector<std::string> k_priorities = {"urgent", "high", "medium", "low"};

// Tickets opened per week, stacked by priority.
std::string weeks_chart(const Report& r) {
  if (r.weeks.empty()) return "";
  std::int64_t top = 1;
  for (const auto& w : r.weeks) {
    std::int64_t sum = 0;
    for (const auto& [p, n] : w.by_priority) sum += n;
    top = std::max(top, sum);
  }
  const int width = 640, height = 200, left = 40, bottom = 24;
  const double slot = static_cast<double>(width - left) / static_cast<double>(r.weeks.size());
  std::ostringstream svg;
  svg << fmt::format(R"(<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="Tickets opened per week by priority">)", width,
                     height + 20);
  svg << fmt::format(R"(<text x="{}" y="12" class="axis">{}</text>)", 0, top);
  svg << fmt::format(R"(<line x1="{0}" y1="{1}" x2="{2}" y2="{1}" class="base"/>)", left, height - bottom, width);
  for (std::size_t i = 0; i < r.weeks.size(); ++i) {
    double y = height - bottom;
    const double x = left + slot * static_cast<double>(i) + slot * 0.15;
    for (const auto& p : k_priorities) {
      const auto it = r.weeks[i].by_priority.find(p);
      if (it == r.weeks[i].by_priority.end() || it->second == 0) continue;
      const double h = (height - bottom - 16) * static_cast<double>(it->second) / static_cast<double>(top);
      y -= h;
      svg << fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" fill="{}"><title>{} {}</title></rect>)", x, y,
                         slot * 0.7, h, colour_of(p), it->second, p);
    }
    svg << fmt::format(R"(<text x="{:.1f}" y="{}" class="axis">{}</text>)", x, height - 8,
                       esc(core::format_local(r.weeks[i].start).substr(5, 5)));
  }
  double lx = left;
  for (const auto& p : k_priorities) {
    svg << fmt::format(R"(<rect x="{:.0f}" y="{}" width="10" height="10" fill="{}"/><text x="{:.0f}" y="{}" class="axis">{}</text>)", lx,
                       height + 6, colour_of(p), lx + 14, height + 15, p);
    lx += 90;
  }
  svg << "</svg>";
  return svg.str();
}

// Horizontal bars in percent against an aim line.
std::string percent_chart(const std::vector<std::pair<std::string, std::optional<double>>>& bars, double aim, const std::string& label) {
  if (bars.empty()) return "";
  double floor = 100;
  for (const auto& [name, v] : bars)
    if (v) floor = std::min(floor, *v);
  floor = std::max(0.0, std::min(aim, floor) - 5);
  floor = std::floor(floor / 5) * 5;
  const int width = 640, row = 22, left = 170, right = 60;
  const int height = static_cast<int>(bars.size()) * row + 30;
  auto x_of = [&](double v) { return left + (width - left - right) * (v - floor) / (100 - floor); };
  std::ostringstream svg;
  svg << fmt::format(R"(<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">)", width, height, esc(label));
  for (std::size_t i = 0; i < bars.size(); ++i) {
    const auto& [name, v] = bars[i];
    const double y = 8 + static_cast<double>(i) * row;
    svg << fmt::format(R"(<text x="0" y="{:.0f}" class="axis">{}</text>)", y + 13, esc(name));
    if (v) {
      svg << fmt::format(R"(<rect x="{}" y="{:.0f}" width="{:.1f}" height="{}" fill="{}"/>)", left, y, std::max(0.0, x_of(*v) - left), row - 6,
                         *v + 1e-9 >= aim ? "#2e7d32" : "#c62828");
      svg << fmt::format(R"(<text x="{:.1f}" y="{:.0f}" class="axis">{:.2f}%</text>)", std::min(x_of(*v), double(width - right)) + 4, y + 13, *v);
    } else {
      svg << fmt::format(R"(<text x="{}" y="{:.0f}" class="axis">no data</text>)", left + 4, y + 13);
    }
  }
  const double ax = x_of(aim);
  svg << fmt::format(R"(<line x1="{0:.1f}" y1="2" x2="{0:.1f}" y2="{1}" class="aim"/><text x="{2:.1f}" y="{3}" class="axis">aim {4:.0f}%</text>)", ax,
                     height - 18, ax - 20, height - 4, aim);
  svg << fmt::format(R"(<text x="{}" y="{}" class="axis">{:.0f}%</text></svg>)", left, height - 4, floor);
  return svg.str();
}

void table(std::ostringstream& out, const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
           const std::string& empty) {
  if (rows.empty()) {
    out << "<p class=\"empty\">" << esc(empty) << "</p>\n";
    return;
  }
  out << "<table><thead><tr>";
  for (const auto& h : header) out << "<th>" << esc(h) << "</th>";
  out << "</tr></thead><tbody>\n";
  for (const auto& row : rows) {
    out << "<tr>";
    for (const auto& c : row) out << "<td" << (c == "MISSED" ? " class=\"missed\"" : "") << ">" << esc(c) << "</td>";
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
}

}  // namespace

std::string render_html(const Report& r, const config::Config& config) {
  std::ostringstream out;
  const std::string title = fmt::format("{} service report, {}{}", r.desk, r.period.name, r.system ? " — " + *r.system : "");
  out << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" << esc(title) << "</title>\n<style>\n"
      << "@page { size: A4; margin: 15mm; }\n"
      << "body { font: 10.5pt/1.4 'DejaVu Sans', 'Noto Sans CJK SC', sans-serif; color: #222; max-width: 180mm; margin: 0 auto; }\n"
      << "h1 { font-size: 16pt; margin: 0 0 4pt; } h2 { font-size: 12.5pt; margin: 14pt 0 4pt; border-bottom: 1px solid #ccc; }\n"
      << "h3 { font-size: 11pt; margin: 10pt 0 4pt; }\n"
      << "table { border-collapse: collapse; width: 100%; margin: 4pt 0; page-break-inside: auto; }\n"
      << "th, td { border-bottom: 1px solid #e0e0e0; padding: 2pt 4pt; text-align: left; vertical-align: top; }\n"
      << "th { background: #f5f5f5; } tr { page-break-inside: avoid; }\n"
      << ".verdict { font-weight: bold; } .missed { color: #c62828; font-weight: bold; } .met { color: #2e7d32; }\n"
      << ".empty, .meta { color: #666; } .chart { width: 100%; height: auto; margin: 6pt 0; }\n"
      << ".axis { font-size: 9px; fill: #444; } .base { stroke: #999; } .aim { stroke: #222; stroke-dasharray: 4 3; }\n"
      << "section { page-break-inside: avoid; }\n</style></head><body>\n";
  out << "<h1>" << esc(title) << "</h1>\n";
  out << "<p class=\"meta\">" << esc(core::format_local(r.period.start).substr(0, 10)) << " to "
      << esc(core::format_local(r.period.end - 1).substr(0, 10)) << " · generated " << esc(core::format_local(r.generated_at))
      << (r.redacted ? " · redacted" : "") << "</p>\n";
  out << "<p class=\"verdict " << (r.targets_met() ? "met" : "missed") << "\">"
      << (r.targets_met() ? "Every contract target is met." : "A contract target is missed.") << "</p>\n";

  // The same tables as every other format, with the charts where they belong.
  bool open = false;
  for (const auto& sec : sections(r)) {
    const bool numbered = !sec.title.empty() && std::isdigit(static_cast<unsigned char>(sec.title.front()));
    if (numbered) {
      if (open) out << "</section>\n";
      out << "<section><h2>" << esc(sec.title) << "</h2>\n";
      open = true;
    } else {
      out << "<h3>" << esc(sec.title) << "</h3>\n";
    }
    for (const auto& n : sec.notes) out << "<p>" << esc(n) << "</p>\n";
    if (sec.title == "Tickets") out << weeks_chart(r) << "\n";
    if (sec.title == "2. SLA")
      for (const auto& [clock, aim] : {std::pair<std::string, double>{"response", config.report.acknowledged_on_time},
                                       std::pair<std::string, double>{"resolution", config.report.resolved_on_time}}) {
        std::vector<std::pair<std::string, std::optional<double>>> bars;
        for (const auto& x : r.sla)
          if (x.clock == clock) bars.emplace_back(x.priority + " " + clock, x.compliance);
        if (!bars.empty()) out << percent_chart(bars, aim, clock + " compliance") << "\n";
      }
    if (sec.title == "3. Availability") {
      std::vector<std::pair<std::string, std::optional<double>>> bars;
      for (const auto& a : r.availability) bars.emplace_back(a.system, a.percent);
      if (!bars.empty()) out << percent_chart(bars, config.report.availability, "availability per system") << "\n";
    }
    table(out, sec.header, sec.rows, sec.empty);
  }
  if (open) out << "</section>\n";
  out << "</body></html>\n";
  return out.str();
}

}  // namespace opsdesk::report
