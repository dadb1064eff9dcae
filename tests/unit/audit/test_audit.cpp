#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "audit/audit.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using opsdesk::test::has;
using opsdesk::test::TempStore;

TEST_SUITE_BEGIN("audit");

namespace {

const std::string k_genesis(64, '0');

struct Row {
  core::Timestamp at;
  const char* actor;
  const char* action;
  const char* object;
};

// Six changes by three people over an hour and a half.
const std::vector<Row> k_rows = {
    {1000, "wang", "ticket.create", "INC-2026-000001"},
    {2000, "li", "ticket.ack", "INC-2026-000001"},
    {3000, "wang", "account.add", "account:li"},
    {4000, "wang", "ticket.comment", "INC-2026-000002"},
    {5000, "zhang", "tickets.purge", "INC-2026-000002"},  // not in the "ticket." group
    {6000, "li", "ticket.close", "INC-2026-000001"},
};

void append_rows(store::Db& db) {
  for (const auto& r : k_rows) {
    audit::append(db, r.at, r.actor, r.action, r.object, std::string(R"({"status":"new"})"),
                  std::string(R"({"status":"acknowledged","note":"数据库 \"ok\""})"));
  }
}

std::vector<std::int64_t> ids(const std::vector<audit::Entry>& entries) {
  std::vector<std::int64_t> out;
  for (const auto& e : entries) out.push_back(e.id);
  return out;
}

using Ids = std::vector<std::int64_t>;

}  // namespace

TEST_CASE("audit::append, a hash chain") {
  TempStore st;
  append_rows(*st.db);
  const auto all = audit::list(*st.db, {});
  REQUIRE(all.size() == k_rows.size());
  CHECK(ids(all) == Ids{1, 2, 3, 4, 5, 6});
  CHECK(all[0].prev_hash == k_genesis);
  for (std::size_t i = 0; i < all.size(); ++i) {
    CAPTURE(i);
    CHECK(all[i].actor == k_rows[i].actor);
    CHECK(all[i].action == k_rows[i].action);
    CHECK(all[i].object == k_rows[i].object);
    CHECK(all[i].at == k_rows[i].at);
    CHECK(all[i].before == std::optional<std::string>(R"({"status":"new"})"));
    CHECK(all[i].after == std::optional<std::string>(R"({"status":"acknowledged","note":"数据库 \"ok\""})"));
    CHECK(all[i].hash == audit::entry_hash(all[i]));
    CHECK(all[i].hash.size() == 64);
    if (i > 0) CHECK(all[i].prev_hash == all[i - 1].hash);
  }
  CHECK(st.db->one_int("SELECT last_id FROM audit_head") == 6);
  CHECK(st.db->one_text("SELECT last_hash FROM audit_head") == all.back().hash);
}

TEST_CASE("audit::entry_hash, every field counts and fields do not run together") {
  audit::Entry e;
  e.id = 7;
  e.at = 1795588200;
  e.actor = "wang";
  e.action = "ticket.ack";
  e.object = "INC-2026-000042";
  e.before = R"({"status":"new"})";
  e.after = R"({"status":"acknowledged"})";
  e.prev_hash = std::string(64, 'a');
  const auto base = audit::entry_hash(e);
  CHECK(base == audit::entry_hash(e));  // deterministic
  auto changed = [&](auto&& edit) {
    audit::Entry copy = e;
    edit(copy);
    return audit::entry_hash(copy) != base;
  };
  CHECK(changed([](audit::Entry& x) { x.id = 8; }));
  CHECK(changed([](audit::Entry& x) { x.at += 1; }));
  CHECK(changed([](audit::Entry& x) { x.actor = "mallory"; }));
  CHECK(changed([](audit::Entry& x) { x.action = "ticket.close"; }));
  CHECK(changed([](audit::Entry& x) { x.object = "INC-2026-000043"; }));
  CHECK(changed([](audit::Entry& x) { x.before.reset(); }));
  CHECK(changed([](audit::Entry& x) { x.before = ""; }));
  CHECK(changed([](audit::Entry& x) { x.after = "~"; }));
  CHECK(changed([](audit::Entry& x) { x.prev_hash = std::string(64, 'b'); }));
  CHECK_FALSE(changed([](audit::Entry& x) { x.hash = "not part of it"; }));
  SUBCASE("a null and an empty value differ") {
    audit::Entry a = e, b = e;
    a.before.reset();
    b.before = "";
    CHECK(audit::entry_hash(a) != audit::entry_hash(b));
  }
  SUBCASE("moving a character from one field to the next changes the hash") {
    audit::Entry a = e, b = e;
    a.actor = "wan";
    a.action = "gticket.ack";
    b.actor = "wang";
    b.action = "ticket.ack";
    CHECK(audit::entry_hash(a) != audit::entry_hash(b));
  }
}

