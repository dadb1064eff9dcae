// opsdesk ticket onsite|extend|extension|submit|approve|reject|implement|review|release|
// sign|survey|record|sla: the service processes on top of the lifecycle.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "account/permissions.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "output/table.hpp"
#include "ticket/clocks.hpp"
#include "ticket/json.hpp"
#include "ticket/process.hpp"
#include "ticket/record.hpp"
#include "ticket/reference.hpp"
#include "ticket/repository.hpp"
#include "ticket_flow.hpp"

namespace opsdesk::cli {

namespace {

struct ProcessOptions {
  std::string ref, arrived, mitigated, by, reason, note, format = "text", output, comment;
  std::int64_t id = 0;
  int score = 0;
  OutputOptions out;
};

const std::vector<std::string> k_record_formats = {"text", "markdown", "html"};

// A command on one ticket; null when the command line does not name it (see add_command).
CLI::App* with_ref(CLI::App* parent, const Runtime& rt, const std::string& name, const std::string& help,
                   ProcessOptions& o) {
  auto* cmd = add_command(parent, rt, name, help);
  if (!cmd) return nullptr;
  cmd->add_option("ref", o.ref, "The ticket reference")->required();
  return cmd;
}

output::Json extension_json(const ticket::Extension& x) {
  return output::Json{{"id", x.id},
                      {"by", core::format_duration(x.seconds)},
                      {"reason", x.reason},
                      {"status", x.status},
                      {"requested_by", x.requested_by},
                      {"decided_by", x.decided_by ? output::Json(*x.decided_by) : output::Json(nullptr)}};
}

output::Json clock_json(const sla::ClockStatus& c) {
  auto time = [](const std::optional<core::Timestamp>& t) {
    return t ? output::Json(core::format_rfc3339(*t)) : output::Json(nullptr);
  };
  return output::Json{{"clock", std::string(sla::clock_name(c.clock))},
                      {"state", std::string(sla::state_name(c.state))},
                      {"at_risk", c.at_risk},
                      {"start", core::format_rfc3339(c.start)},
                      {"target_seconds", c.target},
                      {"elapsed_seconds", c.elapsed},
                      {"paused_seconds", c.paused},
                      {"remaining_seconds", c.remaining()},
                      {"deadline", time(c.deadline)},
                      {"stopped_at", time(c.stopped_at)},
                      {"breached_at", time(c.breached_at)}};
}

output::Color state_color(const sla::ClockStatus& c) {
  if (c.state == sla::State::breached) return output::Color::red;
  if (c.at_risk) return output::Color::yellow;
  if (c.state == sla::State::met) return output::Color::green;
  if (c.state == sla::State::paused) return output::Color::magenta;
  return output::Color::none;
}

void add_onsite(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<ProcessOptions>();
  auto* cmd = with_ref(ticket, rt, "onsite", "Record arrival on site and the emergency measures (on-site SLA clocks)", *o);
  if (!cmd) return;
  cmd->add_option("--arrived", o->arrived, "When the engineer arrived (\"now\", \"14:05\")");
  cmd->add_option("--mitigated", o->mitigated, "When the emergency measures were in place");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const auto ref = ticket::normalize_reference(o->ref);
    const auto arrived = rt.parse_time_opt(o->arrived, "--arrived");
    const auto mitigated = rt.parse_time_opt(o->mitigated, "--mitigated");
    const auto t = rt.write("ticket.update", [&](desk::Session& s) { return ticket::record_onsite(s, ref, arrived, mitigated); });
    print_object(rt, o->out, ticket::to_json(t), [&] {
      rt.out() << fmt::format("{}: {}{}\n", t.ref, arrived ? "arrived on site" : "",
                              mitigated ? (arrived ? ", emergency measures in place" : "emergency measures in place") : "");
    });
  });
}

