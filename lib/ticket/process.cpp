#include "ticket/process.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "account/permissions.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "ticket/clocks.hpp"
#include "ticket/downtime.hpp"
#include "ticket/internal.hpp"
#include "ticket/lifecycle.hpp"
#include "ticket/repository.hpp"
#include "ticket/service.hpp"

namespace opsdesk::ticket {

using namespace internal;
using output::Json;
using model::Status;
using model::TicketType;

namespace {

Json data_of(const Event& e) { return e.data ? Json::parse(*e.data) : Json::object(); }

struct StepRule {
  Step step;
  std::string_view name;
  std::vector<TicketType> types;
  std::vector<Status> from;
  Status to;
};

const std::vector<StepRule>& step_rules() {
  static const std::vector<StepRule> k_rules = {
      {Step::submit, "submit", {TicketType::change, TicketType::release}, {Status::draft}, Status::submitted},
      {Step::approve, "approve", {TicketType::change, TicketType::release}, {Status::submitted}, Status::approved},
      {Step::reject, "reject", {TicketType::change, TicketType::release}, {Status::submitted}, Status::rejected},
      {Step::implement, "implement", {TicketType::change}, {Status::approved}, Status::implemented},
      {Step::review, "review", {TicketType::change}, {Status::implemented}, Status::reviewed},
      {Step::release, "release", {TicketType::release}, {Status::approved}, Status::released},
  };
  return k_rules;
}

const StepRule& step_rule(Step step) { return step_rules()[static_cast<std::size_t>(step)]; }

void require_open(const Ticket& t, std::string_view doing) {
  if (!is_open(t.status) || t.status == Status::resolved)
    throw Error(ErrorKind::failed, fmt::format("cannot {} {}: it is {}", doing, t.ref, model::name(t.status)));
}

// Before a change goes to approval: what the approver needs to see.
void check_submittable(const Ticket& t) {
  if (t.type != TicketType::change) return;
  std::vector<std::string> missing;
  if (!t.risk) missing.emplace_back("--risk");
  if (!t.plan) missing.emplace_back("--plan");
  if (!t.rollback_plan) missing.emplace_back("--rollback-plan");
  if (!t.window_start || !t.window_end) missing.emplace_back("--window-start/--window-end");
  if (!t.system) missing.emplace_back("--system");
  if (!missing.empty())
    throw Error(ErrorKind::failed, fmt::format("cannot submit {}: the approver needs {}; set them with `opsdesk ticket set "
                                               "{} ...`",
                                               t.ref, core::join(missing, ", "), t.ref));
}

// A release ships only approved, implemented and tested changes.
void check_releasable(const desk::Session& s, const Ticket& release) {
  std::vector<std::string> problems;
  std::size_t changes = 0;
  for (const auto& l : repo::links(s.db, release.id)) {
    if (l.from_ref != release.ref || l.kind != model::LinkKind::implements) continue;
    const Ticket c = repo::get(s.db, l.to_ref);
    if (c.type != TicketType::change) continue;
    ++changes;
    const bool implemented = c.status == Status::implemented || c.status == Status::reviewed;
    if (!implemented) problems.push_back(fmt::format("{} is {} (needs approved and implemented)", c.ref, model::name(c.status)));
    if (!c.test_evidence) problems.push_back(fmt::format("{} has no test evidence", c.ref));
  }
  if (changes == 0)
    throw Error(ErrorKind::failed, fmt::format("cannot release {}: no changes are linked to it; link them with "
                                               "`opsdesk ticket link {} --to CHG-... --kind implements`",
                                               release.ref, release.ref));
  if (!problems.empty())
    throw Error(ErrorKind::failed, fmt::format("cannot release {}: {}", release.ref, core::join(problems, "; ")));
}

}  // namespace

std::string_view step_name(Step step) { return step_rule(step).name; }

Ticket record_onsite(const desk::Session& s, std::string_view ref, std::optional<core::Timestamp> arrived,
                     std::optional<core::Timestamp> mitigated) {
  if (!arrived && !mitigated) throw Error(ErrorKind::usage, "give --arrived TIME, --mitigated TIME or both");
  const Ticket before = repo::get(s.db, ref);
  require_open(before, "record on-site work on");
  const auto events = repo::events(s.db, before.id);
  const auto has = [&](std::string_view kind) {
    return std::any_of(events.begin(), events.end(), [&](const Event& e) { return e.kind == kind; });
  };
  Ticket t = before;
  if (arrived) {
    if (has("arrived")) throw Error(ErrorKind::failed, fmt::format("{} already has an arrival on site", t.ref));
    Event e = make_event(s, when(s, t, arrived), "arrived");
    repo::add_event(s.db, t.id, e);
    t.updated_at = std::max(t.updated_at, e.at);
  }
  if (mitigated) {
    if (!arrived && !has("arrived"))
      throw Error(ErrorKind::failed, fmt::format("{}: record the arrival first (--arrived TIME)", t.ref));
    if (has("mitigated")) throw Error(ErrorKind::failed, fmt::format("{} already has its emergency measures recorded", t.ref));
    if (arrived && *mitigated < *arrived)
      throw Error(ErrorKind::data, "--mitigated is before --arrived; expected the measures after the arrival");
    Event e = make_event(s, when(s, t, mitigated), "mitigated");
    repo::add_event(s.db, t.id, e);
    t.updated_at = std::max(t.updated_at, e.at);
  }
  if (!t.channel) t.channel = model::Channel::onsite;
  save(s, before, t, "onsite");
  return t;
}

std::vector<Extension> extensions(const std::vector<Event>& events) {
  std::vector<Extension> out;
  for (const auto& e : events) {
    if (e.kind == "extension_requested") {
      const Json d = data_of(e);
      out.push_back({d.value("id", std::int64_t{0}), d.value("seconds", core::Seconds{0}), e.text.value_or(""), e.actor,
                     e.at, "requested", std::nullopt, std::nullopt});
    } else if (e.kind == "extension_approved" || e.kind == "extension_rejected") {
      const auto id = data_of(e).value("id", std::int64_t{0});
      for (auto& x : out) {
        if (x.id != id) continue;
        x.status = e.kind == "extension_approved" ? "approved" : "rejected";
        x.decided_by = e.actor;
        x.decided_at = e.at;
      }
    }
  }
  return out;
}

Extension request_extension(const desk::Session& s, std::string_view ref, core::Seconds by, const std::string& reason) {
  const Ticket before = repo::get(s.db, ref);
  if (!has_clocks(s.config, before.type))
    throw Error(ErrorKind::failed, fmt::format("{} has no SLA clocks to extend ({} tickets run none)", before.ref,
                                               model::name(before.type)));
  require_open(before, "extend");
  if (by <= 0 || by > 30 * 86400)
    throw Error(ErrorKind::data, fmt::format("--by {}; expected more than 0 and at most 30d", core::format_duration(by)));
  const auto why = non_empty(reason);
  if (!why) throw Error(ErrorKind::usage, "an extension needs --reason: why the customer should agree");
  check_text("reason", *why, 2000);
  const auto existing = extensions(repo::events(s.db, before.id));
  for (const auto& x : existing)
    if (x.status == "requested")
      throw Error(ErrorKind::failed, fmt::format("{} already has extension {} waiting for a decision", before.ref, x.id));
  Extension x{static_cast<std::int64_t>(existing.size()) + 1, by, *why, s.actor, s.now, "requested", std::nullopt, std::nullopt};
  Event e = make_event(s, s.now, "extension_requested");
  e.text = x.reason;
  e.data = dump(Json{{"id", x.id}, {"seconds", x.seconds}});
  repo::add_event(s.db, before.id, e);
  const auto& needs = s.config.sla.extension_needs_approval;
  const bool consent = std::find(needs.begin(), needs.end(), before.priority) != needs.end();
  if (!consent) {  // granted at once
    Event granted = make_event(s, s.now, "extension_approved");
    granted.data = dump(Json{{"id", x.id}, {"seconds", x.seconds}, {"automatic", true}});
    repo::add_event(s.db, before.id, granted);
    x.status = "approved";
    x.decided_by = s.actor;
    x.decided_at = s.now;
  }
  Ticket t = before;
  t.updated_at = std::max(t.updated_at, s.now);
  repo::update(s.db, t);
  refresh_clocks(s, t);
  s.audit("ticket.extend", t.ref, std::nullopt,
          dump(Json{{"extension", x.id}, {"by", core::format_duration(by)}, {"reason", x.reason}, {"status", x.status}}));
  return x;
}

Extension decide_extension(const desk::Session& s, std::string_view ref, bool approve, std::optional<std::int64_t> id) {
  const Ticket t = repo::get(s.db, ref);
  const auto all = extensions(repo::events(s.db, t.id));
  const Extension* open = nullptr;
  for (const auto& x : all)
    if (x.status == "requested" && (!id || x.id == *id)) open = &x;
  if (!open) {
    if (id) throw Error(ErrorKind::not_found, fmt::format("{} has no open extension request {}", t.ref, *id));
    throw Error(ErrorKind::failed, fmt::format("{} has no extension request waiting for a decision", t.ref));
  }
  const auto& needs = s.config.sla.extension_needs_approval;
  if (std::find(needs.begin(), needs.end(), t.priority) != needs.end()) account::require(s, "sla.extend.approve");
  else account::require(s, "sla.extend.request");
  Extension x = *open;
  x.status = approve ? "approved" : "rejected";
  x.decided_by = s.actor;
  x.decided_at = s.now;
  Event e = make_event(s, s.now, approve ? "extension_approved" : "extension_rejected");
  e.data = dump(approve ? Json{{"id", x.id}, {"seconds", x.seconds}} : Json{{"id", x.id}});
  repo::add_event(s.db, t.id, e);
  Ticket after = t;
  after.updated_at = std::max(after.updated_at, s.now);
  repo::update(s.db, after);
  refresh_clocks(s, after);
  s.audit(approve ? "ticket.extension.approve" : "ticket.extension.reject", t.ref, std::nullopt,
          dump(Json{{"extension", x.id}, {"by", core::format_duration(x.seconds)}}));
  return x;
}

namespace {
Ticket advance_step(const desk::Session& s, Step step, std::string_view ref, const std::optional<std::string>& note,
                    std::string_view standard);
}

Ticket advance(const desk::Session& s, Step step, std::string_view ref, const std::optional<std::string>& note) {
  return advance_step(s, step, ref, note, {});
}

Ticket approve_standard(const desk::Session& s, std::string_view ref, std::string_view permission) {
  account::require(s, permission);
  return advance_step(s, Step::approve, ref, fmt::format("standard change, pre-approved by the {} permission", permission),
                      permission);
}

namespace {
Ticket advance_step(const desk::Session& s, Step step, std::string_view ref, const std::optional<std::string>& note,
                    std::string_view standard) {
  const Ticket before = repo::get(s.db, ref);
  const StepRule& r = step_rule(step);
  if (std::find(r.types.begin(), r.types.end(), before.type) == r.types.end()) {
    std::vector<std::string> types;
    for (const auto type : r.types) types.emplace_back(model::name(type));
    throw Error(ErrorKind::failed, fmt::format("cannot {} {}: only {} tickets are {}", r.name, before.ref,
                                               core::join(types, " and "),
                                               step == Step::approve ? "approved" : fmt::format("{}ed", r.name)));
  }
  if ((step == Step::approve || step == Step::reject) && standard.empty())
    account::require(s, before.type == TicketType::change ? "change.approve" : "release.approve");
  if (std::find(r.from.begin(), r.from.end(), before.status) == r.from.end()) {
    std::vector<std::string> from;
    for (const auto st : r.from) from.emplace_back(model::name(st));
    throw Error(ErrorKind::failed, fmt::format("cannot {} {}: it is {}; {} is allowed only when it is {}", r.name,
                                               before.ref, model::name(before.status), r.name, core::join(from, " or ")));
  }
  if (step == Step::submit) check_submittable(before);
  if (step == Step::release) check_releasable(s, before);
  if (note) check_text("note", *note, k_max_text);
  Ticket t = before;
  t.status = r.to;
  t.updated_at = std::max(t.updated_at, s.now);
  if (r.to == Status::reviewed || r.to == Status::released || r.to == Status::rejected) t.closed_at = s.now;
  Event e = make_event(s, s.now, std::string(r.to == Status::released ? "released" : model::name(r.to)));
  e.from = before.status;
  e.to = r.to;
  e.text = non_empty(note);
  repo::add_event(s.db, t.id, e);
  save(s, before, t, r.name);
  if (step == Step::approve && t.type == TicketType::change && t.window_start && t.window_end) {
    Downtime d;
    d.system = t.system;
    d.start = *t.window_start;
    d.end = *t.window_end;
    d.reason = fmt::format("change {}: {}", t.ref, t.title);
    d.source = t.ref;
    add_downtime(s, d);
  }
  if (step == Step::reject) remove_downtime_of(s, t.ref);
  return t;
}
}  // namespace

Ticket set_process_fields(const desk::Session& s, std::string_view ref, const ProcessFields& f) {
  const Ticket before = repo::get(s.db, ref);
  Ticket t = before;
  const bool problem = t.type == TicketType::problem;
  const bool change = t.type == TicketType::change || t.type == TicketType::release;
  auto only = [&](bool ok, std::string_view field, std::string_view types) {
    if (!ok) throw Error(ErrorKind::failed, fmt::format("{} is a {}; {} is for {}", t.ref, model::name(t.type), field, types));
  };
  auto text = [&](const std::optional<std::string>& v, std::optional<std::string>& field, std::string_view name) {
    if (!v) return;
    check_text(name, *v, k_max_text);
    field = non_empty(v);
  };
  if (f.root_cause || f.workaround || f.known_error) only(problem, "--root-cause/--workaround/--known-error", "problems");
  if (f.plan || f.rollback_plan || f.test_evidence || f.risk || f.window_start || f.window_end)
    only(change, "--plan/--rollback-plan/--test-evidence/--risk/--window-*", "changes and releases");
  if (f.estimate) only(t.type == TicketType::request, "--estimate", "requests");
  text(f.root_cause, t.root_cause, "root cause");
  text(f.workaround, t.workaround, "workaround");
  text(f.plan, t.plan, "plan");
  text(f.rollback_plan, t.rollback_plan, "rollback plan");
  text(f.test_evidence, t.test_evidence, "test evidence");
  if (f.known_error) t.known_error = *f.known_error;
  if (f.risk) t.risk = *f.risk;
  if (f.window_start) t.window_start = *f.window_start;
  if (f.window_end) t.window_end = *f.window_end;
  if (f.estimate) t.estimate = *f.estimate;
  if (t.window_start && t.window_end && *t.window_end <= *t.window_start)
    throw Error(ErrorKind::data, "the change window ends before it starts; expected --window-end after --window-start");
  const bool window_changed = t.window_start != before.window_start || t.window_end != before.window_end;
  if (window_changed && (before.status == Status::approved || before.status == Status::submitted))
    throw Error(ErrorKind::failed, fmt::format("{} is {}: its window can no longer change; reject it and submit a new "
                                               "change", t.ref, model::name(before.status)));
  const auto [b, a] = diff(before, t);
  if (a == "{}") return before;
  const Json changed = Json::parse(a);
  for (const auto& item : changed.items()) {
    Event e = make_event(s, s.now, "updated");
    e.data = dump(Json{{"field", item.key()}, {"from", Json::parse(b)[item.key()]}, {"to", item.value()}});
    repo::add_event(s.db, t.id, e);
  }
  t.updated_at = std::max(t.updated_at, s.now);
  save(s, before, t, "set");
  return t;
}

std::vector<std::string> resolve_cascade(const desk::Session& s, std::string_view problem, const std::string& resolution) {
  const Ticket p = repo::get(s.db, problem);
  if (p.type != TicketType::problem)
    throw Error(ErrorKind::failed, fmt::format("--cascade is for problems; {} is a {}", p.ref, model::name(p.type)));
  TransitionOptions o;
  o.note = resolution;
  transition(s, Action::resolve, p.ref, o);
  std::vector<std::string> resolved;
  for (const auto& l : repo::links(s.db, p.id)) {
    if (l.to_ref != p.ref || l.kind != model::LinkKind::caused_by) continue;
    const Ticket incident = repo::get(s.db, l.from_ref);
    const auto allowed = allowed_from(incident.type, Action::resolve);
    if (std::find(allowed.begin(), allowed.end(), incident.status) == allowed.end()) continue;
    TransitionOptions io;
    io.note = fmt::format("resolved with problem {}: {}", p.ref, resolution);
    transition(s, Action::resolve, incident.ref, io);
    resolved.push_back(incident.ref);
  }
  return resolved;
}

void survey(const desk::Session& s, std::string_view ref, int score, const std::optional<std::string>& comment) {
  if (score < 1 || score > 5) throw Error(ErrorKind::data, fmt::format("--score {}; expected 1 (poor) to 5 (excellent)", score));
  const Ticket t = repo::get(s.db, ref);
  if (t.status != Status::resolved && t.status != Status::closed)
    throw Error(ErrorKind::failed, fmt::format("{} is {}; a survey is answered once it is resolved or closed", t.ref,
                                               model::name(t.status)));
  if (comment) check_text("comment", *comment, 4000);
  Event e = make_event(s, s.now, "survey");
  e.text = non_empty(comment);
  e.data = dump(Json{{"score", score}});
  repo::add_event(s.db, t.id, e);
  s.audit("ticket.survey", t.ref, std::nullopt, dump(Json{{"score", score}}));
}

std::optional<WorkFlag> work_flag(const desk::Session& s, const Ticket& t) {
  if (t.type != TicketType::request) return std::nullopt;
  WorkFlag f{s.config.ticket.request_work_limit, t.estimate.value_or(0), repo::work_logged(s.db, t.id)};
  if (!f.over()) return std::nullopt;
  return f;
}

}  // namespace opsdesk::ticket
