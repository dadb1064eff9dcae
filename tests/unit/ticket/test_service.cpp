#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "audit/audit.hpp"
#include "store/db.hpp"
#include "support/helpers.hpp"
#include "ticket/service.hpp"

using namespace opsdesk;
using namespace opsdesk::ticket;
using namespace std::string_literals;
using nlohmann::json;
using opsdesk::test::ensure_account;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::TempStore;
using opsdesk::test::thrown;
using opsdesk::test::ZoneGuard;

TEST_SUITE_BEGIN("ticket");

namespace {

// 2026-11-25T06:30:00Z
constexpr core::Timestamp k_now = 1795588200;

NewTicket request(std::string title) {
  NewTicket r;
  r.title = std::move(title);
  return r;
}

std::vector<std::string> kinds(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.kind);
  return out;
}

using Strings = std::vector<std::string>;

audit::Entry last_audit(store::Db& db) {
  const auto all = audit::list(db, {});
  REQUIRE_FALSE(all.empty());
  return all.back();
}

json parsed(const std::optional<std::string>& text) { return text ? json::parse(*text) : json(nullptr); }

}  // namespace

TEST_CASE("ticket::create") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  SUBCASE("gives the next reference of its type and year") {
    NewTicket r = request("  ERP login fails with ORA-12541  ");
    r.priority = Priority::urgent;
    r.system = "erp";
    r.channel = Channel::phone;
    r.reporter = "张三";
    r.description = "客户端报错\nno listener";
    const Ticket t = create(s, r);
    CHECK(t.ref == "INC-2026-000001");
    CHECK(t.title == "ERP login fails with ORA-12541");
    CHECK(t.status == Status::new_);
    CHECK(t.priority == Priority::urgent);
    CHECK(t.created_at == k_now);
    CHECK(t.updated_at == k_now);
    CHECK(t.reporter == "张三");
    CHECK(create(s, request("second")).ref == "INC-2026-000002");
    NewTicket req = request("new laptop");
    req.type = TicketType::request;
    CHECK(create(s, req).ref == "REQ-2026-000001");
    CHECK(create(s, request("third")).ref == "INC-2026-000003");

    const auto stored = repo::get(*st.db, "INC-2026-000001");
    CHECK(stored.description == "客户端报错\nno listener");
    CHECK(stored.system == "erp");
    CHECK(stored.channel == Channel::phone);
  }
  SUBCASE("writes a created event and an audit entry") {
    const Ticket t = create(s, request("disk full"));
    const auto d = detail(*st.db, t.ref);
    REQUIRE(d.events.size() == 1);
    CHECK(d.events[0].kind == "created");
    CHECK_FALSE(d.events[0].from);
    CHECK(d.events[0].to == Status::new_);
    CHECK(d.events[0].at == k_now);
    CHECK(d.events[0].recorded_at == k_now);
    CHECK(d.events[0].actor == "wang");
    const auto a = last_audit(*st.db);
    CHECK(a.action == "ticket.create");
    CHECK(a.object == t.ref);
    CHECK(a.actor == "wang");
    CHECK(a.at == k_now);
    CHECK_FALSE(a.before);
    CHECK(parsed(a.after)["title"] == "disk full");
    CHECK(parsed(a.after)["ref"] == t.ref);
  }
  SUBCASE("reported earlier by phone") {
    NewTicket r = request("printer");
    r.at = k_now - 3600;
    const Ticket t = create(s, r);
    CHECK(t.created_at == k_now - 3600);
    CHECK(detail(*st.db, t.ref).events[0].at == k_now - 3600);
    CHECK(detail(*st.db, t.ref).events[0].recorded_at == k_now);
  }
  SUBCASE("blank optional fields are left empty") {
    NewTicket r = request("x");
    r.system = "   ";
    r.category = "";
    r.reporter = " \t";
    const Ticket t = create(s, r);
    CHECK_FALSE(t.system);
    CHECK_FALSE(t.category);
    CHECK_FALSE(t.reporter);
  }
  SUBCASE("refused requests write nothing") {
    auto refused = [&](NewTicket r, const std::string& needle) {
      const auto e = thrown([&] { create(s, r); });
      CHECK(kind(e) == "data");
      CHECK_MESSAGE(has(e.what(), needle), std::string(e.what()));
    };
    refused(request(""), "title");
    refused(request(" \n\t "), "title");
    refused(request("bad \xC0\xAF byte"), "title");
    refused(request("nul \0 inside"s), "title");
    refused(request(std::string(1001, 'x')), "title");
    NewTicket future = request("from the future");
    future.at = k_now + 60;
    refused(future, "future");
    NewTicket bad_description = request("ok");
    bad_description.description = "\xFF\xFE";
    refused(bad_description, "description");
    CHECK(st.count("tickets") == 0);
    CHECK(st.count("ticket_events") == 0);
    CHECK(st.count("audit") == 0);
    CHECK(st.count("ticket_counters") == 0);
  }
}

