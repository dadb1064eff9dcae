// The commands that move a ticket along: lifecycle actions, assign, set, comment, log-work, link.
#include "ticket_flow.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"
#include "ticket/json.hpp"
#include "ticket/reference.hpp"
#include "ticket/process.hpp"
#include "ticket/service.hpp"
#include "ticket/staff.hpp"

namespace opsdesk::cli {

namespace {

struct FlowOptions {
  std::string ref, at, note, reason, who, text, duration, to, kind;
  bool clear = false, cascade = false;
  OutputOptions out;
};

void print_ticket(Runtime& rt, const OutputOptions& out, const ticket::Ticket& t, const std::string& line) {
  print_object(rt, out, ticket::to_json(t), [&] { rt.out() << line << '\n'; });
}

// The options every ticket step takes; `cmd` is null when the command line does not name it.
std::shared_ptr<FlowOptions> add_flow(CLI::App* ticket, const Runtime& rt, const std::string& name,
                                      const std::string& help, CLI::App*& cmd) {
  auto o = std::make_shared<FlowOptions>();
  cmd = add_command(ticket, rt, name, help);
  if (!cmd) return o;
  cmd->add_option("ref", o->ref, "The ticket reference")->required();
  cmd->add_option("--at", o->at, "When it really happened, if earlier (\"14:05\", \"-25m\")");
  add_json_option(cmd, o->out);
  return o;
}

struct ActionSpec {
  ticket::Action action;
  const char* help;
};

void add_lifecycle(CLI::App* ticket, Runtime& rt, const ActionSpec& spec) {
  CLI::App* cmd = nullptr;
  auto o = add_flow(ticket, rt, std::string(ticket::action_name(spec.action)), spec.help, cmd);
  if (!cmd) return;
  switch (spec.action) {
    case ticket::Action::resolve:
      cmd->add_option("-r,--resolution", o->note, "What was done (required)")->required();
      cmd->add_flag("--cascade", o->cascade, "Problems: also resolve the open incidents caused by it");
      break;
    case ticket::Action::pend:
      choices(cmd->add_option("--reason", o->reason, "Who it waits for (customer pauses the SLA clock)")->required(), model::Names<model::PendingReason>::values);
      cmd->add_option("--note", o->note, "What the ticket waits for");
      break;
    case ticket::Action::reopen:
    case ticket::Action::cancel:
      cmd->add_option("--reason", o->note, "Why");
      break;
    default: break;
  }
  const auto action = spec.action;
  const char* permission =
      action == ticket::Action::close || action == ticket::Action::cancel ? "ticket.close" : "ticket.update";
  cmd->callback([&rt, o, action, permission] {
    ticket::TransitionOptions t;
    t.at = rt.parse_time_opt(o->at, "--at");
    if (!o->note.empty()) t.note = o->note;
    if (!o->reason.empty()) t.reason = model::parse<model::PendingReason>(o->reason);
    const auto ref = ticket::normalize_reference(o->ref);
    if (o->cascade) {
      if (t.at) throw Error(ErrorKind::usage, "--cascade resolves now; leave out --at");
      const auto resolved = rt.write(permission, [&](desk::Session& s) { return ticket::resolve_cascade(s, ref, o->note); });
      const output::Json j{{"ref", ref}, {"resolved_with_it", resolved}};
      print_object(rt, o->out, j, [&] {
        rt.out() << fmt::format("{}: resolved{}\n", ref, resolved.empty() ? "" : " with " + core::join(resolved, ", "));
      });
      return;
    }
    const auto r = rt.write(permission, [&](desk::Session& s) { return ticket::transition(s, action, ref, t); });
    print_ticket(rt, o->out, r.ticket,
                 fmt::format("{}: {} → {}", r.ticket.ref, model::name(r.from), model::name(r.ticket.status)));
  });
}

void add_assign(CLI::App* ticket, Runtime& rt) {
  CLI::App* cmd = nullptr;
  auto o = add_flow(ticket, rt, "assign", "Give a ticket to an engineer (or take it back with --clear)", cmd);
  if (!cmd) return;
  cmd->add_option("assignee", o->who, "The account that will work on it");
  cmd->add_flag("--clear", o->clear, "Leave it unassigned");
  cmd->callback([&rt, o] {
    if (o->who.empty() == !o->clear)
      throw Error(ErrorKind::usage, "give an ASSIGNEE or --clear (not both)");
    const auto ref = ticket::normalize_reference(o->ref);
    const auto at = rt.parse_time_opt(o->at, "--at");
    const auto notice = rt.config().staff.departure_notice;
    const auto [t, leaving] = rt.write("ticket.update", [&](desk::Session& s) {
      auto assigned = ticket::assign(s, ref, o->clear ? std::nullopt : std::optional(o->who), at);
      return std::pair{assigned, assigned.assignee ? ticket::departures(s.db, s.now, notice, assigned.assignee)
                                                   : std::vector<ticket::Departure>{}};
    });
    print_ticket(rt, o->out, t, fmt::format("{}: assigned to {}", t.ref, t.assignee.value_or("nobody")));
    for (const auto& d : leaving) rt.note("warning: " + ticket::describe(d, rt.now()));
  });
}

struct SetOptions {
  std::string ref;
  std::optional<std::string> title, description, priority, system, category, channel, reporter;
  std::optional<std::string> root_cause, workaround, risk, plan, rollback_plan, test_evidence, window_start, window_end,
      estimate;
  std::optional<bool> known_error;
  OutputOptions out;
};

std::optional<std::optional<core::Timestamp>> time_change(Runtime& rt, const std::optional<std::string>& v,
                                                          std::string_view option) {
  if (!v) return std::nullopt;
  if (v->empty() || *v == "none") return std::optional<core::Timestamp>{};
  return std::optional<core::Timestamp>{rt.parse_time(*v, option)};
}

void add_set(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<SetOptions>();
  auto* cmd = add_command(ticket, rt, "set", "Change a ticket's fields (an empty value clears an optional one)");
  if (!cmd) return;
  cmd->add_option("ref", o->ref, "The ticket reference")->required();
  cmd->add_option("--title", o->title, "A new title");
  cmd->add_option("-d,--description", o->description, "New details; '-' reads them from standard input");
  choices(cmd->add_option("-p,--priority", o->priority, "How urgent"), model::Names<model::Priority>::values);
  cmd->add_option("-s,--system", o->system, "The affected system");
  cmd->add_option("--category", o->category, "The category");
  choices(cmd->add_option("--channel", o->channel, "How it came in"), model::Names<model::Channel>::values);
  cmd->add_option("--reporter", o->reporter, "Who reported it");
  cmd->add_option("--root-cause", o->root_cause, "Problems: what caused it");
  cmd->add_option("--workaround", o->workaround, "Problems: how to live with it until it is fixed");
  cmd->add_option("--known-error", o->known_error, "Problems: true when the cause and a workaround are known");
  choices(cmd->add_option("--risk", o->risk, "Changes: the risk"), model::Names<model::Risk>::values);
  cmd->add_option("--plan", o->plan, "Changes: what will be done, step by step");
  cmd->add_option("--rollback-plan", o->rollback_plan, "Changes: how to go back if it fails");
  cmd->add_option("--test-evidence", o->test_evidence, "Changes: how it was tested (needed for a release)");
  cmd->add_option("--window-start", o->window_start, "Changes: when the work starts (becomes planned downtime)");
  cmd->add_option("--window-end", o->window_end, "Changes: when the work ends");
  cmd->add_option("--estimate", o->estimate, "Requests: the expected work (\"3d\", \"12h\")");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    ticket::ProcessFields p;
    p.root_cause = o->root_cause;
    p.workaround = o->workaround;
    p.known_error = o->known_error;
    if (o->risk) p.risk = model::parse<model::Risk>(*o->risk);
    p.plan = o->plan;
    p.rollback_plan = o->rollback_plan;
    p.test_evidence = o->test_evidence;
    p.window_start = time_change(rt, o->window_start, "--window-start");
    p.window_end = time_change(rt, o->window_end, "--window-end");
    if (o->estimate)
      p.estimate = o->estimate->empty() || *o->estimate == "none" ? std::optional<core::Seconds>{}
                                                                  : std::optional(core::parse_duration(*o->estimate));
    ticket::FieldChanges c;
    c.title = o->title;
    c.description = o->description && *o->description == "-" ? std::optional(core::read_stdin()) : o->description;
    if (o->priority) c.priority = model::parse<model::Priority>(*o->priority);
    c.system = o->system;
    c.category = o->category;
    c.channel = o->channel;
    c.reporter = o->reporter;
    const auto ref = ticket::normalize_reference(o->ref);
    if (c.empty() && p.empty())
      throw Error(ErrorKind::usage, "nothing to set; see `opsdesk ticket set --help` for the fields");
    const auto t = rt.write("ticket.update", [&](desk::Session& s) {
      if (!c.empty()) ticket::set_fields(s, ref, c);
      return p.empty() ? ticket::repo::get(s.db, ref) : ticket::set_process_fields(s, ref, p);
    });
    print_ticket(rt, o->out, t, fmt::format("{}: updated", t.ref));
  });
}