TEST_CASE("audit::verify, an intact log") {
  TempStore st;
  SUBCASE("empty") {
    const auto v = audit::verify(*st.db);
    CHECK(v.ok());
    CHECK(v.checked == 0);
  }
  SUBCASE("six entries") {
    append_rows(*st.db);
    const auto v = audit::verify(*st.db);
    CHECK_MESSAGE(v.ok(), v.problem);
    CHECK(v.checked == 6);
    CHECK(v.problem.empty());
  }
  SUBCASE("entries with null before and after") {
    audit::append(*st.db, 1, "wang", "ticket.import", "import:a.jsonl", std::nullopt, std::nullopt);
    audit::append(*st.db, 2, "wang", "ticket.import", "import:b.jsonl", std::nullopt, std::string("{}"));
    CHECK(audit::verify(*st.db).ok());
  }
}

TEST_CASE("audit::verify, tampering is found at the right entry") {
  TempStore st;
  append_rows(*st.db);
  REQUIRE(audit::verify(*st.db).ok());
  auto& db = *st.db;

  SUBCASE("a field updated") {
    db.run("UPDATE audit SET actor = 'mallory' WHERE id = 3");
    const auto v = audit::verify(db);
    CHECK_FALSE(v.ok());
    CHECK(v.first_bad == 3);
    CHECK_MESSAGE(has(v.problem, "hash"), v.problem);
  }
  SUBCASE("the time moved back") {
    db.run("UPDATE audit SET at = at - 3600 WHERE id = 5");
    CHECK(audit::verify(db).first_bad == 5);
  }
  SUBCASE("the after JSON rewritten") {
    db.run("UPDATE audit SET after_json = '{\"status\":\"closed\"}' WHERE id = 2");
    CHECK(audit::verify(db).first_bad == 2);
  }
  SUBCASE("before set to NULL") {
    db.run("UPDATE audit SET before_json = NULL WHERE id = 1");
    CHECK(audit::verify(db).first_bad == 1);
  }
  SUBCASE("an edited entry given a fresh hash breaks the link to the next one") {
    db.run("UPDATE audit SET actor = 'mallory' WHERE id = 3");
    auto edited = audit::list(db, {});
    db.run("UPDATE audit SET hash = ? WHERE id = 3", audit::entry_hash(edited[2]));
    const auto v = audit::verify(db);
    CHECK(v.first_bad == 4);
    CHECK_MESSAGE(has(v.problem, "does not follow"), v.problem);
  }
  SUBCASE("a middle entry deleted") {
    db.run("DELETE FROM audit WHERE id = 3");
    const auto v = audit::verify(db);
    CHECK_FALSE(v.ok());
    CHECK_MESSAGE(has(v.problem, "entry 3"), v.problem);
    CHECK_MESSAGE(has(v.problem, "deleted"), v.problem);
    // the first bad entry is the one that is gone, as when the last one is cut
    CHECK(v.first_bad == 3);
  }
  SUBCASE("the first entry deleted") {
    db.run("DELETE FROM audit WHERE id = 1");
    const auto v = audit::verify(db);
    CHECK_FALSE(v.ok());
    CHECK_MESSAGE(has(v.problem, "entry 1"), v.problem);
  }
  SUBCASE("the last entry deleted") {
    db.run("DELETE FROM audit WHERE id = 6");
    const auto v = audit::verify(db);
    CHECK_FALSE(v.ok());
    CHECK(v.first_bad == 6);
    CHECK(v.checked == 5);
    CHECK_MESSAGE(has(v.problem, "cut from the end"), v.problem);
  }
  SUBCASE("the last two entries and the head deleted") {
    db.run("DELETE FROM audit WHERE id >= 5");
    db.run("DELETE FROM audit_head");
    const auto v = audit::verify(db);
    CHECK_FALSE(v.ok());
    CHECK_FALSE(v.problem.empty());
  }
  SUBCASE("only the head deleted") {
    db.run("DELETE FROM audit_head");
    CHECK_FALSE(audit::verify(db).ok());
  }
  SUBCASE("the whole log deleted, head kept") {
    db.run("DELETE FROM audit");
    const auto v = audit::verify(db);
    CHECK_FALSE(v.ok());
    CHECK(v.first_bad == 1);
  }
  SUBCASE("two entries' contents swapped") {
    db.exec(
        "CREATE TEMP TABLE keep AS SELECT * FROM audit WHERE id IN (2, 4);"
        "UPDATE audit SET (at, actor, action, object, before_json, after_json, prev_hash, hash) = "
        "(SELECT at, actor, action, object, before_json, after_json, prev_hash, hash FROM keep "
        " WHERE keep.id = CASE audit.id WHEN 2 THEN 4 ELSE 2 END) WHERE id IN (2, 4);"
        "DROP TABLE keep");
    REQUIRE(db.one_text("SELECT actor FROM audit WHERE id = 2") == "wang");
    REQUIRE(db.one_text("SELECT actor FROM audit WHERE id = 4") == "li");
    const auto v = audit::verify(db);
    CHECK_FALSE(v.ok());
    CHECK(v.first_bad == 2);
  }
  SUBCASE("two entries' ids swapped") {
    db.exec("UPDATE audit SET id = -2 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 5; UPDATE audit SET id = 5 WHERE id = -2");
    const auto v = audit::verify(db);
    CHECK_FALSE(v.ok());
    CHECK(v.first_bad == 2);
  }
}

