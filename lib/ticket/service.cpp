#include "ticket/service.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "account/account.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "ticket/clocks.hpp"
#include "ticket/internal.hpp"
#include "ticket/json.hpp"
#include "ticket/reference.hpp"

namespace opsdesk::ticket {

namespace internal {

std::string dump(const output::Json& j) { return output::dump_compact(j); }

core::Timestamp when(const desk::Session& s, const Ticket& t, std::optional<core::Timestamp> at) {
  const auto last = repo::last_status_change(s.db, t.id).value_or(t.created_at);
  if (!at) return std::max(s.now, last);
  if (*at > s.now)
    throw Error(ErrorKind::data, fmt::format("--at {} is in the future (it is {} now)", core::format_local(*at),
                                             core::format_local(s.now)));
  if (*at < last)
    throw Error(ErrorKind::data, fmt::format("--at {} is before {}'s last change at {}; expected a time from then to now",
                                             core::format_local(*at), t.ref, core::format_local(last)));
  return *at;
}

Event make_event(const desk::Session& s, core::Timestamp at, std::string kind) {
  Event e;
  e.at = at;
  e.recorded_at = s.now;
  e.actor = s.actor;
  e.kind = std::move(kind);
  return e;
}

std::pair<std::string, std::string> diff(const Ticket& before, const Ticket& after) {
  const output::Json b = to_json(before);
  const output::Json a = to_json(after);
  output::Json db = output::Json::object();
  output::Json da = output::Json::object();
  for (const auto& item : a.items()) {
    if (b[item.key()] != item.value()) {
      db[item.key()] = b[item.key()];
      da[item.key()] = item.value();
    }
  }
  return {dump(db), dump(da)};
}

void save(const desk::Session& s, const Ticket& before, const Ticket& after, std::string_view action) {
  repo::update(s.db, after);
  refresh_clocks(s, after);
  auto [b, a] = diff(before, after);
  s.audit(fmt::format("ticket.{}", action), after.ref, std::move(b), std::move(a));
}

std::optional<std::string> non_empty(const std::optional<std::string>& v) {
  if (!v) return std::nullopt;
  const auto t = core::trim(*v);
  if (t.empty()) return std::nullopt;
  return std::string(t);
}

}  // namespace internal

using namespace internal;
using output::Json;

void check_text(std::string_view field, std::string_view value, std::size_t max_bytes) {
  if (!core::is_valid_utf8(value)) throw Error(ErrorKind::data, fmt::format("{} is not valid UTF-8", field));
  if (value.find('\0') != std::string_view::npos)
    throw Error(ErrorKind::data, fmt::format("{} contains a NUL byte", field));
  if (value.size() > max_bytes)
    throw Error(ErrorKind::data,
                fmt::format("{} is {} bytes; expected at most {} (keep large logs in files)", field, value.size(), max_bytes));
}

// The short labels a ticket is filed under: valid UTF-8, no NUL, at most k_max_label bytes.
void check_labels(const std::optional<std::string>& system, const std::optional<std::string>& category,
                  const std::optional<std::string>& reporter) {
  if (system) check_text("system", *system, k_max_label);
  if (category) check_text("category", *category, k_max_label);
  if (reporter) check_text("reporter", *reporter, k_max_label);
}

Ticket create(const desk::Session& s, const NewTicket& r) {
  const auto title = core::trim(r.title);
  if (title.empty()) throw Error(ErrorKind::data, "the title is empty; expected a short summary of the request");
  check_text("title", title, k_max_title);
  check_text("description", r.description, k_max_text);
  check_labels(r.system, r.category, r.reporter);
  const core::Timestamp at = r.at.value_or(s.now);
  if (at > s.now)
    throw Error(ErrorKind::data, fmt::format("--at {} is in the future (it is {} now)", core::format_local(at),
                                             core::format_local(s.now)));
  Ticket t;
  t.type = r.type;
  t.title = std::string(title);
  t.description = r.description;
  t.priority = r.priority;
  t.system = non_empty(r.system);
  t.category = non_empty(r.category);
  t.channel = r.channel;
  t.reporter = non_empty(r.reporter);
  t.assignee = non_empty(r.assignee);
  if (t.assignee) account::check_assignable(s.db, *t.assignee);
  const bool planned = t.type == TicketType::change || t.type == TicketType::release;
  t.status = planned ? Status::draft : Status::new_;  // changes and releases are drafted, then submitted
  if (r.estimate) {
    if (t.type != TicketType::request) throw Error(ErrorKind::usage, "--estimate is for requests");
    if (*r.estimate <= 0) throw Error(ErrorKind::data, "--estimate must be more than 0");
    t.estimate = r.estimate;
  }
  t.created_at = at;
  t.updated_at = at;
  const int year = core::to_local(at).year;
  t.ref = format_reference({t.type, year, repo::next_sequence(s.db, t.type, year)});
  t.id = repo::insert(s.db, t);
  Event e = make_event(s, at, "created");
  e.to = t.status;
  if (t.assignee) e.data = dump(Json{{"assignee", *t.assignee}});
  repo::add_event(s.db, t.id, e);
  if (t.estimate && *t.estimate > s.config.ticket.request_work_limit) {
    Event flag = make_event(s, at, "flagged");
    flag.data = dump(Json{{"reason", "estimate"}, {"estimate", core::format_duration(*t.estimate)},
                          {"limit", core::format_duration(s.config.ticket.request_work_limit)}});
    repo::add_event(s.db, t.id, flag);
  }
  refresh_clocks(s, t);
  s.audit("ticket.create", t.ref, std::nullopt, dump(to_json(t)));
  return t;
}

Transitioned transition(const desk::Session& s, Action action, std::string_view ref, const TransitionOptions& o) {
  const Ticket before = repo::get(s.db, ref);
  const Status to = next_status(before.type, action, before.status, before.ref);
  if (action == Action::resolve && !non_empty(o.note))
    throw Error(ErrorKind::usage, fmt::format("resolve needs --resolution: what was done to fix {}", before.ref));
  if (action == Action::pend && !o.reason)
    throw Error(ErrorKind::usage, "pend needs --reason: one of customer, vendor, other");
  if (o.note) check_text(action == Action::resolve ? "resolution" : "reason", *o.note, k_max_text);
  const core::Timestamp at = when(s, before, o.at);

  Ticket t = before;
  t.status = to;
  t.updated_at = std::max(t.updated_at, at);
  Event e = make_event(s, at, std::string(event_kind(action)));
  e.from = before.status;
  e.to = to;
  e.text = non_empty(o.note);
  switch (action) {
    case Action::ack:
    case Action::start:
      if (!t.acknowledged_at) t.acknowledged_at = at;
      break;
    case Action::pend:
      t.pending_reason = std::string(model::name(*o.reason));
      e.data = dump(Json{{"reason", *t.pending_reason}});
      break;
    case Action::resume:
      t.pending_reason.reset();
      break;
    case Action::resolve:
      if (!t.acknowledged_at) t.acknowledged_at = at;  // a fix is also an answer
      t.resolved_at = at;
      t.resolution = e.text;
      t.pending_reason.reset();
      break;
    case Action::reopen:
      t.resolved_at.reset();
      t.closed_at.reset();
      t.resolution.reset();
      break;
    case Action::close:
      t.closed_at = at;
      break;
    case Action::cancel:
      t.pending_reason.reset();
      break;
  }
  repo::add_event(s.db, t.id, e);
  save(s, before, t, action_name(action));
  return {before.status, t};
}

Ticket assign(const desk::Session& s, std::string_view ref, const std::optional<std::string>& assignee,
              std::optional<core::Timestamp> at) {
  const Ticket before = repo::get(s.db, ref);
  if (!is_open(before.status))
    throw Error(ErrorKind::failed, fmt::format("cannot assign {}: it is {}", before.ref, model::name(before.status)));
  const auto who = non_empty(assignee);
  if (who) account::check_assignable(s.db, *who);
  if (who == before.assignee) return before;
  Ticket t = before;
  t.assignee = who;
  const core::Timestamp when_at = when(s, before, at);
  t.updated_at = std::max(t.updated_at, when_at);
  Event e = make_event(s, when_at, "assigned");
  e.data = dump(Json{{"from", before.assignee ? Json(*before.assignee) : Json(nullptr)},
                     {"to", who ? Json(*who) : Json(nullptr)}});
  repo::add_event(s.db, t.id, e);
  save(s, before, t, "assign");
  return t;
}

Ticket set_fields(const desk::Session& s, std::string_view ref, const FieldChanges& c) {
  if (c.empty()) throw Error(ErrorKind::usage, "nothing to set; give at least one of --title --description --priority "
                                               "--system --category --channel --reporter");
  const Ticket before = repo::get(s.db, ref);
  Ticket t = before;
  if (c.title) {
    const auto title = core::trim(*c.title);
    if (title.empty()) throw Error(ErrorKind::data, "the title cannot be empty");
    check_text("title", title, k_max_title);
    t.title = std::string(title);
  }
  if (c.description) {
    check_text("description", *c.description, k_max_text);
    t.description = *c.description;
  }
  check_labels(c.system, c.category, c.reporter);
  if (c.priority) t.priority = *c.priority;
  if (c.system) t.system = non_empty(c.system);
  if (c.category) t.category = non_empty(c.category);
  if (c.reporter) t.reporter = non_empty(c.reporter);
  if (c.channel) {
    if (const auto ch = non_empty(c.channel)) t.channel = model::parse<Channel>(*ch);
    else t.channel.reset();
  }
  const Json b = to_json(before);
  const Json a = to_json(t);
  bool changed = false;
  for (const auto& item : a.items()) {
    if (b[item.key()] == item.value() || item.key() == "updated_at") continue;
    changed = true;
    Event e = make_event(s, s.now, "updated");
    e.data = dump(Json{{"field", item.key()}, {"from", b[item.key()]}, {"to", item.value()}});
    repo::add_event(s.db, t.id, e);
  }
  if (!changed) return before;
  t.updated_at = std::max(t.updated_at, s.now);
  save(s, before, t, "set");
  return t;
}

Event comment(const desk::Session& s, std::string_view ref, const std::string& text, std::optional<core::Timestamp> at) {
  const auto body = core::trim(text);
  if (body.empty()) throw Error(ErrorKind::data, "the comment is empty");
  check_text("comment", body, k_max_text);
  Ticket t = repo::get(s.db, ref);
  Event e = make_event(s, at ? when(s, t, at) : s.now, "comment");
  e.text = std::string(body);
  e.id = repo::add_event(s.db, t.id, e);
  t.updated_at = std::max(t.updated_at, s.now);
  repo::update(s.db, t);
  s.audit("ticket.comment", t.ref, std::nullopt, dump(Json{{"text", *e.text}}));
  return e;
}

core::Seconds log_work(const desk::Session& s, std::string_view ref, core::Seconds spent,
                       const std::optional<std::string>& note, std::optional<core::Timestamp> at) {
  if (spent <= 0 || spent > 7 * 86400)
    throw Error(ErrorKind::data, fmt::format("work time {} is out of range; expected more than 0 and at most 7d",
                                             core::format_duration(spent)));
  Ticket t = repo::get(s.db, ref);
  if (note) check_text("note", *note, k_max_text);
  Event e = make_event(s, at ? when(s, t, at) : s.now, "work");
  e.text = non_empty(note);
  e.data = dump(Json{{"seconds", spent}});
  repo::add_event(s.db, t.id, e);
  t.updated_at = std::max(t.updated_at, s.now);
  repo::update(s.db, t);
  const auto total = repo::work_logged(s.db, t.id);
  const auto limit = s.config.ticket.request_work_limit;
  if (t.type == TicketType::request && total > limit && total - spent <= limit) {  // it just passed the limit
    Event flag = make_event(s, e.at, "flagged");
    flag.data = dump(Json{{"reason", "work"}, {"logged", core::format_duration(total)}, {"limit", core::format_duration(limit)}});
    repo::add_event(s.db, t.id, flag);
  }
  s.audit("ticket.log-work", t.ref, std::nullopt,
          dump(Json{{"spent", core::format_duration(spent)}, {"total", core::format_duration(total)}}));
  return total;
}

Link link(const desk::Session& s, std::string_view ref, std::string_view to, model::LinkKind kind) {
  Ticket from = repo::get(s.db, ref);
  const Ticket target = repo::get(s.db, to);
  if (from.id == target.id) throw Error(ErrorKind::data, fmt::format("cannot link {} to itself", from.ref));
  for (const auto& l : repo::links(s.db, from.id)) {
    if (l.from_ref == from.ref && l.to_ref == target.ref && l.kind == kind)
      throw Error(ErrorKind::failed, fmt::format("{} is already linked to {} ({})", from.ref, target.ref, model::name(kind)));
  }
  repo::add_link(s.db, from, target, kind, s.now, s.actor);
  Event e = make_event(s, s.now, "linked");
  e.data = dump(Json{{"to", target.ref}, {"kind", std::string(model::name(kind))}});
  repo::add_event(s.db, from.id, e);
  from.updated_at = std::max(from.updated_at, s.now);
  repo::update(s.db, from);
  s.audit("ticket.link", from.ref, std::nullopt, dump(Json{{"to", target.ref}, {"kind", std::string(model::name(kind))}}));
  return Link{from.ref, target.ref, kind, s.now, s.actor};
}

TicketDetail detail(store::Db& db, std::string_view ref) {
  TicketDetail d;
  d.ticket = repo::get(db, ref);
  d.events = repo::events(db, d.ticket.id);
  d.links = repo::links(db, d.ticket.id);
  d.work_logged = repo::work_logged(db, d.ticket.id);
  return d;
}

}  // namespace opsdesk::ticket
