// Accounts: finding the actor (and bootstrapping the first admin), adding, changing, disabling
// and removing accounts, grants, and the rule that someone can always manage accounts.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "account/account.hpp"
#include "account/permissions.hpp"
#include "audit/audit.hpp"
#include "support/helpers.hpp"
#include "ticket/service.hpp"
#include "ticket/staff.hpp"

using namespace opsdesk;
using account::Identity;
using model::Role;
using nlohmann::json;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::TempStore;
using opsdesk::test::thrown;
using opsdesk::test::ZoneGuard;

TEST_SUITE_BEGIN("account");

namespace {

constexpr core::Timestamp k_now = 1795588200;  // 2026-11-25T06:30:00Z
constexpr core::Timestamp k_midnight = 1795564800;  // 2026-11-25T00:00:00Z
constexpr core::Timestamp k_day = 86400;

using Strings = std::vector<std::string>;

Identity who(std::string name, Identity::Source source = Identity::Source::flag) { return {std::move(name), source}; }

desk::Session as(TempStore& st, std::string actor, std::optional<Role> role, core::Timestamp now = k_now) {
  auto s = st.session(now, std::move(actor));
  s.role = role;
  return s;
}

// A store whose first account, "wang", was bootstrapped as admin.
struct Desk {
  TempStore st;
  Desk() { REQUIRE(account::resolve(*st.db, who("wang"), true, k_now - 3600).bootstrapped); }
  desk::Session admin(core::Timestamp now = k_now) { return as(st, "wang", Role::admin, now); }
  account::Account add(std::string name, Role role, std::optional<std::string> os_user = std::nullopt) {
    account::NewAccount r;
    r.name = std::move(name);
    r.role = role;
    r.os_user = std::move(os_user);
    return account::add(admin(), r);
  }
};

std::vector<std::string> names(const std::vector<account::Account>& accounts) {
  std::vector<std::string> out;
  for (const auto& a : accounts) out.push_back(a.name);
  return out;
}

audit::Entry last_audit(store::Db& db) {
  const auto all = audit::list(db, {});
  REQUIRE_FALSE(all.empty());
  return all.back();
}

std::size_t audit_count(store::Db& db) { return audit::list(db, {}).size(); }

json parsed(const std::optional<std::string>& text) { return text ? json::parse(*text) : json(nullptr); }

}  // namespace

TEST_CASE("account::resolve, the first writer of an empty store becomes its admin") {
  TempStore st;
  SUBCASE("by login name: the login is recorded as its os_user") {
    const auto actor = account::resolve(*st.db, who("wang", Identity::Source::login), true, k_now);
    CHECK(actor.name == "wang");
    CHECK(actor.role == Role::admin);
    CHECK(actor.bootstrapped);
    const auto a = account::get(*st.db, "wang");
    CHECK(a.role == Role::admin);
    CHECK(a.os_user == std::optional<std::string>("wang"));
    CHECK_FALSE(a.disabled);
    CHECK(a.created_at == k_now);
    CHECK(a.updated_at == k_now);
    const auto e = last_audit(*st.db);
    CHECK(e.action == "account.bootstrap");
    CHECK(e.object == "account:wang");
    CHECK(e.actor == "wang");
    CHECK(e.at == k_now);
    CHECK_FALSE(e.before);
    CHECK(parsed(e.after) == json{{"name", "wang"}, {"role", "admin"}, {"display_name", nullptr},
                                  {"email", nullptr}, {"os_user", "wang"}, {"disabled", false},
                                  {"leaves_on", nullptr}});
    SUBCASE("the next command finds it and bootstraps nothing") {
      const auto again = account::resolve(*st.db, who("wang", Identity::Source::login), true, k_now + 60);
      CHECK(again.role == Role::admin);
      CHECK_FALSE(again.bootstrapped);
      CHECK(st.count("accounts") == 1);
      CHECK(audit_count(*st.db) == 1);
    }
  }
  SUBCASE("by --as or OPSDESK_USER: no os_user") {
    const auto actor = account::resolve(*st.db, who("li", Identity::Source::environment), true, k_now);
    CHECK(actor.bootstrapped);
    CHECK(account::get(*st.db, "li").os_user == std::nullopt);
  }
  SUBCASE("a reader of an empty store gets no role and creates nothing") {
    const auto actor = account::resolve(*st.db, who("wang"), false, k_now);
    CHECK(actor.name == "wang");
    CHECK(actor.role == std::nullopt);
    CHECK_FALSE(actor.bootstrapped);
    CHECK_FALSE(account::any(*st.db));
    CHECK(audit_count(*st.db) == 0);
  }
  SUBCASE("a name that cannot be an account is refused, and nothing is created") {
    const auto e = thrown([&] { account::resolve(*st.db, who("Wang Li"), true, k_now); });
    CHECK(kind(e) == "data");
    CHECK(has(e.what(), "invalid account name \"Wang Li\"; expected 1-64 lowercase letters"));
    CHECK_FALSE(account::any(*st.db));
    CHECK(kind(thrown([&] { account::resolve(*st.db, who("-rf"), true, k_now); })) == "data");
    CHECK(kind(thrown([&] { account::resolve(*st.db, who(std::string(65, 'a')), true, k_now); })) == "data");
    CHECK(account::resolve(*st.db, who(std::string(64, 'a')), true, k_now).bootstrapped);
  }
}