TEST_CASE("audit::list, filters") {
  TempStore st;
  append_rows(*st.db);
  auto& db = *st.db;
  auto list = [&](audit::Filter f) { return ids(audit::list(db, f)); };
  SUBCASE("everything, oldest first") { CHECK(list({}) == Ids{1, 2, 3, 4, 5, 6}); }
  SUBCASE("actor") {
    audit::Filter f;
    f.actor = "wang";
    CHECK(list(f) == Ids{1, 3, 4});
    f.actor = "WANG";
    CHECK(list(f).empty());
    f.actor = "nobody";
    CHECK(list(f).empty());
  }
  SUBCASE("action, exact") {
    audit::Filter f;
    f.action = "ticket.ack";
    CHECK(list(f) == Ids{2});
    f.action = "ticket";
    CHECK(list(f).empty());
  }
  SUBCASE("action, a group by its prefix") {
    audit::Filter f;
    f.action = "ticket.";
    CHECK(list(f) == Ids{1, 2, 4, 6});
    f.action = "account.";
    CHECK(list(f) == Ids{3});
    f.action = "tickets.";
    CHECK(list(f) == Ids{5});
  }
  SUBCASE("a prefix holds no wildcards") {
    audit::append(db, 7000, "wang", "ticket_x.y", "INC-2026-000003", std::nullopt, std::nullopt);
    audit::Filter f;
    f.action = "ticket%";
    CHECK(list(f).empty());
    f.action = "ticket_.";
    CHECK(list(f).empty());
  }
  SUBCASE("object") {
    audit::Filter f;
    f.object = "INC-2026-000001";
    CHECK(list(f) == Ids{1, 2, 6});
    f.object = "account:li";
    CHECK(list(f) == Ids{3});
  }
  SUBCASE("since is inclusive, until exclusive") {
    audit::Filter f;
    f.since = 3000;
    CHECK(list(f) == Ids{3, 4, 5, 6});
    f = {};
    f.until = 3000;
    CHECK(list(f) == Ids{1, 2});
    f.since = 2000;
    f.until = 4000;
    CHECK(list(f) == Ids{2, 3});
    f.since = 6001;
    f.until = {};
    CHECK(list(f).empty());
  }
  SUBCASE("limit gives the newest N, oldest first") {
    audit::Filter f;
    f.limit = 2;
    CHECK(list(f) == Ids{5, 6});
    f.limit = 1;
    CHECK(list(f) == Ids{6});
    f.limit = 100;
    CHECK(list(f) == Ids{1, 2, 3, 4, 5, 6});
    f.limit = 0;
    CHECK(list(f) == Ids{1, 2, 3, 4, 5, 6});
  }
  SUBCASE("filters combine, and limit applies after them") {
    audit::Filter f;
    f.actor = "wang";
    f.limit = 2;
    CHECK(list(f) == Ids{3, 4});
    f = {};
    f.action = "ticket.";
    f.object = "INC-2026-000001";
    f.since = 1500;
    CHECK(list(f) == Ids{2, 6});
    f.limit = 1;
    CHECK(list(f) == Ids{6});
  }
}

TEST_SUITE_END();
