// opsdesk ticket new|list|show|import|export; the lifecycle commands are in ticket_flow.cpp.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "common.hpp"
#include "output/progress.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"
#include "ticket/json.hpp"
#include "ticket/process.hpp"
#include "ticket/reference.hpp"
#include "ticket/service.hpp"
#include "ticket/staff.hpp"
#include "ticket/transfer.hpp"
#include "ticket_flow.hpp"
#include "ticket_view.hpp"

namespace opsdesk::cli {

namespace {

template <typename E>
std::vector<E> parse_list(const std::string& text) {
  std::vector<E> out;
  for (const auto& part : core::split(text, ',')) {
    if (!core::trim(part).empty()) out.push_back(model::parse<E>(part));
  }
  return out;
}

std::optional<std::string> opt(const std::string& s) { return s.empty() ? std::nullopt : std::optional(s); }

struct NewOptions {
  std::string title, type, priority, system, category, channel, reporter, assignee, description, at, estimate;
  OutputOptions out;
};

void add_new(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<NewOptions>();
  auto* cmd = add_command(ticket, rt, "new", "Open a ticket and print its reference");
  if (!cmd) return;
  cmd->add_option("title", o->title, "A short summary")->required();
  choices(cmd->add_option("-t,--type", o->type, "The kind of ticket"), model::Names<model::TicketType>::values);
  choices(cmd->add_option("-p,--priority", o->priority, "How urgent (default from config: medium)"), model::Names<model::Priority>::values);
  cmd->add_option("-s,--system", o->system, "The affected system (erp, mail, ...)");
  cmd->add_option("--category", o->category, "A category for reports (network, database, ...)");
  choices(cmd->add_option("--channel", o->channel, "How it came in"), model::Names<model::Channel>::values);
  cmd->add_option("--reporter", o->reporter, "Who reported it");
  cmd->add_option("-a,--assignee", o->assignee, "Who works on it (an account)");
  cmd->add_option("-d,--description", o->description, "Details; '-' reads them from standard input");
  cmd->add_option("--at", o->at, "When it was reported, if earlier (\"02:10\", \"-20m\", \"2026-11-25 02:10\")");
  cmd->add_option("--estimate", o->estimate, "Requests: the expected work (\"3d\", \"12h\")");
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    ticket::NewTicket r;
    if (!o->estimate.empty()) r.estimate = core::parse_duration(o->estimate);
    const auto& cfg = rt.config();
    r.type = o->type.empty() ? cfg.ticket.default_type : model::parse<model::TicketType>(o->type);
    r.priority = o->priority.empty() ? cfg.ticket.default_priority : model::parse<model::Priority>(o->priority);
    r.title = o->title;
    r.description = o->description == "-" ? core::read_stdin() : o->description;
    r.system = opt(o->system);
    r.category = opt(o->category);
    if (!o->channel.empty()) r.channel = model::parse<model::Channel>(o->channel);
    r.reporter = opt(o->reporter);
    r.assignee = opt(o->assignee);
    r.at = rt.parse_time_opt(o->at, "--at");
    const auto [t, flag] = rt.write("ticket.create", [&](desk::Session& s) {
      auto created = ticket::create(s, r);
      return std::pair{created, ticket::work_flag(s, created)};
    });
    print_object(rt, o->out, ticket::to_json(t), [&] { rt.out() << t.ref << '\n'; });
    if (flag)
      rt.note(fmt::format("warning: {} is estimated at {}, more than the contract's small-development limit of {}",
                          t.ref, core::format_duration(flag->estimate), core::format_duration(flag->limit)));
  });
}

struct ListOptions {
  std::string status = "open", type, priority, assignee, system, search, since, until, sort = "created", due_within;
  bool breached = false, at_risk = false, unsigned_only = false, status_given = false;
  std::int64_t limit = 100;
  OutputOptions out;
};

