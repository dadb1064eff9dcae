#include "ticket_view.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "output/json.hpp"
#include "output/table.hpp"
#include "ticket/lifecycle.hpp"

namespace opsdesk::cli {

using output::Color;

output::Color priority_color(model::Priority p) {
  switch (p) {
    case model::Priority::urgent: return Color::red;
    case model::Priority::high: return Color::yellow;
    case model::Priority::medium: return Color::none;
    case model::Priority::low: return Color::gray;
  }
  return Color::none;
}

namespace {

Color status_color(model::Status s) {
  if (s == model::Status::new_) return Color::cyan;
  if (s == model::Status::pending) return Color::magenta;
  if (!ticket::is_open(s) || s == model::Status::resolved) return Color::green;
  return Color::none;
}

std::string when(std::optional<core::Timestamp> t, core::Timestamp now) {
  if (!t) return "-";
  return fmt::format("{} ({})", core::format_local(*t), core::format_relative(*t, now));
}

// What an event says, in one line.
std::string describe(const ticket::Event& e) {
  std::string line = e.kind;
  if (e.from && e.to) line += fmt::format(" ({} → {})", model::name(*e.from), model::name(*e.to));
  if (e.data) {
    const auto d = output::Json::parse(*e.data);
    if (e.kind == "updated") line += fmt::format(" {}: {} → {}", d.value("field", ""), output::dump_compact(d["from"]),
                                                 output::dump_compact(d["to"]));
    else if (e.kind == "assigned") line += fmt::format(" to {}", d["to"].is_null() ? "nobody" : d["to"].get<std::string>());
    else if (e.kind == "work") line += fmt::format(" {}", core::format_duration(d.value("seconds", 0)));
    else if (e.kind == "linked") line += fmt::format(" {} {}", d.value("kind", ""), d.value("to", ""));
    else if (e.kind == "pending") line += fmt::format(" for {}", d.value("reason", ""));
  }
  if (e.text) line += ": " + *e.text;
  return line;
}

}  // namespace

void render_ticket_table(std::ostream& out, const output::Terminal& term, const std::vector<ticket::Ticket>& tickets,
                         core::Timestamp now) {
  if (tickets.empty()) {
    // Said to a person; a script or cron gets no output (cron mails only when there is some).
    if (term.stdout_tty) out << "no tickets match\n";
    return;
  }
  output::Table table({{"REF"}, {"PRIORITY"}, {"STATUS"}, {"TITLE", false, true}, {"SYSTEM"}, {"ASSIGNEE"}, {"CREATED"}});
  for (const auto& t : tickets) {
    table.add({{t.ref},
               {std::string(model::name(t.priority)), priority_color(t.priority)},
               {std::string(model::name(t.status)), status_color(t.status)},
               {t.title},
               {t.system.value_or("-")},
               {t.assignee.value_or("-")},
               {term.stdout_tty ? core::format_relative(t.created_at, now) : core::format_local(t.created_at)}});
  }
  table.render(out, term);
}

void render_ticket_detail(std::ostream& out, const output::Terminal& term, const ticket::TicketDetail& d,
                          core::Timestamp now) {
  const auto& t = d.ticket;
  out << output::paint(t.ref, Color::bold, term.color) << "  "
      << output::paint(model::name(t.priority), priority_color(t.priority), term.color) << "  "
      << output::paint(model::name(t.status), status_color(t.status), term.color) << '\n'
      << t.title << "\n\n";
  std::vector<std::pair<std::string, std::string>> fields = {
      {"type", std::string(model::name(t.type))},
      {"system", t.system.value_or("-")},
      {"category", t.category.value_or("-")},
      {"channel", t.channel ? std::string(model::name(*t.channel)) : "-"},
      {"reporter", t.reporter.value_or("-")},
      {"assignee", t.assignee.value_or("-")},
      {"created", when(t.created_at, now)},
      {"acknowledged", when(t.acknowledged_at, now)},
      {"resolved", when(t.resolved_at, now)},
      {"closed", when(t.closed_at, now)},
  };
  if (t.pending_reason) fields.emplace_back("pending for", *t.pending_reason);
  if (t.resolution) fields.emplace_back("resolution", *t.resolution);
  if (d.work_logged > 0) fields.emplace_back("work logged", core::format_duration(d.work_logged));
  output::render_fields(out, fields);
  if (!t.description.empty()) out << "\ndescription:\n" << t.description << (t.description.ends_with('\n') ? "" : "\n");
  if (!d.links.empty()) {
    out << "\nlinks:\n";
    for (const auto& l : d.links) out << fmt::format("  {} {} {}\n", l.from_ref, model::name(l.kind), l.to_ref);
  }
  out << "\nhistory:\n";
  for (const auto& e : d.events) {
    out << fmt::format("  {}  {}  {}\n", core::format_local(e.at), e.actor, describe(e));
  }
}

}  // namespace opsdesk::cli
