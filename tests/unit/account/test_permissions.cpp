// Named permissions: the roles a new store gives them, and require()'s refusals, which name the
// account, its role, the permission and the roles that hold it.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "account/permissions.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using account::require;
using account::role_has;
using account::role_permissions;
using account::roles_with;
using model::Role;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::TempStore;
using opsdesk::test::thrown;

TEST_SUITE_BEGIN("account");

namespace {

constexpr core::Timestamp k_now = 1795588200;  // 2026-11-25T06:30:00Z

using Strings = std::vector<std::string>;
using Roles = std::vector<Role>;

std::vector<std::string> role_names(const Roles& roles) {
  std::vector<std::string> out;
  for (const auto r : roles) out.emplace_back(model::name(r));
  return out;
}

desk::Session as(TempStore& st, std::string actor, std::optional<Role> role) {
  auto s = st.session(k_now, std::move(actor));
  s.role = role;
  return s;
}

}  // namespace

TEST_CASE("account::permissions, the list") {
  const auto& all = account::permissions();
  REQUIRE(all.size() == 22);
  std::vector<std::string> names;
  for (const auto& p : all) {
    names.emplace_back(p.name);
    CHECK_FALSE(p.description.empty());
  }
  CHECK(std::is_sorted(names.begin(), names.end()));
  CHECK(std::adjacent_find(names.begin(), names.end()) == names.end());
  CHECK(names.front() == "account.manage");
  CHECK(names.back() == "ticket.update");
}

TEST_CASE("account::role_permissions, the defaults of a new store") {
  TempStore st;
  auto& db = *st.db;
  SUBCASE("admin manages accounts but approves nothing for the customer") {
    CHECK(role_permissions(db, Role::admin) ==
          Strings{"account.manage", "audit.read", "backup.restore", "backup.run", "dbtune.analyze", "dbtune.apply",
                  "downtime.manage", "inspect.run", "kb.write", "report.generate", "sla.extend.request",
                  "ticket.close", "ticket.comment", "ticket.create", "ticket.import", "ticket.read", "ticket.sign",
                  "ticket.update"});
    CHECK_FALSE(role_has(db, Role::admin, "change.approve"));
    CHECK_FALSE(role_has(db, Role::admin, "release.approve"));
    CHECK_FALSE(role_has(db, Role::admin, "sla.extend.approve"));
    CHECK_FALSE(role_has(db, Role::admin, "ticket.survey"));
  }
  SUBCASE("manager") {
    CHECK(role_permissions(db, Role::manager) ==
          Strings{"audit.read", "backup.restore", "backup.run", "change.approve", "dbtune.analyze", "dbtune.apply",
                  "downtime.manage", "inspect.run", "kb.write", "release.approve", "report.generate",
                  "sla.extend.request", "ticket.close", "ticket.comment", "ticket.create", "ticket.import",
                  "ticket.read", "ticket.sign", "ticket.update"});
  }
  SUBCASE("engineer") {
    CHECK(role_permissions(db, Role::engineer) ==
          Strings{"backup.run", "dbtune.analyze", "downtime.manage", "inspect.run", "kb.write", "sla.extend.request",
                  "ticket.close", "ticket.comment", "ticket.create", "ticket.read", "ticket.sign", "ticket.update"});
    CHECK_FALSE(role_has(db, Role::engineer, "backup.restore"));
    CHECK_FALSE(role_has(db, Role::engineer, "audit.read"));
  }
  SUBCASE("customer") {
    CHECK(role_permissions(db, Role::customer) ==
          Strings{"change.approve", "release.approve", "sla.extend.approve", "ticket.comment", "ticket.create",
                  "ticket.read", "ticket.sign", "ticket.survey"});
  }
  SUBCASE("viewer only reads") {
    CHECK(role_permissions(db, Role::viewer) == Strings{"audit.read", "ticket.read"});
  }
  SUBCASE("only the customer approves SLA extensions and answers surveys") {
    CHECK(role_names(roles_with(db, "sla.extend.approve")) == Strings{"customer"});
    CHECK(role_names(roles_with(db, "ticket.survey")) == Strings{"customer"});
    CHECK(role_names(roles_with(db, "change.approve")) == Strings{"manager", "customer"});
    CHECK(role_names(roles_with(db, "account.manage")) == Strings{"admin"});
    CHECK(role_names(roles_with(db, "ticket.read")) == Strings{"admin", "manager", "engineer", "customer", "viewer"});
    CHECK(roles_with(db, "no.such").empty());
  }
  SUBCASE("every permission granted is a known one, and every known one is held by some role") {
    std::set<std::string> known;
    for (const auto& p : account::permissions()) known.emplace(p.name);
    std::set<std::string> granted;
    for (const auto role : {Role::admin, Role::manager, Role::engineer, Role::customer, Role::viewer})
      for (const auto& p : role_permissions(db, role)) granted.insert(p);
    CHECK(granted == known);
  }
}

