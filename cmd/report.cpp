// opsdesk report [history]: the service report of a period, and the record of reports issued.
#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "account/permissions.hpp"
#include "core/hash.hpp"
#include "output/table.hpp"
#include "report/report.hpp"

namespace opsdesk::cli {

namespace {

struct ReportOptions {
  std::string period, since, until, system, format = "text", section, output;
  bool redact = false, record = false, no_fail = false;
  OutputOptions out;
};

}  // namespace

void add_report_command(CLI::App& app, Runtime& rt) {
  auto* group = app.add_subcommand("report", "The service report of a period: figures against the contract, problems, remediation");
  auto o = std::make_shared<ReportOptions>();
  group->add_option("--period", o->period, "2026-Q3, 2026-11 or 2026 (default: the last complete month)");
  group->add_option("--since", o->since, "Start of a custom period (with --until)");
  group->add_option("--until", o->until, "End of a custom period (exclusive)");
  group->add_option("--system", o->system, "Only this system's tickets and checks");
  group->add_option("--format", o->format, "text, markdown, json, csv or html")
      ->check(CLI::IsMember({"text", "markdown", "json", "csv", "html"}));
  group->add_option("--section", o->section, "csv: only this section's table");
  group->add_option("-o,--output", o->output, "Write to FILE instead of standard output");
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
    if (!o->section.empty() && o->format != "csv") throw Error(ErrorKind::usage, "--section is for --format csv");
    const std::optional<std::string> system = o->system.empty() ? std::nullopt : std::optional<std::string>(o->system);
    const auto r = rt.read("", [&](desk::Session& s) {
      if (s.role) account::require(s, "report.generate");  // a desk with no accounts yet: a valid, empty report
      return report::build(s.db, s.config, period, system, s.now, o->redact);
    });
    std::string text;
    if (o->format == "json") text = report::to_json(r).dump(2) + "\n";
    else if (o->format == "markdown") text = report::render_markdown(r);
    else if (o->format == "html") text = report::render_html(r, rt.config());
    else if (o->format == "csv") text = report::render_csv(r, o->section.empty() ? std::nullopt : std::optional<std::string>(o->section));
    else text = report::render_text(r);
    if (o->output.empty()) {
      rt.out() << text;
    } else {
      core::AtomicFile file(o->output);
      file.write(text);
      file.commit();
      rt.note(fmt::format("report written to {}", o->output));
    }
    if (o->record) {
      rt.write("report.generate", [&](desk::Session& s) {
        s.db.run("INSERT INTO reports(period, period_start, period_end, system, format, sha256, targets_met, at, actor, output) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 period.name, period.start, period.end, system, o->format, core::sha256_hex(text), r.targets_met(), s.now, s.actor,
                 o->output.empty() ? std::optional<std::string>() : std::optional<std::string>(o->output));
        s.audit("report.record", fmt::format("report:{}", period.name), std::nullopt,
                output::dump_compact(output::Json{{"period", period.name}, {"format", o->format}, {"sha256", core::sha256_hex(text)},
                                                  {"targets_met", r.targets_met()}}));
      });
    }
    if (!r.targets_met() && !o->no_fail) rt.exit_code = 1;
  });

  auto h = std::make_shared<OutputOptions>();
  auto* history = group->add_subcommand("history", "The reports recorded as issued");
  add_format_option(history, *h, {"table", "json", "jsonl", "csv", "tsv"});
  history->callback([&rt, h] {
    const auto records = rt.read("", [&](desk::Session& s) {
      if (s.role) account::require(s, "report.generate");
      output::Json list = output::Json::array();
      auto q = s.db.query("SELECT id, period, system, format, sha256, targets_met, at, actor, output FROM reports ORDER BY id");
      while (q.next())
        list.push_back({{"id", q.int64(0)}, {"period", q.text(1)}, {"system", q.is_null(2) ? output::Json(nullptr) : output::Json(q.text(2))},
                        {"format", q.text(3)}, {"sha256", q.text(4)}, {"targets_met", q.int64(5) != 0},
                        {"at", core::format_rfc3339(q.int64(6))}, {"actor", q.text(7)},
                        {"output", q.is_null(8) ? output::Json(nullptr) : output::Json(q.text(8))}});
      return list;
    });
    const output::Json sample{{"id", 0}, {"period", ""}, {"system", nullptr}, {"format", ""}, {"sha256", ""}, {"targets_met", true},
                              {"at", ""}, {"actor", ""}, {"output", nullptr}};
    print_records(rt, *h, records, sample, [&] {
      if (records.empty()) {
        rt.out() << "no reports recorded yet; `opsdesk report --record` records one as issued\n";
        return;
      }
      output::Table table({{"ID", true}, {"PERIOD"}, {"FORMAT"}, {"TARGETS"}, {"ISSUED"}, {"BY"}, {"SHA-256"}});
      for (const auto& x : records)
        table.add({{std::to_string(x["id"].get<int>())}, {x["period"].get<std::string>()}, {x["format"].get<std::string>()},
                   {x["targets_met"].get<bool>() ? "met" : "missed"}, {x["at"].get<std::string>()}, {x["actor"].get<std::string>()},
                   {x["sha256"].get<std::string>().substr(0, 12)}});
      table.render(rt.out(), rt.term());
    });
  });
}

}  // namespace opsdesk::cli