TEST_CASE("ticket::create, the year of a reference is the desk's local year") {
  ZoneGuard zone("Asia/Shanghai");  // UTC+8
  TempStore st;
  const auto s = st.session(k_now);
  NewTicket r = request("new year's eve");
  r.at = 1767200400;  // 2025-12-31T17:00:00Z, 01:00 on 1 January 2026 in Shanghai
  CHECK(create(s, r).ref == "INC-2026-000001");
  r.at = 1767193200;  // 2025-12-31T15:00:00Z, 23:00 on 31 December in Shanghai
  CHECK(create(s, r).ref == "INC-2025-000001");
}

TEST_CASE("ticket service, the ticket, its events and its audit entry share the caller's transaction") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  {
    store::Transaction tx(*st.db, true);
    const Ticket t = create(s, request("rolled back"));
    transition(s, Action::ack, t.ref, {});
    comment(s, t.ref, "a note", std::nullopt);
    CHECK(st.count("tickets") == 1);
    CHECK(st.count("audit") == 3);
  }  // not committed
  for (const char* table : {"tickets", "ticket_events", "ticket_counters", "audit", "audit_head"}) {
    const std::string name = table;
    CAPTURE(name);
    CHECK(st.count(name) == 0);
  }
  {
    store::Transaction tx(*st.db, true);
    CHECK(create(s, request("kept")).ref == "INC-2026-000001");  // the counter was rolled back too
    tx.commit();
  }
  CHECK(st.count("tickets") == 1);
  CHECK(st.count("ticket_events") == 1);
  CHECK(st.count("audit") == 1);
  CHECK(audit::verify(*st.db).ok());
}

