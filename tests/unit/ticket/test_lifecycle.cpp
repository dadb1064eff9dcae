#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/helpers.hpp"
#include "ticket/lifecycle.hpp"

using namespace opsdesk;
using namespace opsdesk::ticket;
using model::Status;
using model::TicketType;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::thrown;

TEST_SUITE_BEGIN("ticket");

namespace {

const std::vector<Action> k_actions = {Action::ack,     Action::start,  Action::pend,  Action::resume,
                                       Action::resolve, Action::reopen, Action::close, Action::cancel};

std::vector<Status> all_statuses() {
  std::vector<Status> out;
  for (const auto& name : model::all_names<Status>()) out.push_back(*model::from_name<Status>(name));
  return out;
}

// The statuses a ticket of the common lifecycle (incident, request, complaint, ...) can be in;
// the change and release statuses are theirs alone.
const std::vector<Status> k_common = {Status::new_,     Status::acknowledged, Status::in_progress, Status::pending,
                                      Status::resolved, Status::closed,       Status::cancelled};

struct Expected {
  std::set<Status> from;
  Status to;
};

// The common lifecycle, written out from the contract's process (not from the code's table).
const std::map<Action, Expected> k_expected = {
    {Action::ack, {{Status::new_}, Status::acknowledged}},
    {Action::start, {{Status::new_, Status::acknowledged}, Status::in_progress}},
    {Action::pend, {{Status::acknowledged, Status::in_progress}, Status::pending}},
    {Action::resume, {{Status::pending}, Status::in_progress}},
    {Action::resolve, {{Status::new_, Status::acknowledged, Status::in_progress, Status::pending}, Status::resolved}},
    {Action::reopen, {{Status::resolved, Status::closed}, Status::in_progress}},
    {Action::close, {{Status::resolved}, Status::closed}},
    {Action::cancel, {{Status::new_, Status::acknowledged, Status::in_progress, Status::pending}, Status::cancelled}},
};

}  // namespace

TEST_CASE("ticket::action_name and ticket::event_kind") {
  const std::map<Action, std::pair<std::string, std::string>> names = {
      {Action::ack, {"ack", "acknowledged"}},     {Action::start, {"start", "started"}},
      {Action::pend, {"pend", "pending"}},        {Action::resume, {"resume", "resumed"}},
      {Action::resolve, {"resolve", "resolved"}}, {Action::reopen, {"reopen", "reopened"}},
      {Action::close, {"close", "closed"}},       {Action::cancel, {"cancel", "cancelled"}},
  };
  for (const auto action : k_actions) {
    CAPTURE(names.at(action).first);
    CHECK(std::string(action_name(action)) == names.at(action).first);
    CHECK(std::string(event_kind(action)) == names.at(action).second);
  }
}

TEST_CASE("ticket::next_status, every action from every status") {
  REQUIRE(all_statuses().size() >= k_common.size());
  for (const auto type : {TicketType::incident, TicketType::request, TicketType::complaint}) {
    for (const auto action : k_actions) {
      const auto& expected = k_expected.at(action);
      std::set<Status> allowed_set;
      for (const auto s : allowed_from(type, action))
        if (std::find(k_common.begin(), k_common.end(), s) != k_common.end()) allowed_set.insert(s);
      CHECK(allowed_set == expected.from);
      for (const auto from : k_common) {
        const std::string what = std::string(action_name(action)) + " from " + std::string(model::name(from));
        CAPTURE(what);
        if (expected.from.contains(from)) {
          CHECK(next_status(type, action, from, "INC-2026-000042") == expected.to);
          continue;
        }
        const auto e = thrown([&] { next_status(type, action, from, "INC-2026-000042"); });
        CHECK(kind(e) == "failed");
        const std::string message = e.what();
        CHECK_MESSAGE(has(message, "INC-2026-000042"), message);
        CHECK_MESSAGE(has(message, action_name(action)), message);
        CHECK_MESSAGE(has(message, "it is " + std::string(model::name(from))), message);
        for (const auto s : expected.from) CHECK_MESSAGE(has(message, model::name(s)), message);
      }
    }
  }
}

TEST_CASE("ticket::next_status, the message names the allowed statuses") {
  const auto e = thrown([] { next_status(TicketType::incident, Action::close, Status::new_, "INC-2026-000001"); });
  CHECK(std::string(e.what()) ==
        "cannot close INC-2026-000001: it is new; close is allowed only when it is resolved");
  const auto e2 = thrown([] { next_status(TicketType::incident, Action::start, Status::closed, "INC-2026-000001"); });
  CHECK_MESSAGE(has(e2.what(), "new or acknowledged"), std::string(e2.what()));
}

TEST_CASE("ticket::is_open") {
  for (const auto s : all_statuses()) {
    const std::string name(model::name(s));
    CAPTURE(name);
    const bool finished = s == Status::closed || s == Status::cancelled || s == Status::rejected ||
                          s == Status::reviewed || s == Status::released;
    CHECK(is_open(s) == !finished);
  }
  CHECK(is_open(Status::resolved));  // resolved still waits for the customer's confirmation
  CHECK(is_open(Status::pending));
}

TEST_SUITE_END();
