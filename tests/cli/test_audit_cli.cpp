// End-to-end: opsdesk audit log|verify.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli_helpers.hpp"
#include "harness.hpp"

using namespace opsdesk::test;
using Strings = std::vector<std::string>;

TEST_SUITE_BEGIN("cli audit");

namespace {

// Six entries at known times:
//   1 06:00 wang account.bootstrap account:wang
//   2 06:00 wang ticket.create     a
//   3 07:00 wang ticket.ack        a
//   4 08:00 wang account.add       account:li
//   5 09:00 wang ticket.create     b
//   6 10:00 li   ticket.comment    b
struct AuditDesk : Sandbox {
  std::string a, b;
  AuditDesk() {
    auto at = [&](const char* when) { env["OPSDESK_NOW"] = std::string("2026-11-25T") + when + ":00Z"; };
    at("06:00");
    a = new_ticket(*this, {"ERP login fails", "-p", "urgent"});
    at("07:00");
    must(*this, {"ticket", "ack", a});
    at("08:00");
    must(*this, {"account", "add", "li", "--role", "engineer"});
    at("09:00");
    b = new_ticket(*this, {"备份失败"});
    at("10:00");
    const auto r = run_as("li", {"ticket", "comment", b, "looking"});
    REQUIRE_MESSAGE(r.code == 0, r.err);
    at("11:00");
  }
  Strings actions(std::vector<std::string> args) const {
    args.insert(args.begin(), {"audit", "log", "--json"});
    Strings out;
    for (const auto& e : must(*this, args).json()) out.push_back(e["action"].get<std::string>());
    return out;
  }
  std::vector<int> ids(std::vector<std::string> args) const {
    args.insert(args.begin(), {"audit", "log", "--json"});
    std::vector<int> out;
    for (const auto& e : must(*this, args).json()) out.push_back(e["id"].get<int>());
    return out;
  }
};

using Ids = std::vector<int>;

}  // namespace

TEST_CASE("audit log, oldest first, as JSON") {
  AuditDesk d;
  const auto j = must(d, {"audit", "log", "--json"}).json();
  REQUIRE(j.size() == 6);
  CHECK(d.actions({}) == Strings{"account.bootstrap", "ticket.create", "ticket.ack", "account.add", "ticket.create",
                                 "ticket.comment"});
  const auto& ack = j[2];
  Strings keys;
  for (const auto& item : ack.items()) keys.push_back(item.key());
  CHECK(keys == Strings{"id", "at", "actor", "action", "object", "before", "after", "hash"});
  CHECK(ack["id"] == 3);
  CHECK(ack["at"] == "2026-11-25T07:00:00Z");
  CHECK(ack["actor"] == "wang");
  CHECK(ack["object"] == d.a);
  CHECK(ack["before"]["status"] == "new");
  CHECK(ack["after"]["status"] == "acknowledged");
  CHECK(ack["hash"].get<std::string>().size() == 64);
  CHECK(j[1]["before"].is_null());
  CHECK(j[1]["after"]["title"] == "ERP login fails");
  CHECK(j[5]["actor"] == "li");
  CHECK(j[5]["after"]["text"] == "looking");
}

TEST_CASE("audit log, filters") {
  AuditDesk d;
  SUBCASE("--actor") {
    CHECK(d.ids({"--actor", "li"}) == Ids{6});
    CHECK(d.ids({"--actor", "wang"}) == Ids{1, 2, 3, 4, 5});
    CHECK(d.ids({"--actor", "nobody"}).empty());
  }
  SUBCASE("--action, exact or a group") {
    CHECK(d.ids({"--action", "ticket.create"}) == Ids{2, 5});
    CHECK(d.ids({"--action", "ticket."}) == Ids{2, 3, 5, 6});
    CHECK(d.ids({"--action", "account."}) == Ids{1, 4});
    CHECK(d.ids({"--action", "ticket"}).empty());
  }
  SUBCASE("--object") {
    CHECK(d.ids({"--object", d.a}) == Ids{2, 3});
    CHECK(d.ids({"--object", "account:li"}) == Ids{4});
  }
  SUBCASE("--since is inclusive, --until exclusive") {
    CHECK(d.ids({"--since", "2026-11-25T08:00:00Z"}) == Ids{4, 5, 6});
    CHECK(d.ids({"--until", "2026-11-25T08:00:00Z"}) == Ids{1, 2, 3});
    CHECK(d.ids({"--since", "-4h", "--until", "-2h"}) == Ids{3, 4});  // now is 11:00
    const auto r = d.run({"audit", "log", "--since", "the other day"});
    CHECK(r.code == 64);
    CHECK(has(r.err, "--since"));
  }
  SUBCASE("--limit shows the newest N, oldest first") {
    CHECK(d.ids({"--limit", "2"}) == Ids{5, 6});
    CHECK(d.ids({"--limit", "0"}) == Ids{1, 2, 3, 4, 5, 6});
    CHECK(d.ids({"--action", "ticket.", "--limit", "3"}) == Ids{3, 5, 6});
  }
  SUBCASE("filters combine") {
    CHECK(d.ids({"--actor", "wang", "--action", "ticket.", "--since", "2026-11-25T06:30:00Z"}) == Ids{3, 5});
  }
}