TEST_CASE("ticket::transition") {
  ZoneGuard zone("UTC");
  TempStore st;
  NewTicket r = request("disk full on db01");
  r.at = k_now - 7200;
  const Ticket created = create(st.session(k_now - 7000), r);
  const std::string ref = created.ref;
  auto at = [&](core::Timestamp now) { return st.session(now); };
  auto events = [&] { return detail(*st.db, ref).events; };

  SUBCASE("ack records when, the event and the audit entry") {
    const auto t = transition(at(k_now - 6000), Action::ack, ref, {});
    CHECK(t.from == Status::new_);
    CHECK(t.ticket.status == Status::acknowledged);
    CHECK(t.ticket.acknowledged_at == k_now - 6000);
    CHECK(t.ticket.updated_at == k_now - 6000);
    const auto ev = events();
    REQUIRE(ev.size() == 2);
    CHECK(ev[1].kind == "acknowledged");
    CHECK(ev[1].from == Status::new_);
    CHECK(ev[1].to == Status::acknowledged);
    CHECK(ev[1].at == k_now - 6000);
    const auto a = last_audit(*st.db);
    CHECK(a.action == "ticket.ack");
    CHECK(a.object == ref);
    CHECK(parsed(a.before)["status"] == "new");
    CHECK(parsed(a.after)["status"] == "acknowledged");
    CHECK_FALSE(parsed(a.after).contains("title"));  // only what changed
    CHECK(repo::get(*st.db, ref).status == Status::acknowledged);
  }
  SUBCASE("the whole way, each step's fields") {
    transition(at(k_now - 6000), Action::ack, ref, {});
    transition(at(k_now - 5000), Action::start, ref, {});
    TransitionOptions pend;
    pend.reason = model::PendingReason::customer;
    pend.note = "waiting for the DBA";
    auto t = transition(at(k_now - 4000), Action::pend, ref, pend).ticket;
    CHECK(t.status == Status::pending);
    CHECK(t.pending_reason == "customer");
    CHECK(parsed(events().back().data)["reason"] == "customer");
    CHECK(events().back().text == "waiting for the DBA");
    t = transition(at(k_now - 3000), Action::resume, ref, {}).ticket;
    CHECK(t.status == Status::in_progress);
    CHECK_FALSE(t.pending_reason);
    TransitionOptions fix;
    fix.note = "  rotated the logs  ";
    t = transition(at(k_now - 2000), Action::resolve, ref, fix).ticket;
    CHECK(t.status == Status::resolved);
    CHECK(t.resolved_at == k_now - 2000);
    CHECK(t.resolution == "rotated the logs");
    CHECK(t.acknowledged_at == k_now - 6000);  // kept from the ack
    t = transition(at(k_now - 1000), Action::close, ref, {}).ticket;
    CHECK(t.status == Status::closed);
    CHECK(t.closed_at == k_now - 1000);
    TransitionOptions why;
    why.note = "came back";
    t = transition(at(k_now), Action::reopen, ref, why).ticket;
    CHECK(t.status == Status::in_progress);
    CHECK_FALSE(t.resolved_at);
    CHECK_FALSE(t.closed_at);
    CHECK_FALSE(t.resolution);
    CHECK(kinds(events()) ==
          Strings{"created", "acknowledged", "started", "pending", "resumed", "resolved", "closed", "reopened"});
    CHECK(events().back().text == "came back");
    CHECK(repo::get(*st.db, ref).status == Status::in_progress);
    CHECK(audit::list(*st.db, {}).size() == 8);
    CHECK(audit::verify(*st.db).ok());
  }
  SUBCASE("start and resolve answer the ticket when nobody acknowledged it") {
    auto t = transition(at(k_now - 5000), Action::start, ref, {}).ticket;
    CHECK(t.acknowledged_at == k_now - 5000);
    TransitionOptions fix;
    fix.note = "done";
    const Ticket other = create(at(k_now), request("other"));
    t = transition(at(k_now), Action::resolve, other.ref, fix).ticket;
    CHECK(t.acknowledged_at == k_now);
    CHECK(t.resolved_at == k_now);
  }
  SUBCASE("cancelling a pending ticket clears its reason") {
    TransitionOptions pend;
    pend.reason = model::PendingReason::vendor;
    transition(at(k_now - 5000), Action::ack, ref, {});
    transition(at(k_now - 4000), Action::pend, ref, pend);
    const auto t = transition(at(k_now), Action::cancel, ref, {}).ticket;
    CHECK(t.status == Status::cancelled);
    CHECK_FALSE(t.pending_reason);
  }
  SUBCASE("--at: when it really happened") {
    TransitionOptions o;
    o.at = k_now - 6500;
    const auto t = transition(at(k_now), Action::ack, ref, o).ticket;
    CHECK(t.acknowledged_at == k_now - 6500);
    CHECK(events().back().at == k_now - 6500);
    CHECK(events().back().recorded_at == k_now);
  }
  SUBCASE("refusals write nothing") {
    const auto before_events = events().size();
    const auto before_audit = st.count("audit");
    auto refused = [&](Action action, TransitionOptions o, const std::string& expected_kind, const std::string& needle) {
      const auto e = thrown([&] { transition(at(k_now), action, ref, o); });
      CHECK(kind(e) == expected_kind);
      CHECK_MESSAGE(has(e.what(), needle), std::string(e.what()));
    };
    refused(Action::close, {}, "failed", "only when it is resolved");
    refused(Action::resume, {}, "failed", "pending");
    refused(Action::resolve, {}, "usage", "--resolution");
    TransitionOptions blank;
    blank.note = "   ";
    refused(Action::resolve, blank, "usage", "--resolution");
    refused(Action::pend, {}, "failed", "acknowledged");  // a new ticket cannot wait yet
    TransitionOptions future;
    future.at = k_now + 60;
    refused(Action::ack, future, "data", "in the future");
    TransitionOptions too_early;
    too_early.at = k_now - 7200 - 60;
    refused(Action::ack, too_early, "data", "before");
    TransitionOptions bad_text;
    bad_text.note = "fixed \xED\xA0\x80";
    refused(Action::resolve, bad_text, "data", "UTF-8");
    CHECK(events().size() == before_events);
    CHECK(st.count("audit") == before_audit);
    CHECK(repo::get(*st.db, ref).status == Status::new_);
  }
  SUBCASE("pend without a reason is a usage error") {
    transition(at(k_now - 6000), Action::ack, ref, {});
    const auto e = thrown([&] { transition(at(k_now), Action::pend, ref, {}); });
    CHECK(kind(e) == "usage");
    CHECK_MESSAGE(has(e.what(), "--reason"), std::string(e.what()));
  }
  SUBCASE("an unknown ticket") {
    const auto e = thrown([&] { transition(at(k_now), Action::ack, "INC-2026-999999", {}); });
    CHECK(kind(e) == "not_found");
    CHECK_MESSAGE(has(e.what(), "INC-2026-999999"), std::string(e.what()));
  }
}