void add_comment(CLI::App* ticket, Runtime& rt) {
  CLI::App* cmd = nullptr;
  auto o = add_flow(ticket, rt, "comment", "Add a note to a ticket's history", cmd);
  if (!cmd) return;
  cmd->add_option("text", o->text, "The note; '-' reads it from standard input")->required();
  cmd->callback([&rt, o] {
    const auto ref = ticket::normalize_reference(o->ref);
    const auto at = rt.parse_time_opt(o->at, "--at");
    const auto text = o->text == "-" ? core::read_stdin() : o->text;
    const auto e = rt.write("ticket.comment", [&](desk::Session& s) { return ticket::comment(s, ref, text, at); });
    print_object(rt, o->out, ticket::to_json(e), [&] { rt.out() << fmt::format("{}: comment added\n", ref); });
  });
}

void add_log_work(CLI::App* ticket, Runtime& rt) {
  CLI::App* cmd = nullptr;
  auto o = add_flow(ticket, rt, "log-work", "Record time spent on a ticket (30m, 1h30m, 2d)", cmd);
  if (!cmd) return;
  cmd->add_option("duration", o->duration, "Time spent")->required();
  cmd->add_option("--note", o->note, "What the time went on");
  cmd->callback([&rt, o] {
    const auto ref = ticket::normalize_reference(o->ref);
    const auto at = rt.parse_time_opt(o->at, "--at");
    const auto spent = core::parse_duration(o->duration);
    const auto note = o->note.empty() ? std::nullopt : std::optional(o->note);
    const auto [total, flag] = rt.write("ticket.update", [&](desk::Session& s) {
      const auto sum = ticket::log_work(s, ref, spent, note, at);
      return std::pair{sum, ticket::work_flag(s, ticket::repo::get(s.db, ref))};
    });
    if (flag && flag->logged > flag->limit)
      rt.note(fmt::format("warning: {} has {} of work logged, more than the contract's small-development limit of {}",
                          ref, core::format_duration(flag->logged), core::format_duration(flag->limit)));
    const output::Json j{{"ref", ref}, {"logged", core::format_duration(spent)}, {"total", core::format_duration(total)}};
    print_object(rt, o->out, j, [&] {
      rt.out() << fmt::format("{}: logged {} (total {})\n", ref, core::format_duration(spent), core::format_duration(total));
    });
  });
}