TEST_CASE("account::resolve, once there are accounts") {
  Desk d;
  auto& db = *d.st.db;
  d.add("zhang", Role::engineer, "zs");
  SUBCASE("an unknown name is refused, saying where the name came from") {
    const auto by_flag = thrown([&] { account::resolve(db, who("li"), true, k_now); });
    CHECK(kind(by_flag) == "permission");
    CHECK(std::string(by_flag.what()) ==
          "li (--as) has no account in this store; ask an admin to run `opsdesk account add li --role ...`");
    CHECK(has(thrown([&] { account::resolve(db, who("li", Identity::Source::environment), false, k_now); }).what(),
              "li (OPSDESK_USER) has no account"));
    CHECK(has(thrown([&] { account::resolve(db, who("li", Identity::Source::login), false, k_now); }).what(),
              "li (your login name) has no account"));
    CHECK(account::list(db, true).size() == 2);
  }
  SUBCASE("a login name matches an os_user first, then a name") {
    const auto a = account::resolve(db, who("zs", Identity::Source::login), true, k_now);
    CHECK(a.name == "zhang");
    CHECK(a.role == Role::engineer);
    CHECK(account::resolve(db, who("zhang", Identity::Source::login), false, k_now).name == "zhang");
    // --as names an account, never a login.
    CHECK(kind(thrown([&] { account::resolve(db, who("zs"), false, k_now); })) == "permission");
  }
  SUBCASE("a disabled account is refused") {
    account::set_disabled(d.admin(), "zhang", true);
    const auto e = thrown([&] { account::resolve(db, who("zhang"), false, k_now); });
    CHECK(kind(e) == "permission");
    CHECK(std::string(e.what()) == "account zhang is disabled; an admin can enable it");
    CHECK(kind(thrown([&] { account::resolve(db, who("zs", Identity::Source::login), true, k_now); })) ==
          "permission");
    account::set_disabled(d.admin(), "zhang", false);
    CHECK(account::resolve(db, who("zhang"), false, k_now).role == Role::engineer);
  }
}