TEST_CASE("ticket::assign") {
  ZoneGuard zone("UTC");
  TempStore st;
  ensure_account(*st.db, "li");
  ensure_account(*st.db, "zhao");
  const auto s = st.session(k_now);
  const Ticket t = create(s, request("vpn down"));
  auto last_event = [&] { return detail(*st.db, t.ref).events.back(); };

  auto assigned = assign(s, t.ref, "li", std::nullopt);
  CHECK(assigned.assignee == "li");
  CHECK(last_event().kind == "assigned");
  CHECK(parsed(last_event().data) == json{{"from", nullptr}, {"to", "li"}});
  CHECK(last_audit(*st.db).action == "ticket.assign");
  CHECK(parsed(last_audit(*st.db).after)["assignee"] == "li");
  CHECK(parsed(last_audit(*st.db).before)["assignee"] == nullptr);

  SUBCASE("to the same person again changes nothing") {
    const auto events = detail(*st.db, t.ref).events.size();
    const auto entries = st.count("audit");
    CHECK(assign(s, t.ref, "li", std::nullopt).assignee == "li");
    CHECK(detail(*st.db, t.ref).events.size() == events);
    CHECK(st.count("audit") == entries);
  }
  SUBCASE("to someone else, then to nobody") {
    assign(s, t.ref, "zhao", std::nullopt);
    CHECK(parsed(last_event().data) == json{{"from", "li"}, {"to", "zhao"}});
    CHECK_FALSE(assign(s, t.ref, std::nullopt, std::nullopt).assignee);
    CHECK(parsed(last_event().data) == json{{"from", "zhao"}, {"to", nullptr}});
    CHECK_FALSE(repo::get(*st.db, t.ref).assignee);
  }
  SUBCASE("a blank name takes the ticket back") {
    CHECK_FALSE(assign(s, t.ref, "   ", std::nullopt).assignee);
  }
  SUBCASE("a closed ticket is not assigned") {
    TransitionOptions fix;
    fix.note = "ok";
    transition(s, Action::resolve, t.ref, fix);
    transition(s, Action::close, t.ref, {});
    const auto e = thrown([&] { assign(s, t.ref, "zhao", std::nullopt); });
    CHECK(kind(e) == "failed");
    CHECK_MESSAGE(has(e.what(), "closed"), std::string(e.what()));
  }
  SUBCASE("only to an account") {
    const auto e = thrown([&] { assign(s, t.ref, "ghost", std::nullopt); });
    CHECK_MESSAGE(has(e.what(), "ghost"), std::string(e.what()));
    CHECK(repo::get(*st.db, t.ref).assignee == "li");
  }
}