TEST_CASE("audit log, formats") {
  AuditDesk d;
  SUBCASE("the table") {
    const auto r = must(d, {"audit", "log"});
    CHECK(has(r.out, "ACTION"));
    CHECK(has(r.out, "ticket.ack"));
    CHECK(has(r.out, d.a));
    CHECK(has(r.out, "status: \"new\" → \"acknowledged\""));
  }
  SUBCASE("nothing matches") {
    CHECK(must(d, {"audit", "log", "--actor", "nobody"}).out == "no audit entries match\n");
    CHECK(must(d, {"audit", "log", "--actor", "nobody", "--json"}).json().empty());
  }
  SUBCASE("--json FIELDS") {
    const auto j = must(d, {"audit", "log", "--json", "id,action"}).json();
    REQUIRE(j.size() == 6);
    CHECK(j[0].size() == 2);
    CHECK(j[0]["action"] == "account.bootstrap");
    const auto r = d.run({"audit", "log", "--json", "id,acter"});
    CHECK(r.code == 64);
    CHECK(has(r.err, "did you mean actor?"));
  }
  SUBCASE("--format jsonl and csv") {
    CHECK(json_lines(must(d, {"audit", "log", "--format", "jsonl"}).out).size() == 6);
    const auto csv = lines_of(must(d, {"audit", "log", "--format", "csv", "--limit", "1"}).out);
    REQUIRE(csv.size() == 2);
    CHECK(csv[0] == "id,at,actor,action,object,before,after,hash");
    CHECK(csv[1].starts_with("6,2026-11-25T10:00:00Z,li,ticket.comment," + d.b + ",,"));
  }
}

TEST_CASE("audit log on a desk with no store yet") {
  Sandbox s;
  const auto r = s.run({"audit", "log"});
  CHECK(r.code == 0);
  CHECK(r.out == "no audit entries match\n");
}

TEST_CASE("audit verify") {
  AuditDesk d;
  SUBCASE("a clean log exits 0") {
    const auto r = must(d, {"audit", "verify"});
    CHECK(r.out == "audit log OK: 6 entries, chain intact\n");
    const auto j = must(d, {"audit", "verify", "--json"}).json();
    CHECK(j["ok"] == true);
    CHECK(j["checked"] == 6);
    CHECK(j["first_bad"].is_null());
    CHECK(j["problem"].is_null());
  }
  SUBCASE("an edited entry: exit 1 naming it") {
    REQUIRE(d.sql("UPDATE audit SET actor = 'mallory' WHERE id = 2").code == 0);
    const auto r = d.run({"audit", "verify"});
    CHECK(r.code == 1);
    CHECK_MESSAGE(has(r.out, "BROKEN at entry 2"), r.out);
    const auto j = d.run({"audit", "verify", "--json"});
    CHECK(j.code == 1);
    CHECK(j.json()["ok"] == false);
    CHECK(j.json()["first_bad"] == 2);
    CHECK(j.json()["problem"].get<std::string>().size() > 0);
  }
  SUBCASE("a deleted entry: exit 1 naming it") {
    REQUIRE(d.sql("DELETE FROM audit WHERE id = 3").code == 0);
    const auto r = d.run({"audit", "verify"});
    CHECK(r.code == 1);
    CHECK_MESSAGE(has(r.out, "entry 3"), r.out);
    CHECK_MESSAGE(has(r.out, "missing"), r.out);
  }
  SUBCASE("the newest entry deleted: exit 1 naming it") {
    REQUIRE(d.sql("DELETE FROM audit WHERE id = 6").code == 0);
    const auto r = d.run({"audit", "verify"});
    CHECK(r.code == 1);
    CHECK_MESSAGE(has(r.out, "BROKEN at entry 6"), r.out);
    CHECK_MESSAGE(has(r.out, "cut from the end"), r.out);
  }
  SUBCASE("two entries swapped") {
    REQUIRE(d.sql("UPDATE audit SET id = -3 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = 4; "
                  "UPDATE audit SET id = 4 WHERE id = -3")
                .code == 0);
    const auto r = d.run({"audit", "verify"});
    CHECK(r.code == 1);
    CHECK_MESSAGE(has(r.out, "BROKEN at entry 3"), r.out);
  }
  SUBCASE("verifying changes nothing and needs no write access") {
    const auto before = file_bytes(d.db);
    CHECK(d.run({"audit", "verify"}).code == 0);
    CHECK(file_bytes(d.db) == before);
  }
  SUBCASE("a later change does not hide an earlier edit") {
    REQUIRE(d.sql("UPDATE audit SET after_json = '{}' WHERE id = 4").code == 0);
    must(d, {"ticket", "comment", d.a, "later"});
    const auto j = d.run({"audit", "verify", "--json"});
    CHECK(j.code == 1);
    CHECK(j.json()["first_bad"] == 4);
  }
}

TEST_SUITE_END();