void add_filter_options(CLI::App* cmd, ListOptions& o, const std::string& default_status) {
  o.status = default_status;
  cmd->add_option("--status", o.status, "open (not closed or cancelled), all, or statuses: new,pending,...")
      ->default_str(default_status)
      ->each([&o](const std::string&) { o.status_given = true; });
  choices(cmd->add_option("--type", o.type, "Only these types (comma-separated)"), model::Names<model::TicketType>::values);
  choices(cmd->add_option("--priority", o.priority, "Only these priorities (comma-separated)"), model::Names<model::Priority>::values);
  cmd->add_option("--assignee", o.assignee, "Only tickets assigned to this account");
  cmd->add_option("--system", o.system, "Only tickets of this system");
  cmd->add_option("--search", o.search, "Text in the title or description");
  cmd->add_option("--since", o.since, "Created at or after this time");
  cmd->add_option("--until", o.until, "Created before this time");
  cmd->add_flag("--breached", o.breached, "Only tickets with a breached SLA clock (any status unless --status)");
  cmd->add_flag("--at-risk", o.at_risk, "Only tickets with a running clock past its warning share");
  cmd->add_option("--due-within", o.due_within, "Only tickets with a running clock due within this (\"1h\")");
  cmd->add_flag("--unsigned", o.unsigned_only, "Only resolved or closed tickets whose service record lacks a signature");
}

ticket::repo::ListFilter make_filter(Runtime& rt, const ListOptions& o) {
  ticket::repo::ListFilter f;
  const auto status = core::to_lower(core::trim(o.status));
  // A breach or a missing signature is history: look at every status unless told otherwise.
  const bool history = (o.breached || o.unsigned_only) && status == "open" && !o.status_given;
  f.open_only = status == "open" && !history;
  if (status != "open" && status != "all") f.statuses = parse_list<model::Status>(status);
  f.types = parse_list<model::TicketType>(o.type);
  f.priorities = parse_list<model::Priority>(o.priority);
  f.assignee = opt(o.assignee);
  f.system = opt(o.system);
  f.search = opt(o.search);
  f.since = rt.parse_time_opt(o.since, "--since");
  f.until = rt.parse_time_opt(o.until, "--until");
  f.breached = o.breached;
  f.at_risk = o.at_risk;
  f.unsigned_only = o.unsigned_only;
  if (!o.due_within.empty()) f.due_within = core::parse_duration(o.due_within);
  f.now = rt.now();
  if (o.sort == "created") f.sort = ticket::repo::SortKey::created;
  else if (o.sort == "updated") f.sort = ticket::repo::SortKey::updated;
  else if (o.sort == "priority") f.sort = ticket::repo::SortKey::priority;
  else if (o.sort == "ref") f.sort = ticket::repo::SortKey::ref;
  else model::throw_unknown("sort key", o.sort, {"created", "updated", "priority", "ref"});
  if (o.limit < 0) throw Error(ErrorKind::usage, fmt::format("--limit {}; expected 0 (all) or more", o.limit));
  f.limit = o.limit;
  return f;
}

void add_list(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<ListOptions>();
  auto* cmd = add_command(ticket, rt, "list", "List tickets, newest first (open ones unless --status says otherwise)");
  if (!cmd) return;
  add_filter_options(cmd, *o, "open");
  choices(cmd->add_option("--sort", o->sort, "Order (default created)"), std::vector<std::string>{"created", "updated", "priority", "ref"});
  cmd->add_option("-L,--limit", o->limit, "At most N tickets (0: all)")->default_str("100");
  add_format_option(cmd, o->out, {"table", "json", "jsonl", "csv", "tsv"});
  cmd->callback([&rt, o] {
    auto f = make_filter(rt, *o);
    const std::int64_t asked = f.limit;
    if (asked > 0) f.limit = asked + 1;  // one more tells whether the list was cut
    const auto notice = rt.config().staff.departure_notice;
    auto [tickets, leaving] = rt.read("ticket.read", [&](desk::Session& s) {
      auto found = ticket::repo::list(s.db, f);
      return std::pair{found, f.assignee ? ticket::departures(s.db, s.now, notice, f.assignee)
                                         : std::vector<ticket::Departure>{}};
    });
    const bool cut = asked > 0 && static_cast<std::int64_t>(tickets.size()) > asked;
    if (cut) tickets.pop_back();
    output::Json records = output::Json::array();
    for (const auto& t : tickets) records.push_back(ticket::to_json(t));
    print_records(rt, o->out, records, ticket::to_json(ticket::Ticket{}), [&] { render_ticket_table(rt.out(), rt.term(), tickets, rt.now()); });
    for (const auto& d : leaving) rt.note("warning: " + ticket::describe(d, rt.now()));
    if (cut && rt.term().stderr_tty)
      rt.note(fmt::format("showing the first {}; --limit N shows more, --limit 0 all", asked));
  });
}