TEST_CASE("account::add") {
  ZoneGuard zone("UTC");
  Desk d;
  auto& db = *d.st.db;
  SUBCASE("trims and drops blank fields, audits the new account") {
    account::NewAccount r;
    r.name = "li.si_2";
    r.role = Role::customer;
    r.display_name = "  李四 ";
    r.email = "  ";
    r.os_user = "lisi";
    const auto a = account::add(d.admin(), r);
    CHECK(a.name == "li.si_2");
    CHECK(a.role == Role::customer);
    CHECK(a.display_name == std::optional<std::string>("李四"));
    CHECK(a.email == std::nullopt);
    CHECK(a.os_user == std::optional<std::string>("lisi"));
    CHECK(a.created_at == k_now);
    const auto stored = account::get(db, "li.si_2");
    CHECK(stored.id == a.id);
    CHECK(stored.display_name == std::optional<std::string>("李四"));
    const auto e = last_audit(db);
    CHECK(e.action == "account.add");
    CHECK(e.object == "account:li.si_2");
    CHECK(e.actor == "wang");
    CHECK(parsed(e.after)["display_name"] == "李四");
    CHECK(parsed(e.after)["role"] == "customer");
  }
  SUBCASE("refusals") {
    d.add("zhang", Role::engineer, "zs");
    const auto twice = thrown([&] { d.add("zhang", Role::viewer); });
    CHECK(kind(twice) == "failed");
    CHECK(std::string(twice.what()) == "account zhang already exists");
    const auto login = thrown([&] { d.add("zhang2", Role::viewer, "zs"); });
    CHECK(kind(login) == "failed");
    CHECK(std::string(login.what()) == "login zs already belongs to account zhang");
    CHECK(kind(thrown([&] { d.add("Zhang", Role::viewer); })) == "data");
    CHECK(kind(thrown([&] { d.add(".hidden", Role::viewer); })) == "data");
    CHECK(kind(thrown([&] { d.add("", Role::viewer); })) == "data");
    account::NewAccount bad;
    bad.name = "x";
    bad.email = std::string("a\0b", 3);
    CHECK(kind(thrown([&] { account::add(d.admin(), bad); })) == "data");
    bad.email = std::string(201, 'e');
    CHECK(kind(thrown([&] { account::add(d.admin(), bad); })) == "data");
    bad.email = std::nullopt;
    bad.display_name = "\xff\xfe";
    CHECK(has(thrown([&] { account::add(d.admin(), bad); }).what(), "display name must be valid UTF-8"));
    CHECK(names(account::list(db, true)) == Strings{"wang", "zhang"});
  }
  SUBCASE("needs account.manage") {
    d.add("zhang", Role::engineer);
    account::NewAccount r;
    r.name = "li";
    const auto e = thrown([&] { account::add(as(d.st, "zhang", Role::engineer), r); });
    CHECK(kind(e) == "permission");
    CHECK(has(e.what(), "zhang (engineer) may not account.manage"));
    CHECK_FALSE(account::find(db, "li"));
  }
}

TEST_CASE("account::list, find and get") {
  Desk d;
  auto& db = *d.st.db;
  d.add("zhang", Role::engineer);
  d.add("chen", Role::customer);
  d.add("li", Role::manager);
  account::set_disabled(d.admin(), "li", true);
  CHECK(names(account::list(db, false)) == Strings{"chen", "wang", "zhang"});
  CHECK(names(account::list(db, true)) == Strings{"chen", "li", "wang", "zhang"});
  CHECK(account::find(db, "li")->disabled);
  CHECK_FALSE(account::find(db, "nobody"));
  const auto e = thrown([&] { account::get(db, "nobody"); });
  CHECK(kind(e) == "not_found");
  CHECK(std::string(e.what()) == "no account nobody; `opsdesk account list` shows them");
  CHECK(account::any(db));
}