void add_link(CLI::App* ticket, Runtime& rt) {
  CLI::App* cmd = nullptr;
  auto o = add_flow(ticket, rt, "link", "Link a ticket to another (an incident caused by a problem, ...)", cmd);
  if (!cmd) return;
  cmd->add_option("--to", o->to, "The other ticket")->required();
  choices(cmd->add_option("--kind", o->kind, "How they are linked (default relates)"), model::Names<model::LinkKind>::values);
  cmd->callback([&rt, o] {
    const auto ref = ticket::normalize_reference(o->ref);
    const auto to = ticket::normalize_reference(o->to);
    const auto kind = model::parse<model::LinkKind>(o->kind.empty() ? "relates" : o->kind);
    const auto l = rt.write("ticket.update", [&](desk::Session& s) { return ticket::link(s, ref, to, kind); });
    const output::Json j{{"from", l.from_ref}, {"to", l.to_ref}, {"kind", std::string(model::name(l.kind))}};
    print_object(rt, o->out, j,
                 [&] { rt.out() << fmt::format("{} {} {}\n", l.from_ref, model::name(l.kind), l.to_ref); });
  });
}

}  // namespace

void add_ticket_flow_commands(CLI::App* ticket, Runtime& rt) {
  static const ActionSpec k_actions[] = {
      {ticket::Action::ack, "Acknowledge a ticket (stops the response clock)"},
      {ticket::Action::start, "Start work on a ticket"},
      {ticket::Action::pend, "Put a ticket on hold, waiting for the customer, a vendor or something else"},
      {ticket::Action::resume, "Take a pending ticket up again"},
      {ticket::Action::resolve, "Resolve a ticket (stops the resolution clock)"},
      {ticket::Action::reopen, "Reopen a resolved or closed ticket"},
      {ticket::Action::close, "Close a resolved ticket"},
      {ticket::Action::cancel, "Cancel a ticket that needs no work"},
  };
  for (const auto& spec : k_actions) add_lifecycle(ticket, rt, spec);
  add_assign(ticket, rt);
  add_set(ticket, rt);
  add_comment(ticket, rt);
  add_log_work(ticket, rt);
  add_link(ticket, rt);
}

}  // namespace opsdesk::cli