void add_show(CLI::App* ticket, Runtime& rt) {
  auto ref = std::make_shared<std::string>();
  auto out = std::make_shared<OutputOptions>();
  auto* cmd = add_command(ticket, rt, "show", "Show a ticket with its full history");
  if (!cmd) return;
  cmd->add_option("ref", *ref, "The ticket reference (INC-2026-000042)")->required();
  add_json_option(cmd, *out);
  cmd->callback([&rt, ref, out] {
    const auto r = ticket::normalize_reference(*ref);
    const auto d = rt.read("ticket.read", [&](desk::Session& s) { return ticket::detail(s.db, r); });
    print_object(rt, *out, ticket::to_json(d), [&] { render_ticket_detail(rt.out(), rt.term(), d, rt.now()); });
  });
}

struct TransferOptions {
  std::string file, format, output;
  ListOptions filter;
  OutputOptions out;
};

const std::vector<std::string> k_transfer_formats = {"jsonl", "csv"};

ticket::TransferFormat transfer_format(const std::string& name) {
  check_choice("format", name, k_transfer_formats);
  return name == "csv" ? ticket::TransferFormat::csv : ticket::TransferFormat::jsonl;
}

void add_import(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<TransferOptions>();
  auto* cmd = add_command(ticket, rt, "import", "Import tickets from JSONL or CSV (all or none)");
  if (!cmd) return;
  cmd->add_option("file", o->file, "The file, or - for standard input")->required();
  choices(cmd->add_option("--format", o->format, "The file's format (default: from the file name, or sniffed)"), k_transfer_formats);
  add_json_option(cmd, o->out);
  cmd->callback([&rt, o] {
    const core::InputFile input(o->file);
    const auto text = input.view();
    const auto format = o->format.empty() ? ticket::detect_format(o->file, text) : transfer_format(o->format);
    const std::string origin = o->file == "-" ? "<stdin>" : o->file;
    const auto r = rt.write("ticket.import", [&](desk::Session& s) {
      const output::Activity activity(std::cerr, rt.term().stderr_tty, "importing " + origin);
      return ticket::import_tickets(s, text, origin, format);
    });
    const output::Json j{{"count", r.count},
                         {"first", r.first ? output::Json(*r.first) : output::Json(nullptr)},
                         {"last", r.last ? output::Json(*r.last) : output::Json(nullptr)}};
    print_object(rt, o->out, j, [&] {
      if (r.count == 0) rt.out() << "imported 0 tickets\n";
      else rt.out() << fmt::format("imported {} ticket{} ({} … {})\n", r.count, r.count == 1 ? "" : "s", *r.first, *r.last);
    });
  });
}

void add_export(CLI::App* ticket, Runtime& rt) {
  auto o = std::make_shared<TransferOptions>();
  auto* cmd = add_command(ticket, rt, "export", "Write tickets with their events as JSONL or CSV (every ticket unless filtered)");
  if (!cmd) return;
  add_filter_options(cmd, o->filter, "all");
  choices(cmd->add_option("--format", o->format, "The format (default jsonl)"), k_transfer_formats);
  cmd->add_option("-o,--output", o->output, "Write to this file (0600, complete or not at all) instead of stdout");
  cmd->callback([&rt, o] {
    auto f = make_filter(rt, o->filter);
    f.limit = 0;
    const auto format = transfer_format(o->format.empty() ? "jsonl" : o->format);
    // Progress on a terminal's stderr, unless the export itself goes to that terminal.
    const bool show = rt.term().stderr_tty && (!o->output.empty() || !rt.term().stdout_tty);
    output::ProgressLine progress(std::cerr, show, "exporting", format == ticket::TransferFormat::jsonl ? "tickets" : "lines");
    std::uint64_t lines = 0;
    rt.read("ticket.read", [&](desk::Session& s) {
      if (o->output.empty()) {
        ticket::export_tickets(s.db, f, format, [&](std::string_view line) {
          rt.out() << line;
          progress.update(++lines, std::nullopt);
        });
        return;
      }
      core::AtomicFile file(o->output);
      ticket::export_tickets(s.db, f, format, [&](std::string_view line) {
        file.write(line);
        progress.update(++lines, std::nullopt);
      });
      file.commit();
    });
  });
}

}  // namespace

void add_ticket_command(CLI::App& app, Runtime& rt) {
  auto* ticket = app.add_subcommand("ticket", "Service tickets: open, follow, resolve and close them");
  ticket->require_subcommand(1);
  add_new(ticket, rt);
  add_list(ticket, rt);
  add_show(ticket, rt);
  add_ticket_flow_commands(ticket, rt);
  add_ticket_process_commands(ticket, rt);
  add_import(ticket, rt);
  add_export(ticket, rt);
}

}  // namespace opsdesk::cli