TEST_CASE("ticket::set_fields") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  NewTicket r = request("old title");
  r.system = "erp";
  const Ticket t = create(s, r);
  auto events = [&] { return detail(*st.db, t.ref).events; };

  SUBCASE("nothing to set is a usage error") {
    CHECK(kind(thrown([&] { set_fields(s, t.ref, {}); })) == "usage");
  }
  SUBCASE("one field: one updated event and one audit entry with before and after") {
    FieldChanges c;
    c.title = "  new title  ";
    const Ticket after = set_fields(s, t.ref, c);
    CHECK(after.title == "new title");
    REQUIRE(events().size() == 2);
    CHECK(events()[1].kind == "updated");
    CHECK(parsed(events()[1].data) == json{{"field", "title"}, {"from", "old title"}, {"to", "new title"}});
    const auto a = last_audit(*st.db);
    CHECK(a.action == "ticket.set");
    CHECK(parsed(a.before)["title"] == "old title");
    CHECK(parsed(a.after)["title"] == "new title");
  }
  SUBCASE("several fields: an event each, one audit entry") {
    FieldChanges c;
    c.priority = Priority::high;
    c.system = "";  // clears it
    c.channel = "email";
    c.description = "多行\n描述, with \"quotes\"";
    const Ticket after = set_fields(s, t.ref, c);
    CHECK(after.priority == Priority::high);
    CHECK_FALSE(after.system);
    CHECK(after.channel == Channel::email);
    CHECK(after.description == "多行\n描述, with \"quotes\"");
    CHECK(events().size() == 5);
    CHECK(st.count("audit") == 2);
    const auto stored = repo::get(*st.db, t.ref);
    CHECK_FALSE(stored.system);
    CHECK(stored.channel == Channel::email);
    c = {};
    c.channel = "";
    CHECK_FALSE(set_fields(s, t.ref, c).channel);
  }
  SUBCASE("setting what is already there changes nothing") {
    FieldChanges c;
    c.title = "old title";
    c.system = "erp";
    set_fields(s, t.ref, c);
    CHECK(events().size() == 1);
    CHECK(st.count("audit") == 1);
  }
  SUBCASE("bad values") {
    FieldChanges c;
    c.title = "   ";
    CHECK(kind(thrown([&] { set_fields(s, t.ref, c); })) == "data");
    c = {};
    c.channel = "fax";
    const auto e = thrown([&] { set_fields(s, t.ref, c); });
    CHECK(kind(e) == "usage");
    CHECK_MESSAGE(has(e.what(), "phone, email"), std::string(e.what()));
    c = {};
    c.description = "bad \xC3";
    CHECK(kind(thrown([&] { set_fields(s, t.ref, c); })) == "data");
    CHECK(events().size() == 1);
    CHECK(repo::get(*st.db, t.ref).title == "old title");
  }
}

TEST_CASE("ticket::comment") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  const Ticket t = create(s, request("slow reports"));
  SUBCASE("trimmed, as an event and an audit entry") {
    const Event e = comment(s, t.ref, "  客户确认已恢复  \n", std::nullopt);
    CHECK(e.kind == "comment");
    CHECK(e.text == "客户确认已恢复");
    CHECK(e.actor == "wang");
    CHECK(e.id > 0);
    CHECK(detail(*st.db, t.ref).events.back().text == "客户确认已恢复");
    const auto a = last_audit(*st.db);
    CHECK(a.action == "ticket.comment");
    CHECK(parsed(a.after)["text"] == "客户确认已恢复");
  }
  SUBCASE("refused") {
    for (const std::string& text : {""s, "  \n "s, "bad \xF0\x9F"s, "nul \0 byte"s, std::string(k_max_text + 1, 'x')}) {
      CAPTURE(text.size());
      CHECK(kind(thrown([&] { comment(s, t.ref, text, std::nullopt); })) == "data");
    }
    CHECK(detail(*st.db, t.ref).events.size() == 1);
    CHECK(kind(thrown([&] { comment(s, "INC-2026-000099", "hello", std::nullopt); })) == "not_found");
  }
}