TEST_CASE("account::set") {
  ZoneGuard zone("UTC");
  Desk d;
  auto& db = *d.st.db;
  d.add("zhang", Role::engineer, "zs");
  account::AccountChanges c;
  SUBCASE("changes the engaged fields and audits only what changed") {
    c.role = Role::manager;
    c.email = "zhang@example.com";
    const auto a = account::set(d.admin(k_now + 60), "zhang", c);
    CHECK(a.role == Role::manager);
    CHECK(a.email == std::optional<std::string>("zhang@example.com"));
    CHECK(a.os_user == std::optional<std::string>("zs"));
    CHECK(a.updated_at == k_now + 60);
    CHECK(a.created_at == k_now);
    CHECK(account::get(db, "zhang").role == Role::manager);
    const auto e = last_audit(db);
    CHECK(e.action == "account.set");
    CHECK(e.object == "account:zhang");
    CHECK(parsed(e.before) == json{{"role", "engineer"}, {"email", nullptr}});
    CHECK(parsed(e.after) == json{{"role", "manager"}, {"email", "zhang@example.com"}});
  }
  SUBCASE("an engaged empty string clears") {
    c.display_name = "张三";
    account::set(d.admin(), "zhang", c);
    c.display_name = "";
    c.os_user = " ";
    const auto a = account::set(d.admin(), "zhang", c);
    CHECK(a.display_name == std::nullopt);
    CHECK(a.os_user == std::nullopt);
    CHECK(account::get(db, "zhang").os_user == std::nullopt);
  }
  SUBCASE("a planned departure, and taking it back") {
    c.leaves_on = std::optional<core::Timestamp>(k_midnight + 2 * k_day);
    const auto a = account::set(d.admin(), "zhang", c);
    CHECK(a.leaves_on == std::optional<core::Timestamp>(k_midnight + 2 * k_day));
    CHECK(account::to_json(a)["leaves_on"] == "2026-11-27");
    CHECK(parsed(last_audit(db).after) == json{{"leaves_on", "2026-11-27"}});
    c.leaves_on = std::optional<core::Timestamp>{};
    const auto b = account::set(d.admin(), "zhang", c);
    CHECK(b.leaves_on == std::nullopt);
    CHECK(account::get(db, "zhang").leaves_on == std::nullopt);
    CHECK(account::to_json(b)["leaves_on"] == nullptr);
  }
  SUBCASE("another account's login is refused") {
    d.add("li", Role::engineer, "lisi");
    c.os_user = "lisi";
    CHECK(has(thrown([&] { account::set(d.admin(), "zhang", c); }).what(), "login lisi already belongs to account li"));
    c.os_user = "zs";  // its own
    CHECK_NOTHROW(account::set(d.admin(), "zhang", c));
  }
  SUBCASE("an unknown account") {
    CHECK(kind(thrown([&] { account::set(d.admin(), "nobody", c); })) == "not_found");
  }
  SUBCASE("the last admin cannot demote itself") {
    c.role = Role::manager;
    const auto e = thrown([&] { account::set(d.admin(), "wang", c); });
    CHECK(kind(e) == "failed");
    CHECK(std::string(e.what()) == "wang is the last account that can manage accounts; add another admin first");
    CHECK(account::get(db, "wang").role == Role::admin);
    d.add("root", Role::admin);
    CHECK(account::set(d.admin(), "wang", c).role == Role::manager);
  }
}

TEST_CASE("account::set_disabled, nobody is locked out") {
  Desk d;
  auto& db = *d.st.db;
  d.add("zhang", Role::engineer);
  SUBCASE("disabling and enabling, audited") {
    const auto a = account::set_disabled(d.admin(), "zhang", true);
    CHECK(a.disabled);
    CHECK(last_audit(db).action == "account.disable");
    CHECK(parsed(last_audit(db).after) == json{{"disabled", true}});
    const auto n = audit_count(db);
    CHECK(account::set_disabled(d.admin(), "zhang", true).disabled);  // already: no change, no entry
    CHECK(audit_count(db) == n);
    CHECK_FALSE(account::set_disabled(d.admin(), "zhang", false).disabled);
    CHECK(last_audit(db).action == "account.enable");
  }
  SUBCASE("the last enabled admin cannot be disabled") {
    const auto e = thrown([&] { account::set_disabled(d.admin(), "wang", true); });
    CHECK(kind(e) == "failed");
    CHECK(std::string(e.what()) == "wang is the last account that can manage accounts; add another admin first");
    CHECK_FALSE(account::get(db, "wang").disabled);
  }
  SUBCASE("a disabled admin does not count") {
    d.add("root", Role::admin);
    account::set_disabled(d.admin(), "root", true);
    CHECK(kind(thrown([&] { account::set_disabled(d.admin(), "wang", true); })) == "failed");
    account::set_disabled(d.admin(), "root", false);
    CHECK(account::set_disabled(d.admin(), "wang", true).disabled);
  }
  SUBCASE("another role that may manage accounts counts") {
    account::grant(d.admin(), Role::manager, "account.manage");
    d.add("li", Role::manager);
    CHECK(account::set_disabled(d.admin(), "wang", true).disabled);
  }
}