void add_extend(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<ProcessOptions>();
  auto* cmd = with_ref(ticket, rt, "extend", "Ask for more time on the resolution clock (the customer consents for high/medium)", *o);
  if (cmd) {
    cmd->add_option("--by", o->by, "How much more (\"4h\")")->required();
    cmd->add_option("--reason", o->reason, "Why the customer should agree")->required();
    add_json_option(cmd, o->out);
    cmd->callback([&rt, o] {
      const auto ref = ticket::normalize_reference(o->ref);
      const auto by = core::parse_duration(o->by);
      const auto x = rt.write("sla.extend.request", [&](desk::Session& s) { return ticket::request_extension(s, ref, by, o->reason); });
      print_object(rt, o->out, extension_json(x), [&] {
        if (x.status == "approved") rt.out() << fmt::format("{}: extension {} of {} granted\n", ref, x.id, core::format_duration(x.seconds));
        else rt.out() << fmt::format("{}: extension {} of {} requested; the customer decides: opsdesk ticket extension approve {}\n",
                                     ref, x.id, core::format_duration(x.seconds), ref);
      });
    });
  }

  auto* group = ticket->add_subcommand("extension", "Decide an SLA extension request");
  group->require_subcommand(1);
  for (const bool approve : {true, false}) {
    auto d = std::make_shared<ProcessOptions>();
    auto* decide = with_ref(group, rt, approve ? "approve" : "reject",
                            approve ? "Consent to the extension (customer role for high/medium)" : "Refuse the extension", *d);
    if (!decide) continue;
    decide->add_option("--id", d->id, "Which request, if there are several");
    add_json_option(decide, d->out);
    decide->callback([&rt, d, approve] {
      const auto ref = ticket::normalize_reference(d->ref);
      const auto id = d->id > 0 ? std::optional(d->id) : std::nullopt;
      const auto x = rt.write("", [&](desk::Session& s) { return ticket::decide_extension(s, ref, approve, id); });
      print_object(rt, d->out, extension_json(x), [&] {
        rt.out() << fmt::format("{}: extension {} of {} {}\n", ref, x.id, core::format_duration(x.seconds), x.status);
      });
    });
  }
}

void add_steps(CLI::App* ticket, Runtime& rt) {
  struct Spec {
    ticket::Step step;
    const char* help;
    const char* permission;  // empty: the step checks the approver's permission itself
  };
  static const Spec k_steps[] = {
      {ticket::Step::submit, "Submit a change or release for approval", "ticket.update"},
      {ticket::Step::approve, "Approve a change (its window becomes planned downtime) or a release", ""},
      {ticket::Step::reject, "Reject a change or release", ""},
      {ticket::Step::implement, "Mark an approved change implemented (refused unless approved)", "ticket.update"},
      {ticket::Step::review, "Close an implemented change with its review", "ticket.update"},
      {ticket::Step::release, "Release: refused unless every linked change is approved, implemented and tested", "ticket.update"},
  };
  for (const auto& spec : k_steps) {
    auto o = std::make_shared<ProcessOptions>();
    auto* cmd = with_ref(ticket, rt, std::string(ticket::step_name(spec.step)), spec.help, *o);
    if (!cmd) continue;
    cmd->add_option("--note", o->note, "A note for the history (review findings, reason for rejection)");
    add_json_option(cmd, o->out);
    cmd->callback([&rt, o, spec] {
      const auto ref = ticket::normalize_reference(o->ref);
      const auto note = o->note.empty() ? std::nullopt : std::optional(o->note);
      const auto t = rt.write(spec.permission, [&](desk::Session& s) { return ticket::advance(s, spec.step, ref, note); });
      print_object(rt, o->out, ticket::to_json(t), [&] { rt.out() << fmt::format("{}: {}\n", t.ref, model::name(t.status)); });
    });
  }
}

void add_sign_survey(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<ProcessOptions>();
  auto* sign = with_ref(ticket, rt, "sign", "Sign the service record (as the engineer, or as the customer)", *o);
  if (sign) {
    add_json_option(sign, o->out);
    sign->callback([&rt, o] {
      const auto ref = ticket::normalize_reference(o->ref);
      const auto sig = rt.write("ticket.sign", [&](desk::Session& s) { return ticket::sign(s, ref); });
      const output::Json j{{"ref", ref}, {"party", sig.party}, {"signer", sig.signer}, {"sha256", sig.sha256}};
      print_object(rt, o->out, j, [&] {
        rt.out() << fmt::format("{}: service record signed for the {} by {} (sha256 {})\n", ref, sig.party, sig.signer,
                                sig.sha256.substr(0, 16));
      });
    });
  }

  auto v = std::make_shared<ProcessOptions>();
  auto* survey = with_ref(ticket, rt, "survey", "Record the customer's satisfaction with a resolved ticket", *v);
  if (!survey) return;
  survey->add_option("--score", v->score, "1 (poor) to 5 (excellent)")->required();
  survey->add_option("--comment", v->comment, "What the customer said");
  survey->callback([&rt, v] {
    const auto ref = ticket::normalize_reference(v->ref);
    const auto comment = v->comment.empty() ? std::nullopt : std::optional(v->comment);
    rt.write("ticket.survey", [&](desk::Session& s) { ticket::survey(s, ref, v->score, comment); });
    rt.out() << fmt::format("{}: satisfaction {}/5 recorded\n", ref, v->score);
  });
}

