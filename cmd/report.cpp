// opsdesk report [history]: the service report of a period, and the record of reports issued.
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "model/vocabulary.hpp"
#include "account/permissions.hpp"
#include "output/table.hpp"
#include "report/report.hpp"

namespace opsdesk::cli {

namespace {

struct ReportOptions {
  std::string period, since, until, system, format = "text", section, output;
  bool redact = false, record = false, no_fail = false;
  OutputOptions out;
};

const std::vector<std::string> k_report_formats = {"text", "markdown", "json", "csv", "html"};

// --output with "{period}" replaced by the period's name, made safe for a file name
// ("report-{period}.html" → "report-2026-10.html"), so a monthly cron line needs no date sums.
std::string output_path(std::string path, const core::Period& period) {
  std::string name = period.name;
  for (char& c : name)
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-')) c = '_';
  for (auto at = path.find("{period}"); at != std::string::npos; at = path.find("{period}", at + name.size()))
    path.replace(at, 8, name);
  return path;
}

}  // namespace

void add_report_command(CLI::App& app, Runtime& rt) {
  auto* group = app.add_subcommand("report", "The service report of a period: figures against the contract, problems, remediation");
  auto o = std::make_shared<ReportOptions>();
  group->add_option("--period", o->period, "2026-Q3, 2026-11 or 2026 (default: the last complete month)");
  group->add_option("--since", o->since, "Start of a custom period (with --until)");
  group->add_option("--until", o->until, "End of a custom period (exclusive)");
  group->add_option("--system", o->system, "Only this system's tickets and checks");
  choices(group->add_option("--format", o->format, "Output format (default text)"), k_report_formats);
  group->add_option("--section", o->section, "csv: only this section's table");
  add_json_option(group, o->out);
  group->add_option("-o,--output", o->output, "Write to FILE instead of standard output; {period} in it becomes the period (2026-10)");
  group->add_flag("--redact", o->redact, "Replace customer-identifying text (titles, causes, root causes)");
  group->add_flag("--record", o->record, "Record the report as issued (period, format, SHA-256, who, when)");
  group->add_flag("--no-fail", o->no_fail, "Exit 0 even when a contract target is missed");
  group->callback([&rt, o, group] {
    if (!group->get_subcommands().empty()) return;
    core::Period period;
    if (!o->since.empty() || !o->until.empty()) {
      if (o->since.empty() || o->until.empty() || !o->period.empty())
        throw Error(ErrorKind::usage, "give --since and --until together (and not --period)");
      period = {rt.parse_time(o->since, "--since"), rt.parse_time(o->until, "--until"), ""};
      if (period.end <= period.start) throw Error(ErrorKind::usage, "--until must be after --since");
      period.name = fmt::format("{} to {}", core::format_local(period.start), core::format_local(period.end));
    } else {
      period = o->period.empty() ? report::default_period(rt.now()) : report::period_of(o->period);
    }
    if (o->out.json) o->format = "json";
    check_choice("format", o->format, k_report_formats);
    if (!o->section.empty() && o->format != "csv") throw Error(ErrorKind::usage, "--section is for --format csv");
    const std::optional<std::string> system = o->system.empty() ? std::nullopt : std::optional<std::string>(o->system);
    const auto r = rt.read("", [&](desk::Session& s) {
      if (s.role) account::require(s, "report.generate");  // a desk with no accounts yet: a valid, empty report
      return report::build(s.db, s.config, period, system, s.now, o->redact);
    });
    std::string text;
    if (o->format == "json") text = output::select_fields(report::to_json(r), chosen_fields(o->out)).dump(2) + "\n";
    else if (o->format == "markdown") text = report::render_markdown(r);
    else if (o->format == "html") text = report::render_html(r, rt.config());
    else if (o->format == "csv") text = report::render_csv(r, o->section.empty() ? std::nullopt : std::optional<std::string>(o->section));
    else text = report::render_text(r);
    const std::string output = output_path(o->output, period);
    if (output.empty()) {
      rt.out() << text;
    } else {
      core::AtomicFile file(output);
      file.write(text);
      file.commit();
      rt.note(fmt::format("report written to {}", output));
    }
    if (o->record)
      rt.write("report.generate", [&](desk::Session& s) {
        report::record_issued(s, r, o->format, text, output.empty() ? std::nullopt : std::optional<std::string>(output));
      });
    if (!r.targets_met() && !o->no_fail) rt.exit_code = 1;
  });

  auto h = std::make_shared<OutputOptions>();
  auto* history = group->add_subcommand("history", "The reports recorded as issued");
  add_format_option(history, *h, {"table", "json", "jsonl", "csv", "tsv"});
  history->callback([&rt, h] {
    const auto reports = rt.read("", [&](desk::Session& s) {
      if (s.role) account::require(s, "report.generate");
      return report::issued(s.db);
    });
    output::Json records = output::Json::array();
    for (const auto& i : reports) records.push_back(report::to_json(i));
    const auto sample = report::to_json(report::Issued{});
    print_records(rt, *h, records, sample, [&] {
      if (records.empty()) {
        rt.out() << "no reports recorded yet; `opsdesk report --record` records one as issued\n";
        return;
      }
      output::Table table({{"ID", true}, {"PERIOD"}, {"FORMAT"}, {"TARGETS"}, {"ISSUED"}, {"BY"}, {"SHA-256"}});
      for (const auto& i : reports)
        table.add({{std::to_string(i.id)}, {i.period}, {i.format}, {i.targets_met ? "met" : "missed"}, {core::format_rfc3339(i.at)},
                   {i.actor}, {i.sha256.substr(0, 12)}});
      table.render(rt.out(), rt.term());
    });
  });
}

}  // namespace opsdesk::cli