TEST_CASE("account::remove") {
  Desk d;
  auto& db = *d.st.db;
  d.add("zhang", Role::engineer);
  SUBCASE("an account without history goes, audited") {
    account::remove(d.admin(), "zhang");
    CHECK_FALSE(account::find(db, "zhang"));
    const auto e = last_audit(db);
    CHECK(e.action == "account.remove");
    CHECK(e.object == "account:zhang");
    CHECK(parsed(e.before)["name"] == "zhang");
    CHECK_FALSE(e.after);
  }
  SUBCASE("an account with history is kept as evidence") {
    ticket::NewTicket t;
    t.title = "disk full";
    t.assignee = "zhang";
    ticket::create(as(d.st, "zhang", Role::engineer), t);
    const auto e = thrown([&] { account::remove(d.admin(), "zhang"); });
    CHECK(kind(e) == "failed");
    CHECK(std::string(e.what()) ==
          "account zhang has history (1 audit entries, 1 ticket events, 1 assigned tickets) and is kept as evidence; "
          "disable it instead: opsdesk account disable zhang");
    CHECK(account::find(db, "zhang"));
  }
  SUBCASE("the last admin cannot remove itself") {
    // An admin without history (inserted directly), acting for the first time.
    db.run("INSERT INTO accounts (name, role, created_at, updated_at) VALUES ('root', 'admin', 0, 0)");
    account::set_disabled(d.admin(), "wang", true);
    const auto e = thrown([&] { account::remove(as(d.st, "root", Role::admin), "root"); });
    CHECK(kind(e) == "failed");
    CHECK(has(e.what(), "root is the last account that can manage accounts"));
    CHECK(account::find(db, "root"));
  }
  SUBCASE("an unknown account") {
    CHECK(kind(thrown([&] { account::remove(d.admin(), "nobody"); })) == "not_found");
  }
}

TEST_CASE("account::grant and account::revoke") {
  Desk d;
  auto& db = *d.st.db;
  SUBCASE("grant, then revoke, each audited") {
    account::grant(d.admin(), Role::viewer, "ticket.comment");
    CHECK(account::role_has(db, Role::viewer, "ticket.comment"));
    auto e = last_audit(db);
    CHECK(e.action == "role.grant");
    CHECK(e.object == "role:viewer");
    CHECK(parsed(e.after) == json{{"permission", "ticket.comment"}});
    CHECK_NOTHROW(account::require(as(d.st, "zhao", Role::viewer), "ticket.comment"));

    const auto twice = thrown([&] { account::grant(d.admin(), Role::viewer, "ticket.comment"); });
    CHECK(kind(twice) == "failed");
    CHECK(std::string(twice.what()) == "viewer already has ticket.comment");

    account::revoke(d.admin(), Role::viewer, "ticket.comment");
    CHECK_FALSE(account::role_has(db, Role::viewer, "ticket.comment"));
    e = last_audit(db);
    CHECK(e.action == "role.revoke");
    CHECK(parsed(e.before) == json{{"permission", "ticket.comment"}});
    CHECK_FALSE(e.after);
    const auto gone = thrown([&] { account::revoke(d.admin(), Role::viewer, "ticket.comment"); });
    CHECK(kind(gone) == "failed");
    CHECK(std::string(gone.what()) == "viewer does not have ticket.comment");
  }
  SUBCASE("an unknown permission is a usage error") {
    const auto e = thrown([&] { account::grant(d.admin(), Role::viewer, "ticket.comments"); });
    CHECK(kind(e) == "usage");
    CHECK(has(e.what(), "did you mean ticket.comment?"));
    CHECK(kind(thrown([&] { account::revoke(d.admin(), Role::viewer, "x"); })) == "usage");
  }
  SUBCASE("only account.manage may grant") {
    const auto e = thrown([&] { account::grant(as(d.st, "li", Role::manager), Role::manager, "account.manage"); });
    CHECK(kind(e) == "permission");
    CHECK_FALSE(account::role_has(db, Role::manager, "account.manage"));
  }
  SUBCASE("revoking account.manage from the only role that holds it is refused (and rolled back)") {
    {
      store::Transaction tx(db, true);
      const auto e = thrown([&] { account::revoke(d.admin(), Role::admin, "account.manage"); });
      CHECK(kind(e) == "failed");
      CHECK(std::string(e.what()) == "revoking account.manage from every enabled account would lock everyone out");
    }  // the command's transaction rolls back
    CHECK(account::role_has(db, Role::admin, "account.manage"));
  }
  SUBCASE("but allowed while an enabled account of another role holds it") {
    account::grant(d.admin(), Role::manager, "account.manage");
    d.add("li", Role::manager);
    account::revoke(d.admin(), Role::admin, "account.manage");
    CHECK_FALSE(account::role_has(db, Role::admin, "account.manage"));
    CHECK(kind(thrown([&] { account::revoke(as(d.st, "li", Role::manager), Role::manager, "account.manage"); })) ==
          "failed");
  }
}