void add_record(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<ProcessOptions>();
  auto* cmd = with_ref(ticket, rt, "record", "Render the service record form (who, when, what, time spent, SLA outcome)", *o);
  if (!cmd) return;
  choices(cmd->add_option("--format", o->format, "Output format (default text)"), k_record_formats);
  cmd->add_option("-o,--output", o->output, "Write to this file (0600) instead of stdout");
  cmd->callback([&rt, o] {
    const auto ref = ticket::normalize_reference(o->ref);
    check_choice("format", o->format, k_record_formats);
    const auto format = o->format == "markdown" ? ticket::RecordFormat::markdown
                        : o->format == "html"   ? ticket::RecordFormat::html
                                                : ticket::RecordFormat::text;
    const auto text = rt.read("ticket.read", [&](desk::Session& s) {
      return ticket::render_record(ticket::service_record(s.db, s.config, ref, s.now), format);
    });
    if (o->output.empty()) rt.out() << text;
    else core::write_file_atomic(o->output, text);
  });
}

void add_sla(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<ProcessOptions>();
  auto* cmd = with_ref(ticket, rt, "sla", "Each SLA clock: target, deadline, elapsed, paused, state and remaining", *o);
  if (!cmd) return;
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const auto ref = ticket::normalize_reference(o->ref);
    const auto [t, clocks, ext] = rt.read("ticket.read", [&](desk::Session& s) {
      const auto found = ticket::repo::get(s.db, ref);
      return std::tuple{found, ticket::clocks(s.db, s.config, found, s.now),
                        ticket::extensions(ticket::repo::events(s.db, found.id))};
    });
    output::Json list = output::Json::array();
    for (const auto& c : clocks) list.push_back(clock_json(c));
    output::Json exts = output::Json::array();
    for (const auto& x : ext) exts.push_back(extension_json(x));
    const output::Json j{{"ref", t.ref}, {"priority", std::string(model::name(t.priority))}, {"clocks", list}, {"extensions", exts}};
    print_object(rt, o->out, j, [&] {
      if (clocks.empty()) {
        rt.out() << fmt::format("{}: {} tickets run no SLA clocks\n", t.ref, model::name(t.type));
        return;
      }
      output::Table table({{"CLOCK"}, {"STATE"}, {"TARGET", true}, {"ELAPSED", true}, {"PAUSED", true},
                           {"REMAINING", true}, {"DEADLINE"}});
      for (const auto& c : clocks) {
        std::string state(sla::state_name(c.state));
        if (c.at_risk) state += " (at risk)";
        const std::string deadline = c.deadline ? fmt::format("{} ({})", core::format_local(*c.deadline),
                                                              core::format_relative(*c.deadline, rt.now()))
                                     : c.stopped_at ? "stopped " + core::format_local(*c.stopped_at)
                                                    : "-";
        table.add({{std::string(sla::clock_name(c.clock))}, {state, state_color(c)}, {core::format_duration(c.target)},
                   {core::format_duration(c.elapsed)}, {core::format_duration(c.paused)},
                   {core::format_duration(c.remaining())}, {deadline}});
      }
      rt.out() << fmt::format("{}  {}  {}\n", t.ref, model::name(t.priority), model::name(t.status));
      table.render(rt.out(), rt.term());
      for (const auto& x : ext)
        rt.out() << fmt::format("extension {}: {} {} by {} — {}\n", x.id, core::format_duration(x.seconds), x.status,
                                x.decided_by.value_or(x.requested_by), x.reason);
    });
  });
}

}  // namespace

void add_ticket_process_commands(CLI::App* ticket, Runtime& rt) {
  add_onsite(ticket, rt);
  add_extend(ticket, rt);
  add_steps(ticket, rt);
  add_sign_survey(ticket, rt);
  add_record(ticket, rt);
  add_sla(ticket, rt);
}

}  // namespace opsdesk::cli
