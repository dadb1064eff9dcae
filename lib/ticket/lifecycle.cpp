#include "ticket/lifecycle.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::ticket {

using model::Status;

namespace {

struct Rule {
  Action action;
  std::string_view name;
  std::string_view event;
  std::vector<Status> from;
  Status to;
};

const std::vector<Rule>& rules() {
  static const std::vector<Rule> k_rules = {
      {Action::ack, "ack", "acknowledged", {Status::new_}, Status::acknowledged},
      {Action::start, "start", "started", {Status::new_, Status::acknowledged}, Status::in_progress},
      {Action::pend, "pend", "pending", {Status::acknowledged, Status::in_progress}, Status::pending},
      {Action::resume, "resume", "resumed", {Status::pending}, Status::in_progress},
      {Action::resolve, "resolve", "resolved",
       {Status::new_, Status::acknowledged, Status::in_progress, Status::pending}, Status::resolved},
      {Action::reopen, "reopen", "reopened", {Status::resolved, Status::closed}, Status::in_progress},
      {Action::close, "close", "closed", {Status::resolved}, Status::closed},
      {Action::cancel, "cancel", "cancelled",
       {Status::new_, Status::acknowledged, Status::in_progress, Status::pending, Status::draft, Status::submitted,
        Status::approved},
       Status::cancelled},
  };
  return k_rules;
}

const Rule& rule(Action action) { return rules()[static_cast<std::size_t>(action)]; }

}  // namespace

std::string_view action_name(Action action) { return rule(action).name; }
std::string_view event_kind(Action action) { return rule(action).event; }

std::vector<Status> allowed_from(model::TicketType, Action action) { return rule(action).from; }

Status next_status(model::TicketType type, Action action, Status from, std::string_view ref) {
  const auto allowed = allowed_from(type, action);
  if (std::find(allowed.begin(), allowed.end(), from) != allowed.end()) return rule(action).to;
  std::vector<std::string> names;
  for (const auto s : allowed) names.emplace_back(model::name(s));
  throw Error(ErrorKind::failed, fmt::format("cannot {} {}: it is {}; {} is allowed only when it is {}",
                                             action_name(action), ref, model::name(from), action_name(action),
                                             core::join(names, " or ")));
}

bool is_open(Status status) {
  return status != Status::closed && status != Status::cancelled && status != Status::rejected &&
         status != Status::reviewed && status != Status::released;
}

}  // namespace opsdesk::ticket