TEST_CASE("account::check_assignable") {
  Desk d;
  auto& db = *d.st.db;
  d.add("zhang", Role::engineer);
  d.add("chen", Role::customer);
  d.add("li", Role::engineer);
  account::set_disabled(d.admin(), "li", true);
  CHECK_NOTHROW(account::check_assignable(db, "zhang"));
  CHECK_NOTHROW(account::check_assignable(db, "wang"));
  const auto customer = thrown([&] { account::check_assignable(db, "chen"); });
  CHECK(kind(customer) == "failed");
  CHECK(std::string(customer.what()) == "cannot assign to chen: role customer does not work on tickets (ticket.update)");
  const auto disabled = thrown([&] { account::check_assignable(db, "li"); });
  CHECK(kind(disabled) == "failed");
  CHECK(std::string(disabled.what()) == "account li is disabled; assign someone else");
  CHECK(kind(thrown([&] { account::check_assignable(db, "nobody"); })) == "not_found");
}

TEST_CASE("account::to_json") {
  ZoneGuard zone("Asia/Shanghai");
  account::Account a;
  a.name = "zhang";
  a.role = Role::engineer;
  a.display_name = "张三";
  a.leaves_on = k_midnight + 5 * k_day - 8 * 3600;  // local midnight of 2026-11-30 in Shanghai
  const json j = account::to_json(a);
  CHECK(j == json{{"name", "zhang"}, {"role", "engineer"}, {"display_name", "张三"}, {"email", nullptr},
                  {"os_user", nullptr}, {"disabled", false}, {"leaves_on", "2026-11-30"}});
}

TEST_CASE("ticket::departures, of accounts given a leaving date") {
  ZoneGuard zone("UTC");
  Desk d;
  auto& db = *d.st.db;
  d.add("zhang", Role::engineer);
  d.add("li", Role::engineer);
  d.add("zhao", Role::engineer);
  for (const char* assignee : {"zhang", "zhang", "li", "zhao"}) {
    ticket::NewTicket t;
    t.title = std::string("work for ") + assignee;
    t.assignee = assignee;
    ticket::create(d.admin(), t);
  }
  const auto leave = [&](const char* name, core::Timestamp day) {
    account::AccountChanges c;
    c.leaves_on = std::optional<core::Timestamp>(day);
    account::set(d.admin(), name, c);
  };
  leave("zhang", k_midnight + 2 * k_day);   // within three days
  leave("li", k_midnight + 10 * k_day);     // later
  leave("zhao", k_midnight - 1 * k_day);    // already gone
  const auto found = ticket::departures(db, k_now, 3 * k_day);
  REQUIRE(found.size() == 2);
  CHECK(found[0].account.name == "zhao");
  CHECK(found[0].open_tickets == 1);
  CHECK(found[1].account.name == "zhang");
  CHECK(found[1].open_tickets == 2);
  CHECK(ticket::describe(found[1], k_now) ==
        "zhang leaves on 2026-11-27 (in 1d) with 2 open tickets assigned; reassign them");
  CHECK(ticket::describe(found[0], k_now) == "zhao left on 2026-11-24 (1d ago) with 1 open ticket assigned; reassign it");
  CHECK(ticket::departures(db, k_now, 3 * k_day, std::string("li")).empty());
  CHECK(ticket::departures(db, k_now, 11 * k_day, std::string("li")).size() == 1);
  SUBCASE("a departure taken back is no longer reported") {
    account::AccountChanges c;
    c.leaves_on = std::optional<core::Timestamp>{};
    account::set(d.admin(), "zhang", c);
    const auto left = ticket::departures(db, k_now, 3 * k_day);
    REQUIRE(left.size() == 1);
    CHECK(left[0].account.name == "zhao");
  }
}

TEST_SUITE_END();