TEST_CASE("account::check_permission_name") {
  CHECK_NOTHROW(account::check_permission_name("sla.extend.approve"));
  const auto e = thrown([] { account::check_permission_name("ticket.raed"); });
  CHECK(kind(e) == "usage");
  CHECK(has(e.what(), "unknown permission \"ticket.raed\"; expected one of account.manage, audit.read,"));
  CHECK(has(e.what(), "(did you mean ticket.read?)"));
  CHECK(kind(thrown([] { account::check_permission_name(""); })) == "usage");
  CHECK(kind(thrown([] { account::check_permission_name("TICKET.READ"); })) == "usage");  // names are exact
}

TEST_CASE("account::require") {
  TempStore st;
  SUBCASE("a permission the role holds") {
    CHECK_NOTHROW(require(as(st, "wang", Role::engineer), "ticket.update"));
    CHECK_NOTHROW(require(as(st, "chen", Role::customer), "sla.extend.approve"));
    CHECK_NOTHROW(require(as(st, "root", Role::admin), "account.manage"));
  }
  SUBCASE("a refusal names the account, its role, the permission and who may") {
    const auto e = thrown([&] { require(as(st, "wang", Role::engineer), "sla.extend.approve"); });
    CHECK(kind(e) == "permission");
    CHECK(std::string(e.what()) ==
          "wang (engineer) may not sla.extend.approve (approve or reject SLA extensions); roles that may: customer");
  }
  SUBCASE("admin may not approve changes") {
    const auto e = thrown([&] { require(as(st, "root", Role::admin), "change.approve"); });
    CHECK(kind(e) == "permission");
    CHECK(std::string(e.what()) ==
          "root (admin) may not change.approve (approve or reject changes); roles that may: manager, customer");
  }
  SUBCASE("a viewer may not survey") {
    const auto e = thrown([&] { require(as(st, "zhao", Role::viewer), "ticket.survey"); });
    CHECK(std::string(e.what()) ==
          "zhao (viewer) may not ticket.survey (answer satisfaction surveys); roles that may: customer");
  }
  SUBCASE("a permission nobody holds any more") {
    st.db->run("DELETE FROM role_permissions WHERE permission = 'release.approve'");
    const auto e = thrown([&] { require(as(st, "li", Role::manager), "release.approve"); });
    CHECK(std::string(e.what()) == "li (manager) may not release.approve (approve releases); roles that may: none");
  }
  SUBCASE("a grant in the store counts at once") {
    st.db->run("INSERT INTO role_permissions (role, permission) VALUES ('viewer', 'ticket.comment')");
    CHECK_NOTHROW(require(as(st, "zhao", Role::viewer), "ticket.comment"));
    CHECK(role_names(roles_with(*st.db, "ticket.comment")) ==
          Strings{"admin", "manager", "engineer", "customer", "viewer"});
  }
  SUBCASE("without a role (a store without accounts) one may read and nothing else") {
    const auto s = as(st, "wang", std::nullopt);
    CHECK_NOTHROW(require(s, "ticket.read"));
    CHECK_NOTHROW(require(s, "audit.read"));
    const auto e = thrown([&] { require(s, "ticket.create"); });
    CHECK(kind(e) == "permission");
    CHECK(std::string(e.what()) == "wang has no account in this store; ask an admin to add it");
    CHECK(kind(thrown([&] { require(s, "account.manage"); })) == "permission");
  }
  SUBCASE("an empty permission asks only for a known account") {
    CHECK_NOTHROW(require(as(st, "wang", std::nullopt), ""));
    CHECK_NOTHROW(require(as(st, "zhao", Role::viewer), ""));
  }
}

TEST_SUITE_END();