TEST_CASE("ticket::log_work") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  const Ticket t = create(s, request("migrate mail"));
  SUBCASE("adds up") {
    CHECK(log_work(s, t.ref, 1800, std::nullopt, std::nullopt) == 1800);
    CHECK(log_work(s, t.ref, 3600, "  index rebuild  "s, std::nullopt) == 5400);
    const auto d = detail(*st.db, t.ref);
    CHECK(d.work_logged == 5400);
    CHECK(d.events.back().kind == "work");
    CHECK(d.events.back().text == "index rebuild");
    CHECK(parsed(d.events.back().data)["seconds"] == 3600);
    const auto a = last_audit(*st.db);
    CHECK(a.action == "ticket.log-work");
    CHECK(parsed(a.after) == json{{"spent", "1h"}, {"total", "1h30m"}});
  }
  SUBCASE("at most seven days at once") {
    CHECK(log_work(s, t.ref, 7 * 86400, std::nullopt, std::nullopt) == 7 * 86400);
    for (const core::Seconds bad : {core::Seconds{0}, core::Seconds{-60}, core::Seconds{7 * 86400 + 1}}) {
      CAPTURE(bad);
      const auto e = thrown([&] { log_work(s, t.ref, bad, std::nullopt, std::nullopt); });
      CHECK(kind(e) == "data");
      CHECK_MESSAGE(has(e.what(), "7d"), std::string(e.what()));
    }
    CHECK(detail(*st.db, t.ref).work_logged == 7 * 86400);
  }
  SUBCASE("a bad note") {
    CHECK(kind(thrown([&] { log_work(s, t.ref, 60, "\xFF"s, std::nullopt); })) == "data");
    CHECK(detail(*st.db, t.ref).work_logged == 0);
  }
}

TEST_CASE("ticket::link") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  const Ticket incident = create(s, request("ERP slow"));
  NewTicket p = request("connection pool too small");
  p.type = TicketType::problem;
  const Ticket problem = create(s, p);

  const Link l = link(s, incident.ref, problem.ref, model::LinkKind::caused_by);
  CHECK(l.from_ref == incident.ref);
  CHECK(l.to_ref == problem.ref);
  CHECK(l.created_at == k_now);
  CHECK(l.actor == "wang");
  SUBCASE("seen from both tickets, with an event and an audit entry") {
    const auto from = detail(*st.db, incident.ref);
    const auto to = detail(*st.db, problem.ref);
    REQUIRE(from.links.size() == 1);
    REQUIRE(to.links.size() == 1);
    CHECK(to.links[0].from_ref == incident.ref);
    CHECK(to.links[0].kind == model::LinkKind::caused_by);
    CHECK(from.events.back().kind == "linked");
    CHECK(parsed(from.events.back().data) == json{{"to", problem.ref}, {"kind", "caused-by"}});
    CHECK(to.events.size() == 1);  // the target's history is unchanged
    const auto a = last_audit(*st.db);
    CHECK(a.action == "ticket.link");
    CHECK(a.object == incident.ref);
  }
  SUBCASE("the same link twice is refused; another kind is fine") {
    const auto e = thrown([&] { link(s, incident.ref, problem.ref, model::LinkKind::caused_by); });
    CHECK(kind(e) == "failed");
    CHECK_MESSAGE(has(e.what(), "already linked"), std::string(e.what()));
    link(s, incident.ref, problem.ref, model::LinkKind::relates);
    CHECK(detail(*st.db, incident.ref).links.size() == 2);
  }
  SUBCASE("not to itself, not to a ticket that does not exist") {
    CHECK(kind(thrown([&] { link(s, incident.ref, incident.ref, model::LinkKind::relates); })) == "data");
    CHECK(kind(thrown([&] { link(s, incident.ref, "PRB-2026-000099", model::LinkKind::relates); })) == "not_found");
    CHECK(detail(*st.db, incident.ref).links.size() == 1);
  }
}

TEST_CASE("ticket::check_text") {
  CHECK_NOTHROW(check_text("title", "plain", 10));
  CHECK_NOTHROW(check_text("title", "数据库", 9));
  CHECK_NOTHROW(check_text("title", "", 0));
  CHECK_NOTHROW(check_text("title", std::string(1000, 'x'), k_max_title));
  SUBCASE("too long, in bytes") {
    const auto e = thrown([] { check_text("title", std::string(1001, 'x'), k_max_title); });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), "title"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "1001"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "1000"), std::string(e.what()));
    CHECK(kind(thrown([] { check_text("title", "数据库", 8); })) == "data");
  }
  SUBCASE("invalid UTF-8") {
    const auto e = thrown([] { check_text("description", "caf\xE9", k_max_text); });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), "description"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "UTF-8"), std::string(e.what()));
  }
  SUBCASE("a NUL byte") {
    const auto e = thrown([] { check_text("comment", "a\0b"s, k_max_text); });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), "comment"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "NUL"), std::string(e.what()));
  }
}

TEST_SUITE_END();
