// Findings from the catalog: planted problems in real SQLite files (duplicate, prefix and
// rowid-suffix indexes, leftover tables, slack, statistics, huge tables), each checked for its
// id, kind, flags and the SQL that fixes and undoes it, run on the database where it can be.
#include <doctest/doctest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "dbtune/catalog.hpp"
#include "dbtune/dbtune_helpers.hpp"
#include "dbtune/findings.hpp"
#include "dbtune/target_db.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using dbtune::Finding;
using dbtune::Severity;
using dbtune::TargetDb;
using opsdesk::test::has;
using opsdesk::test::TempDir;
using opsdesk::test::ZoneGuard;
using namespace opsdesk::test::dbtune_support;

namespace fs = std::filesystem;
using Strings = std::vector<std::string>;

TEST_SUITE_BEGIN("dbtune");

// ---- pattern and date helpers ----

TEST_CASE("dbtune::matches_pattern, '*', YYYYMMDD and case") {
  using dbtune::matches_pattern;
  CHECK(matches_pattern("tmp_x", "tmp_*"));
  CHECK(matches_pattern("TMP_Import", "tmp_*"));
  CHECK(matches_pattern("tmp_", "tmp_*"));  // '*' may be empty
  CHECK_FALSE(matches_pattern("atmp_x", "tmp_*"));
  CHECK_FALSE(matches_pattern("tmp", "tmp_*"));
  CHECK(matches_pattern("orders_BAK", "*_bak"));
  CHECK_FALSE(matches_pattern("orders_bak2", "*_bak"));
  CHECK(matches_pattern("orders_bak_20250301", "*_bak_*"));
  CHECK(matches_pattern("a_b_c", "*_*_*"));
  CHECK(matches_pattern("anything", "*"));
  CHECK(matches_pattern("", "*"));
  CHECK_FALSE(matches_pattern("", "tmp_*"));
  CHECK(matches_pattern("orders_20250301", "orders_YYYYMMDD"));
  CHECK(matches_pattern("ORDERS_20250301", "orders_YYYYMMDD"));
  CHECK(matches_pattern("x_bak_20250301", "*_bak_YYYYMMDD"));
  CHECK_FALSE(matches_pattern("orders_2025031", "orders_YYYYMMDD"));     // seven digits
  CHECK_FALSE(matches_pattern("orders_202503011", "orders_YYYYMMDD"));   // nine
  CHECK_FALSE(matches_pattern("orders_2025-03-01", "orders_YYYYMMDD"));  // eight digits, no separators
  CHECK_FALSE(matches_pattern("orders_abcdefgh", "orders_YYYYMMDD"));
  CHECK(matches_pattern("orders_20250301_v2", "orders_YYYYMMDD_*"));
  CHECK(matches_pattern("exact", "EXACT"));
  CHECK_FALSE(matches_pattern("exact", "exac"));
}

TEST_CASE("dbtune::date_in_name, the three forms, local midnight, and what is not a date") {
  using dbtune::date_in_name;
  ZoneGuard utc("UTC");
  const auto nov25 = core::from_utc({2026, 11, 25});
  CHECK(date_in_name("orders_20261125") == nov25);
  CHECK(date_in_name("orders_2026_11_25") == nov25);
  CHECK(date_in_name("orders_2026-11-25") == nov25);
  CHECK(date_in_name("20261125_orders") == nov25);
  CHECK(date_in_name("20261125") == nov25);
  CHECK(date_in_name("bak20261125x") == nov25);
  CHECK(date_in_name("t_20240229") == core::from_utc({2024, 2, 29}));  // a leap day
  CHECK(date_in_name("v2_bak_20261125") == nov25);                     // a short run first is skipped
  CHECK(date_in_name("orders") == std::nullopt);
  CHECK(date_in_name("orders_2026") == std::nullopt);
  CHECK(date_in_name("orders_202611") == std::nullopt);
  // Invalid dates.
  CHECK(date_in_name("orders_20261301") == std::nullopt);
  CHECK(date_in_name("orders_20261100") == std::nullopt);
  CHECK(date_in_name("orders_20261131") == std::nullopt);
  CHECK(date_in_name("orders_20260230") == std::nullopt);
  CHECK(date_in_name("orders_2026_13_01") == std::nullopt);
  CHECK(date_in_name("orders_19891231") == std::nullopt);  // outside 1990-2099
  // Eight digits inside a longer run are not a date.
  CHECK(date_in_name("orders_120261125") == std::nullopt);
  CHECK(date_in_name("orders_202611251") == std::nullopt);
  CHECK(date_in_name("orders_2026_11_251") == std::nullopt);
  CHECK(date_in_name("id_123456789012") == std::nullopt);

  SUBCASE("the local zone's midnight") {
    if (!core::is_time_zone("Asia/Shanghai")) return;
    ZoneGuard shanghai("Asia/Shanghai");
    CHECK(date_in_name("orders_2026-11-25") == nov25 - 8 * 3600);
  }
}

TEST_CASE("dbtune::date_in_name rejects 29 February of a year that is not a leap year") {
  // Regression (was a bug): findings.cpp date_in_name checks the day against a fixed table with 29 days for
  // February, so 2025-02-29 passes and mktime turns it into 2025-03-01.
  ZoneGuard utc("UTC");
  CHECK(dbtune::date_in_name("orders_bak_20250229") == std::nullopt);
  CHECK(dbtune::date_in_name("orders_bak_2100_02_29") == std::nullopt);
  CHECK(dbtune::date_in_name("orders_bak_1900-02-29") == std::nullopt);
}

// ---- redundant indexes ----

TEST_CASE("dbtune::analyze_catalog, exact duplicate indexes") {
  TempDir dir;
  auto db = create_db(dir / "dup.db", R"sql(
    CREATE TABLE t(id INTEGER PRIMARY KEY, a, b, c UNIQUE, d TEXT, e);
    CREATE INDEX t_a1 ON t(a);
    CREATE INDEX t_a2 ON t(a);
    CREATE INDEX t_c ON t(c);
    CREATE UNIQUE INDEX t_c_unique ON t(c);
    CREATE INDEX t_b ON t(b);
    CREATE UNIQUE INDEX t_b_unique ON t(b);
    CREATE INDEX t_d ON t(d);
    CREATE INDEX t_d_nocase ON t(d COLLATE NOCASE);
    CREATE INDEX t_e ON t(e);
    CREATE INDEX t_e_desc ON t(e DESC);
    CREATE INDEX t_ab ON t(a, b);
    CREATE INDEX t_ba ON t(b, a);
    CREATE TABLE p(id INTEGER PRIMARY KEY, s TEXT, n INTEGER);
    CREATE INDEX p_n_open1 ON p(n) WHERE s = 'open';
    CREATE INDEX p_n_open2 ON p(n) WHERE s = 'open';
    CREATE INDEX p_n_closed ON p(n) WHERE s = 'closed';
    CREATE TABLE k(code TEXT PRIMARY KEY, v);
    CREATE INDEX k_code ON k(code);
  )sql");
  const auto findings = analyze(*db);
  CHECK(ids(findings, "duplicate-index") == Strings{"duplicate-index:k_code", "duplicate-index:p_n_open2", "duplicate-index:t_a2",
                                                    "duplicate-index:t_b", "duplicate-index:t_c", "duplicate-index:t_c_unique"});

  const auto& a2 = get(findings, "duplicate-index:t_a2");
  CHECK(a2.kind == "duplicate-index");
  CHECK(a2.object == "t_a2");
  CHECK(a2.severity == Severity::medium);
  CHECK(a2.safe);
  CHECK(a2.applicable);
  CHECK(a2.fix_sql == Strings{"DROP INDEX \"t_a2\""});
  CHECK(a2.undo_sql == Strings{"CREATE INDEX t_a2 ON t(a)"});
  CHECK(a2.details["covered_by"] == "t_a1");
  CHECK(a2.details["table"] == "t");
  CHECK(has(a2.summary, "t_a1"));

  // A UNIQUE constraint's index stays; the CREATE INDEX copies of it go, unique or not.
  const std::string t_c_by = get(findings, "duplicate-index:t_c").details["covered_by"];
  CHECK((t_c_by == "sqlite_autoindex_t_1" || t_c_by == "t_c_unique"));
  CHECK(get(findings, "duplicate-index:t_c_unique").details["covered_by"] == "sqlite_autoindex_t_1");
  CHECK(find(findings, "duplicate-index:sqlite_autoindex_t_1") == nullptr);
  // Of a unique and a plain index on the same column, the unique one stays.
  CHECK(get(findings, "duplicate-index:t_b").details["covered_by"] == "t_b_unique");
  CHECK(find(findings, "duplicate-index:t_b_unique") == nullptr);
  // A PRIMARY KEY's index stays too.
  CHECK(get(findings, "duplicate-index:k_code").details["covered_by"] == "sqlite_autoindex_k_1");
  // Partial indexes are duplicates only with the same WHERE.
  CHECK(get(findings, "duplicate-index:p_n_open2").details["covered_by"] == "p_n_open1");

  SUBCASE("the fix drops the copies and the undo makes them again") {
    for (const auto& f : findings)
      if (f.kind == "duplicate-index") run_all(*db, f.fix_sql);
    for (const auto* name : {"t_a2", "t_b", "t_c", "t_c_unique", "p_n_open2", "k_code"}) CHECK_FALSE(has_index(*db, name));
    for (const auto* name : {"t_a1", "t_b_unique", "p_n_open1", "p_n_closed", "t_d", "t_d_nocase", "t_e", "t_e_desc"})
      CHECK(has_index(*db, name));
    CHECK(ids(analyze(*db), "duplicate-index").empty());
    for (const auto& f : findings)
      if (f.kind == "duplicate-index") run_all(*db, f.undo_sql);
    CHECK(has_index(*db, "t_a2"));
    CHECK(db->integer("SELECT \"unique\" FROM pragma_index_list('t') WHERE name = 't_c_unique'") == 1);
    CHECK(ids(analyze(*db), "duplicate-index") == ids(findings, "duplicate-index"));
  }
}

TEST_CASE("dbtune::analyze_catalog, partial indexes whose WHERE starts a line are not duplicates of each other") {
  // Regression (was a bug): findings.cpp where_of finds a partial index's WHERE clause with rfind(" where "), so a
  // WHERE after a newline (or a tab, or followed by one) is not found: both clauses read as ""
  // and two partial indexes over different rows are reported as duplicates; dropping one
  // loses the searches only it served.
  TempDir dir;
  auto db = create_db(dir / "partial.db",
                      "CREATE TABLE p(id INTEGER PRIMARY KEY, s TEXT, n INTEGER);\n"
                      "CREATE INDEX p_open ON p(n)\nWHERE s = 'open';\n"
                      "CREATE INDEX p_closed ON p(n)\nWHERE s = 'closed';\n"
                      "CREATE INDEX p_new ON p(n)\tWHERE s = 'new';\n"
                      "CREATE INDEX p_old ON p(n) WHERE\ns = 'old';\n");
  const auto findings = analyze(*db);
  CHECK(ids(findings, "duplicate-index") == Strings{});
}

TEST_CASE("dbtune::analyze_catalog, of two equal indexes the one created later is dropped, whatever the names") {
  // Creation order, not name order: z_first is the older one and stays.
  TempDir dir;
  auto db = create_db(dir / "order.db", R"sql(
    CREATE TABLE t(id INTEGER PRIMARY KEY, a);
    CREATE INDEX z_first ON t(a);
    CREATE INDEX a_second ON t(a);
  )sql");
  const auto findings = analyze(*db);
  CHECK(ids(findings, "duplicate-index") == Strings{"duplicate-index:a_second"});
  CHECK(get(findings, "duplicate-index:a_second").details["covered_by"] == "z_first");
}

TEST_CASE("dbtune::analyze_catalog, an index that leads another is a prefix index") {
  TempDir dir;
  auto db = create_db(dir / "prefix.db", R"sql(
    CREATE TABLE p(id INTEGER PRIMARY KEY, a, b, c, d, e, f TEXT, g);
    CREATE INDEX p_a ON p(a);
    CREATE INDEX p_ab ON p(a, b);
    CREATE INDEX p_abc ON p(a, b, c);
    CREATE UNIQUE INDEX p_d_unique ON p(d);
    CREATE INDEX p_de ON p(d, e);
    CREATE INDEX p_e_part ON p(e) WHERE e IS NOT NULL;
    CREATE INDEX p_ea ON p(e, a);
    CREATE INDEX p_lower_f ON p(lower(f));
    CREATE INDEX p_lower_f_g ON p(lower(f), g);
    CREATE INDEX p_f_nocase ON p(f COLLATE NOCASE);
    CREATE INDEX p_fg ON p(f, g);
    CREATE INDEX p_g_desc ON p(g DESC);
    CREATE INDEX p_gf ON p(g, f);
    CREATE TABLE q(id INTEGER PRIMARY KEY, x, y);
    CREATE INDEX q_x ON q(x);
    CREATE INDEX q_xy_part ON q(x, y) WHERE y > 0;
    CREATE TABLE w(a, b, UNIQUE (a, b));
    CREATE INDEX w_a ON w(a);
  )sql");
  const auto findings = analyze(*db);
  // Not reported: the shorter one UNIQUE (p_d_unique), partial (p_e_part), on an expression
  // (p_lower_f), with another collation (p_f_nocase) or order (p_g_desc); the longer one partial (q_x).
  CHECK(ids(findings, "prefix-index") == Strings{"prefix-index:p_a", "prefix-index:p_ab", "prefix-index:w_a"});
  CHECK(ids(findings, "duplicate-index").empty());

  const auto& pa = get(findings, "prefix-index:p_a");
  CHECK(pa.object == "p_a");
  CHECK(pa.severity == Severity::low);
  CHECK(pa.safe);
  CHECK(pa.applicable);
  CHECK(pa.fix_sql == Strings{"DROP INDEX \"p_a\""});
  CHECK(pa.undo_sql == Strings{"CREATE INDEX p_a ON p(a)"});
  const std::string covered = pa.details["covered_by"];
  CHECK((covered == "p_ab" || covered == "p_abc"));
  CHECK(get(findings, "prefix-index:p_ab").details["covered_by"] == "p_abc");
  // The longer one may be a UNIQUE constraint's.
  CHECK(get(findings, "prefix-index:w_a").details["covered_by"] == "sqlite_autoindex_w_1");

  SUBCASE("after the fixes, searches on the leading column still use an index") {
    for (const auto& f : findings)
      if (f.kind == "prefix-index") run_all(*db, f.fix_sql);
    CHECK(has(joined(dbtune::query_plan(*db, "SELECT * FROM p WHERE a = 1")), "USING INDEX p_abc (a=?)"));
    CHECK(has(joined(dbtune::query_plan(*db, "SELECT * FROM w WHERE a = 1")), "sqlite_autoindex_w_1 (a=?)"));
  }
}

TEST_CASE("dbtune::analyze_catalog, an index ending in the rowid") {
  TempDir dir;
  auto db = create_db(dir / "rowid.db", R"sql(
    CREATE TABLE r(id INTEGER PRIMARY KEY, a, b, c, d);
    CREATE INDEX r_a ON r(a);
    CREATE INDEX r_a_id ON r(a, id);
    CREATE INDEX r_b_id ON r(b, id);
    CREATE INDEX r_c_id_desc ON r(c, id DESC);
    CREATE UNIQUE INDEX r_d_id ON r(d, id);
    CREATE TABLE n(id INT PRIMARY KEY, a);
    CREATE INDEX n_a_id ON n(a, id);
    CREATE TABLE w(id INTEGER PRIMARY KEY, a) WITHOUT ROWID;
    CREATE INDEX w_a_id ON w(a, id);
    WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 200)
      INSERT INTO r SELECT i, i % 7, i % 11, i % 13, i FROM s;
  )sql");
  const auto findings = analyze(*db);
  // DESC on the rowid, a UNIQUE index, a table whose "id INT" is not the rowid and a WITHOUT
  // ROWID table are left alone.
  const auto suffix = ids(findings, "rowid-suffix-index");
  CHECK(suffix == Strings{"rowid-suffix-index:r_a_id", "rowid-suffix-index:r_b_id"});

  SUBCASE("with an index on the leading columns already: just drop it") {
    const auto& f = get(findings, "rowid-suffix-index:r_a_id");
    CHECK(f.object == "r_a_id");
    CHECK(f.severity == Severity::medium);
    CHECK(f.safe);
    CHECK(f.applicable);
    CHECK(f.fix_sql == Strings{"DROP INDEX \"r_a_id\""});
    CHECK(f.undo_sql == Strings{"CREATE INDEX r_a_id ON r(a, id)"});
    CHECK(f.details["covered_by"] == "r_a");
    run_all(*db, f.fix_sql);
    CHECK_FALSE(has_index(*db, "r_a_id"));
    CHECK(has_index(*db, "r_a"));
    run_all(*db, f.undo_sql);
    CHECK(index_columns(*db, "r_a_id") == Strings{"a", "id"});
  }
  SUBCASE("without one: drop it and make it again without the rowid") {
    const auto& f = get(findings, "rowid-suffix-index:r_b_id");
    CHECK(f.severity == Severity::low);
    CHECK(f.safe);
    CHECK(f.fix_sql == Strings{"DROP INDEX \"r_b_id\"", "CREATE INDEX \"r_b_id\" ON \"r\"(\"b\")"});
    CHECK(f.undo_sql == Strings{"DROP INDEX \"r_b_id\"", "CREATE INDEX r_b_id ON r(b, id)"});
    CHECK(f.details["covered_by"].is_null());
    const auto plan_before = dbtune::query_plan(*db, "SELECT id FROM r WHERE b = 3 ORDER BY id");
    run_all(*db, f.fix_sql);
    CHECK(index_columns(*db, "r_b_id") == Strings{"b"});
    // Same searches, same order, no sort.
    const auto plan_after = dbtune::query_plan(*db, "SELECT id FROM r WHERE b = 3 ORDER BY id");
    CHECK(has(joined(plan_after), "r_b_id (b=?)"));
    CHECK_FALSE(has(joined(plan_after), "TEMP B-TREE"));
    CHECK(dbtune::plan_score(plan_after) == dbtune::plan_score(plan_before));
    run_all(*db, f.undo_sql);
    CHECK(index_columns(*db, "r_b_id") == Strings{"b", "id"});
  }
}

TEST_CASE("dbtune::analyze_catalog, an index (a) with an index (a, rowid) next to it: applying all safe fixes keeps one") {
  // Regression (was a bug): findings.cpp index_findings reports r_a as a prefix-index of r_a_id (covered by
  // r_a_id) and r_a_id as a rowid-suffix-index (covered by r_a); both are safe, so
  // `apply --all-safe` drops both and a = ? is a full scan afterwards.
  TempDir dir;
  auto db = create_db(dir / "both.db", R"sql(
    CREATE TABLE r(id INTEGER PRIMARY KEY, a, b);
    CREATE INDEX r_a ON r(a);
    CREATE INDEX r_a_id ON r(a, id);
  )sql");
  const auto findings = analyze(*db);
  CHECK(ids(findings, "prefix-index").empty());
  CHECK(ids(findings, "rowid-suffix-index") == Strings{"rowid-suffix-index:r_a_id"});
  for (const auto& f : findings)
    if (f.safe && f.applicable && f.kind != "stats") run_all(*db, f.fix_sql);
  CHECK(has(joined(dbtune::query_plan(*db, "SELECT * FROM r WHERE a = 1")), "USING INDEX"));
}

// ---- leftover tables ----

TEST_CASE("dbtune::analyze_catalog, leftover tables by name, their age, and what refers to them") {
  ZoneGuard utc("UTC");
  TempDir dir;
  auto db = create_db(dir / "temp.db", R"sql(
    CREATE TABLE orders(id INTEGER PRIMARY KEY, total);
    CREATE TABLE tmp_x(id INTEGER PRIMARY KEY, a TEXT);
    CREATE INDEX tmp_x_a ON tmp_x(a);
    CREATE TRIGGER tmp_x_check BEFORE INSERT ON tmp_x BEGIN SELECT RAISE(ABORT, 'no') WHERE new.a = 'bad'; END;
    INSERT INTO tmp_x VALUES (1, 'one'), (2, 'two'), (3, 'three');
    CREATE TABLE orders_bak_20250301(id, total);
    INSERT INTO orders_bak_20250301 VALUES (1, 10);
    CREATE TABLE tmp_seen(x);
    CREATE TABLE temp_viewed(x);
    CREATE VIEW v_viewed AS SELECT x FROM TEMP_VIEWED;
    CREATE TABLE temp_logged(x);
    CREATE TRIGGER orders_log AFTER INSERT ON orders BEGIN INSERT INTO temp_logged VALUES (new.id); END;
    CREATE TABLE temp_parent(id INTEGER PRIMARY KEY);
    CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES temp_parent(id));
    CREATE TABLE "tmp_odd ""name""; x"(v TEXT);
    INSERT INTO "tmp_odd ""name""; x" VALUES ('kept');
    CREATE TABLE attempt(x);
    CREATE TABLE oldest(x);
  )sql");
  auto o = default_options();
  o.first_seen = {{"tmp_seen", o.now - 10 * 86400}};
  const auto findings = analyze(*db, o);
  CHECK(ids(findings, "temp-table") == Strings{"temp-table:orders_bak_20250301", "temp-table:temp_logged", "temp-table:temp_parent",
                                               "temp-table:temp_viewed", "temp-table:tmp_odd \"name\"; x", "temp-table:tmp_seen",
                                               "temp-table:tmp_x"});

  const auto& x = get(findings, "temp-table:tmp_x");
  CHECK(x.object == "tmp_x");
  CHECK(x.applicable);
  CHECK_FALSE(x.safe);  // never applied by --all-safe
  CHECK(x.severity == Severity::low);
  CHECK(x.fix_sql == Strings{"DROP TABLE \"tmp_x\""});
  CHECK(x.undo_sql == Strings{"CREATE TABLE tmp_x(id INTEGER PRIMARY KEY, a TEXT)",
                              "INSERT INTO main.\"tmp_x\"(\"id\", \"a\") SELECT \"id\", \"a\" FROM \"before\".\"tmp_x\"", "CREATE INDEX tmp_x_a ON tmp_x(a)",
                              "CREATE TRIGGER tmp_x_check BEFORE INSERT ON tmp_x BEGIN SELECT RAISE(ABORT, 'no') WHERE new.a = "
                              "'bad'; END"});
  CHECK(x.details["pattern"] == "tmp_*");
  CHECK(x.details["rows"] == 3);
  CHECK(x.details["dated"].is_null());
  CHECK(x.details["first_seen"] == core::format_rfc3339(o.now));
  CHECK(x.details["age_days"] == 0);
  CHECK(x.details["dependants"].empty());
  CHECK(has(x.summary, "first seen now"));

  const auto& bak = get(findings, "temp-table:orders_bak_20250301");
  CHECK(bak.applicable);
  CHECK(bak.details["pattern"] == "*_bak_*");
  CHECK(bak.details["dated"] == "2025-03-01T00:00:00Z");
  CHECK(bak.details["age_days"] == 30);
  CHECK(has(bak.summary, "dated 2025-03-01 by its name"));

  const auto& seen = get(findings, "temp-table:tmp_seen");
  CHECK(seen.details["age_days"] == 10);
  CHECK(has(seen.summary, "first seen by opsdesk 2025-03-21"));

  for (const auto& [id, dependant] : std::map<std::string, std::string>{{"temp-table:temp_viewed", "v_viewed"},
                                                                          {"temp-table:temp_logged", "orders_log"},
                                                                          {"temp-table:temp_parent", "child"}}) {
    CAPTURE(id);
    const auto& f = get(findings, id);
    CHECK_FALSE(f.applicable);
    CHECK(f.fix_sql.empty());
    CHECK(f.undo_sql.empty());
    CHECK(f.severity == Severity::info);
    CHECK(f.details["dependants"] == output::Json::array({dependant}));
    CHECK(has(f.explanation, dependant));
  }
  CHECK(dbtune::dependants(dbtune::read_catalog(*db, false), "tmp_x").empty());  // its own index and trigger do not count

  SUBCASE("the fixes drop the tables, odd names and all; the undo puts them back from the backup") {
    const auto before = dir / "before.db";
    fs::copy_file(dir / "temp.db", before);
    const auto& odd = get(findings, "temp-table:tmp_odd \"name\"; x");
    CHECK(odd.fix_sql == Strings{"DROP TABLE \"tmp_odd \"\"name\"\"; x\""});
    run_all(*db, odd.fix_sql);
    run_all(*db, x.fix_sql);
    CHECK_FALSE(has_table(*db, "tmp_odd \"name\"; x"));
    CHECK_FALSE(has_table(*db, "tmp_x"));
    CHECK_FALSE(has_index(*db, "tmp_x_a"));
    CHECK(has_table(*db, "orders"));
    CHECK(has_table(*db, "attempt"));

    db->exec("ATTACH " + dbtune::quote_literal(before.string()) + " AS \"before\"");
    db->exec("BEGIN");
    run_all(*db, odd.undo_sql);
    run_all(*db, x.undo_sql);
    db->exec("COMMIT; DETACH \"before\"");
    CHECK(dump(*db, "SELECT v FROM \"tmp_odd \"\"name\"\"; x\"") == Strings{"kept"});
    CHECK(dump(*db, "SELECT id, a FROM tmp_x ORDER BY id") == Strings{"1|one", "2|two", "3|three"});
    CHECK(has_index(*db, "tmp_x_a"));
    CHECK_THROWS(db->exec("INSERT INTO tmp_x VALUES (4, 'bad')"));  // the trigger is back
  }
}

TEST_CASE("dbtune::analyze_catalog, temp patterns of the target and none at all") {
  TempDir dir;
  auto db = create_db(dir / "p.db", "CREATE TABLE sales_20250301(x); CREATE TABLE tmp_x(y); CREATE TABLE sales(z)");
  auto o = default_options();
  o.temp_patterns = {"sales_YYYYMMDD"};
  const auto findings = analyze(*db, o);
  CHECK(ids(findings, "temp-table") == Strings{"temp-table:sales_20250301"});
  CHECK(get(findings, "temp-table:sales_20250301").details["pattern"] == "sales_YYYYMMDD");
  o.temp_patterns.clear();
  CHECK(ids(analyze(*db, o), "temp-table").empty());
}

TEST_CASE("dbtune::dependants, with a broken view elsewhere in the schema (found by name then)") {
  // A view over a dropped table makes ALTER TABLE ... RENAME fail in the schema copy.
  TempDir dir;
  auto db = create_db(dir / "broken.db", R"sql(
    CREATE TABLE gone(x);
    CREATE VIEW v_broken AS SELECT * FROM gone;
    DROP TABLE gone;
    CREATE TABLE temp_used(x);
    CREATE VIEW v_used AS SELECT x FROM temp_used;
    CREATE TABLE temp_free(x);
    CREATE TABLE temp_parent(id INTEGER PRIMARY KEY);
    CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES "temp_parent"(id));
    CREATE TABLE temp_usedx(y);
  )sql");
  const auto c = dbtune::read_catalog(*db, false);
  CHECK(dbtune::dependants(c, "temp_used") == Strings{"v_used"});
  CHECK(dbtune::dependants(c, "temp_parent") == Strings{"child"});
  CHECK(dbtune::dependants(c, "temp_free").empty());
  CHECK(dbtune::dependants(c, "temp_usedx").empty());
  const auto findings = analyze(*db);
  CHECK_FALSE(get(findings, "temp-table:temp_used").applicable);
  CHECK(get(findings, "temp-table:temp_free").applicable);
}

TEST_CASE("dbtune::dependants, a view on a table with quotes in its name, beside a broken view") {
  // Regression (was a bug): findings.cpp dependants: when the rename probe fails (here because of an unrelated
  // broken view), the fallback searches the schema SQL for the bare name `tmp_odd "name"; x`,
  // but the SQL holds it quoted, with the inner quotes doubled ("tmp_odd ""name""; x"). The view
  // is missed, the table is offered for DROP as applicable, and dropping it breaks v_odd.
  TempDir dir;
  auto db = create_db(dir / "broken.db", R"sql(
    CREATE TABLE gone(x);
    CREATE VIEW v_broken AS SELECT * FROM gone;
    DROP TABLE gone;
    CREATE TABLE "tmp_odd ""name""; x"(v);
    CREATE VIEW v_odd AS SELECT v FROM "tmp_odd ""name""; x";
  )sql");
  const auto c = dbtune::read_catalog(*db, false);
  CHECK(dbtune::dependants(c, "tmp_odd \"name\"; x") == Strings{"v_odd"});
  const auto findings = analyze(*db);
  CHECK_FALSE(get(findings, "temp-table:tmp_odd \"name\"; x").applicable);
}

// ---- space ----

namespace {

void fill_blobs(TargetDb& db, int rows, int size) {
  db.exec("CREATE TABLE blobs(id INTEGER PRIMARY KEY, data BLOB)");
  db.exec("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + std::to_string(rows) +
          ") INSERT INTO blobs SELECT i, randomblob(" + std::to_string(size) + ") FROM n");
}

dbtune::AnalyzeOptions small_vacuum_options() {
  auto o = default_options();
  o.thresholds.vacuum_min_bytes = 256 << 10;
  return o;
}

}  // namespace

TEST_CASE("dbtune::analyze_catalog, slack after a mass delete is a vacuum finding") {
  TempDir dir;
  auto db = create_db(dir / "v.db");
  fill_blobs(*db, 2000, 1000);
  const auto compact = analyze(*db, small_vacuum_options());
  CHECK(find(compact, "vacuum") == nullptr);

  db->exec("DELETE FROM blobs WHERE id > 400");
  const auto free_pages = db->integer("PRAGMA freelist_count");
  const auto page_size = db->integer("PRAGMA page_size");
  const auto page_count = db->integer("PRAGMA page_count");
  REQUIRE(free_pages > 300);
  const auto findings = analyze(*db, small_vacuum_options());
  const auto& v = get(findings, "vacuum");
  CHECK(v.kind == "vacuum");
  CHECK(v.severity == Severity::high);  // most of the file
  CHECK(v.applicable);
  CHECK(v.fix_sql == Strings{"VACUUM"});
  CHECK(v.undo_sql.empty());
  CHECK(v.details["file_bytes"] == page_size * page_count);
  CHECK(v.details["free_pages"] == free_pages);
  CHECK(v.details["free_bytes"] == free_pages * page_size);
  const double share = v.details["slack_percent"];
  CHECK(share > 70);
  CHECK(share < 100);
  CHECK(has(v.summary, "VACUUM would give back"));
  CHECK(v.details["most_unused"].size() >= 1);

  // The default needs 16 MiB to give back.
  CHECK(find(analyze(*db), "vacuum") == nullptr);

  run_all(*db, v.fix_sql);
  CHECK(db->integer("PRAGMA freelist_count") == 0);
  CHECK(find(analyze(*db, small_vacuum_options()), "vacuum") == nullptr);
}

TEST_CASE("dbtune::analyze_catalog, half-empty pages count as slack the freelist does not show") {
  TempDir dir;
  auto db = create_db(dir / "v.db");
  fill_blobs(*db, 20000, 60);
  db->exec("DELETE FROM blobs WHERE id % 2 = 0");
  const auto free_pages = db->integer("PRAGMA freelist_count");
  const auto findings = analyze(*db, small_vacuum_options());
  const auto& v = get(findings, "vacuum");
  CHECK(v.details["free_pages"] == free_pages);
  const std::int64_t unused = v.details["unused_bytes"];
  CHECK(unused > 400'000);
  CHECK(free_pages * db->integer("PRAGMA page_size") * 10 < unused);  // nearly all of it inside pages
  CHECK(v.details["most_unused"][0]["name"] == "blobs");
}

TEST_CASE("dbtune::analyze_catalog, incremental auto-vacuum is fixed with incremental_vacuum") {
  TempDir dir;
  auto db = create_db(dir / "v.db", "PRAGMA auto_vacuum = INCREMENTAL");
  fill_blobs(*db, 2000, 1000);
  db->exec("DELETE FROM blobs WHERE id > 400");
  const auto findings = analyze(*db, small_vacuum_options());
  const auto& v = get(findings, "vacuum");
  CHECK(v.fix_sql == Strings{"PRAGMA incremental_vacuum"});
  run_all(*db, v.fix_sql);
  CHECK(db->integer("PRAGMA freelist_count") == 0);
}

TEST_CASE("dbtune::analyze_catalog, a database over 8 MiB not in WAL mode") {
  TempDir dir;
  auto db = create_db(dir / "j.db");
  fill_blobs(*db, 2300, 4000);  // about 9.5 MiB: one row per page
  REQUIRE(db->integer("PRAGMA page_count") * db->integer("PRAGMA page_size") > (8 << 20));
  const auto findings = analyze(*db);
  const auto& f = get(findings, "journal-mode");
  CHECK(f.kind == "journal-mode");
  CHECK(f.severity == Severity::low);
  CHECK_FALSE(f.safe);
  CHECK(f.fix_sql == Strings{"PRAGMA journal_mode = WAL"});
  CHECK(f.undo_sql == Strings{"PRAGMA journal_mode = delete"});
  CHECK(find(findings, "cache-size") == nullptr);  // only over 64 MiB
  CHECK(find(findings, "mmap-size") == nullptr);
  run_all(*db, f.fix_sql);
  CHECK(db->row("PRAGMA journal_mode")->text(0) == "wal");
  CHECK(find(analyze(*db), "journal-mode") == nullptr);
  run_all(*db, f.undo_sql);
  CHECK(db->row("PRAGMA journal_mode")->text(0) == "delete");
}

// ---- statistics ----

TEST_CASE("dbtune::analyze_catalog, statistics never gathered, then stale, and the undo restores sqlite_stat1") {
  TempDir dir;
  auto db = create_db(dir / "s.db", R"sql(
    CREATE TABLE s(id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
    CREATE INDEX s_a ON s(a);
    CREATE INDEX s_ab ON s(a, b);
    CREATE TABLE other(id INTEGER PRIMARY KEY, k);
    CREATE INDEX other_k ON other(k);
    CREATE TABLE bare(x);
    CREATE TABLE empty_indexed(id INTEGER PRIMARY KEY, k);
    CREATE INDEX empty_k ON empty_indexed(k);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
      INSERT INTO s SELECT i, i % 100, 'b' || (i % 7) FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
      INSERT INTO other SELECT i, i % 3 FROM n;
    INSERT INTO bare VALUES (1), (2);
  )sql");
  const auto never = analyze(*db);
  // No statistics finding for a table without indexes or an empty one.
  CHECK(ids(never, "stats") == Strings{"stats:other", "stats:s"});
  const auto& f = get(never, "stats:s");
  CHECK(f.kind == "stats");
  CHECK(f.object == "s");
  CHECK(f.safe);
  CHECK(f.applicable);
  CHECK(f.severity == Severity::medium);  // 2,000 rows
  CHECK(get(never, "stats:other").severity == Severity::low);
  CHECK(has(f.summary, "never analysed"));
  CHECK(f.fix_sql == Strings{"ANALYZE \"s\""});
  CHECK(f.undo_sql == Strings{"DELETE FROM sqlite_stat1 WHERE tbl = 's'", "ANALYZE sqlite_schema"});
  CHECK(f.details["rows"] == 2000);
  CHECK(f.details["stat_rows"].is_null());

  run_all(*db, f.fix_sql);
  run_all(*db, get(never, "stats:other").fix_sql);
  CHECK(ids(analyze(*db), "stats").empty());

  SUBCASE("a small drift is no finding") {
    db->exec("INSERT INTO s SELECT id + 2000, a, b FROM s WHERE id <= 200");  // +10%
    CHECK(ids(analyze(*db), "stats").empty());
  }
  SUBCASE("twice the rows: stale, and undo puts the old figures back") {
    db->exec("INSERT INTO s SELECT id + 2000, a, b FROM s");
    db->exec("INSERT INTO other SELECT id + 300, k FROM other");
    const auto stale = analyze(*db);
    CHECK(ids(stale, "stats") == Strings{"stats:other", "stats:s"});
    const auto& g = get(stale, "stats:s");
    CHECK(g.severity == Severity::medium);
    CHECK(has(g.summary, "2,000 rows then, 4,000 now (+100%)"));
    CHECK(g.details["rows"] == 4000);
    CHECK(g.details["stat_rows"] == 2000);
    CHECK(g.fix_sql == Strings{"ANALYZE \"s\""});
    REQUIRE(g.undo_sql.size() == 4);  // delete, the two index rows, reload
    CHECK(g.undo_sql.front() == "DELETE FROM sqlite_stat1 WHERE tbl = 's'");
    CHECK(g.undo_sql.back() == "ANALYZE sqlite_schema");

    const auto stat_sql = "SELECT tbl, idx, stat FROM sqlite_stat1 ORDER BY tbl, idx";
    const auto old_stats = dump(*db, stat_sql);
    run_all(*db, g.fix_sql);
    const auto new_stats = dump(*db, stat_sql);
    CHECK(new_stats != old_stats);
    CHECK(db->integer("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 's' AND stat LIKE '4000 %'") == 2);
    CHECK(ids(analyze(*db), "stats") == Strings{"stats:other"});
    run_all(*db, g.undo_sql);
    CHECK(dump(*db, stat_sql) == old_stats);
    CHECK(ids(analyze(*db), "stats") == Strings{"stats:other", "stats:s"});
  }
}

// ---- huge tables ----

TEST_CASE("dbtune::analyze_catalog, a huge table with a time column gets a split proposal") {
  TempDir dir;
  auto db = create_db(dir / "h.db", R"sql(
    CREATE TABLE events(id INTEGER PRIMARY KEY, updated_at INTEGER, kind TEXT NOT NULL, created_at INTEGER);
    CREATE INDEX events_created ON events(created_at);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
      INSERT INTO events SELECT i, 1700000000 + (3000 - i) * 3600, 'k' || (i % 5), 1700000000 + i * 3600 FROM n;
    CREATE TABLE logs(line TEXT, logged_at TEXT);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
      INSERT INTO logs SELECT 'line ' || i, datetime(1700000000 + i * 7200, 'unixepoch') FROM n;
    CREATE TABLE plain(a, b);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200) INSERT INTO plain SELECT i, i FROM n;
    CREATE TABLE small(id INTEGER PRIMARY KEY, at INTEGER);
    INSERT INTO small VALUES (1, 1), (2, 2);
  )sql");
  auto o = default_options();
  CHECK(ids(analyze(*db, o), "huge-table").empty());
  o.thresholds.huge_table_rows = 1000;
  const auto findings = analyze(*db, o);
  CHECK(ids(findings, "huge-table") == Strings{"huge-table:events", "huge-table:logs", "huge-table:plain"});

  const auto& f = get(findings, "huge-table:events");
  CHECK(f.object == "events");
  CHECK_FALSE(f.applicable);
  CHECK_FALSE(f.safe);
  CHECK(f.severity == Severity::info);
  CHECK(f.details["rows"] == 3000);
  CHECK(f.details["time_column"] == "created_at");  // the one an index leads with
  const auto max = db->integer("SELECT max(created_at) FROM events");
  const auto cutoff = max - o.archive_keep;
  CHECK(f.details["cutoff"] == std::to_string(cutoff));
  const auto older = db->integer("SELECT count(*) FROM events WHERE created_at < ?", {cutoff});
  REQUIRE(older > 0);
  CHECK(f.details["rows_to_move"] == older);
  REQUIRE(f.fix_sql.size() == 4);
  CHECK(has(f.fix_sql[0], "\"events_archive\""));
  CHECK(has(f.fix_sql[2], "INSERT INTO \"events_archive\""));
  CHECK(has(f.explanation, "events_archive"));
  CHECK(f.undo_sql == Strings{"INSERT INTO \"events\"(\"id\", \"updated_at\", \"kind\", \"created_at\") SELECT \"id\", \"updated_at\", \"kind\", "
                               "\"created_at\" FROM \"events_archive\"",
                               "DROP TABLE \"events_archive\""});

  SUBCASE("the proposal runs: batches until nothing moves, and the undo puts the rows back") {
    const auto all = dump(*db, "SELECT * FROM events ORDER BY id");
    run_all(*db, f.fix_sql);
    for (int batch = 0; batch < 5; ++batch) run_all(*db, {f.fix_sql[2], f.fix_sql[3]});
    CHECK(db->integer("SELECT count(*) FROM events_archive") == older);
    CHECK(db->integer("SELECT count(*) FROM events") == 3000 - older);
    CHECK(db->integer("SELECT min(created_at) FROM events") >= cutoff);
    CHECK(db->integer("SELECT max(created_at) FROM events_archive") < cutoff);
    run_all(*db, f.undo_sql);
    CHECK_FALSE(has_table(*db, "events_archive"));
    CHECK(dump(*db, "SELECT * FROM events ORDER BY id") == all);
  }

  SUBCASE("text times compare as text, from the newest") {
    const auto& logs = get(findings, "huge-table:logs");
    CHECK(logs.details["time_column"] == "logged_at");
    const auto newest = db->row("SELECT max(logged_at) FROM logs")->text(0);
    const auto cut = db->row("SELECT datetime(?, '-7776000 seconds')", {newest})->text(0);
    CHECK(logs.details["cutoff"] == dbtune::quote_literal(cut));
    const auto older_logs = db->integer("SELECT count(*) FROM logs WHERE logged_at < ?", {cut});
    CHECK(logs.details["rows_to_move"] == older_logs);
    run_all(*db, logs.fix_sql);
    CHECK(db->integer("SELECT count(*) FROM logs_archive") == older_logs);
    CHECK(db->integer("SELECT count(*) FROM logs") == 1500 - older_logs);
  }

  SUBCASE("no time column: advice without SQL") {
    const auto& plain = get(findings, "huge-table:plain");
    CHECK_FALSE(plain.applicable);
    CHECK(plain.fix_sql.empty());
    CHECK(has(plain.explanation, "No column looks like a time"));
  }
}

TEST_CASE("dbtune::analyze_catalog, the split proposal of a huge table with generated columns runs") {
  // Regression (was a bug): findings.cpp huge_findings lists every column of the catalog in the INSERT into the
  // archive; since generated columns are in the catalog, that is an INSERT into a generated
  // column ("cannot INSERT into generated column"), and the undo's INSERT ... SELECT * supplies
  // more values than the table takes.
  TempDir dir;
  auto db = create_db(dir / "gen.db", R"sql(
    CREATE TABLE ev(id INTEGER PRIMARY KEY, created_at INTEGER, day INTEGER AS (created_at / 86400) STORED,
                    hour INTEGER AS (created_at / 3600 % 24));
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
      INSERT INTO ev(id, created_at) SELECT i, 1700000000 + i * 7200 FROM n;
    CREATE INDEX ev_day ON ev(day);
  )sql");
  auto o = default_options();
  o.thresholds.huge_table_rows = 1000;
  const auto findings = analyze(*db, o);
  const auto& f = get(findings, "huge-table:ev");
  const auto all = dump(*db, "SELECT * FROM ev ORDER BY id");
  const std::int64_t moving = f.details["rows_to_move"];
  REQUIRE(moving > 0);
  CHECK_NOTHROW(run_all(*db, f.fix_sql));
  CHECK(db->integer("SELECT count(*) FROM ev") == 1500 - moving);
  CHECK_NOTHROW(run_all(*db, f.undo_sql));
  CHECK(dump(*db, "SELECT * FROM ev ORDER BY id") == all);
}

TEST_CASE("dbtune::analyze_catalog, the split proposal of a huge table with a parenthesis in its name runs") {
  // Regression (was a bug): findings.cpp huge_findings makes the archive's CREATE TABLE from the text after the
  // first '(' of the table's SQL, which for "log (2025)" is inside the quoted name:
  // CREATE TABLE IF NOT EXISTS "log (2025)_archive" 2025)"(id INTEGER PRIMARY KEY, ...) is a
  // syntax error.
  TempDir dir;
  auto db = create_db(dir / "paren.db", R"sql(
    CREATE TABLE "log (2025)"(id INTEGER PRIMARY KEY, created_at INTEGER);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
      INSERT INTO "log (2025)" SELECT i, 1700000000 + i * 7200 FROM n;
  )sql");
  auto o = default_options();
  o.thresholds.huge_table_rows = 1000;
  const auto findings = analyze(*db, o);
  const auto& f = get(findings, "huge-table:log (2025)");
  const std::int64_t moving = f.details["rows_to_move"];
  CHECK_NOTHROW(run_all(*db, f.fix_sql));
  CHECK(db->integer("SELECT count(*) FROM \"log (2025)_archive\"") == moving);
}

// ---- order and JSON ----

TEST_CASE("dbtune::sort_findings and to_json") {
  std::vector<Finding> list(4);
  list[0].id = "b";
  list[0].kind = "stats";
  list[0].severity = Severity::low;
  list[1].id = "a";
  list[1].kind = "vacuum";
  list[1].severity = Severity::high;
  list[2].id = "c";
  list[2].kind = "duplicate-index";
  list[2].severity = Severity::low;
  list[3].id = "a";
  list[3].kind = "stats";
  list[3].severity = Severity::low;
  dbtune::sort_findings(list);
  Strings order;
  for (const auto& f : list) order.push_back(f.kind + ":" + f.id);
  CHECK(order == Strings{"vacuum:a", "duplicate-index:c", "stats:a", "stats:b"});

  Finding f;
  f.id = "duplicate-index:x";
  f.kind = "duplicate-index";
  f.severity = Severity::medium;
  f.fix_sql = {"DROP INDEX \"x\""};
  f.safe = true;
  const auto j = dbtune::to_json(f);
  CHECK(j["id"] == "duplicate-index:x");
  CHECK(j["severity"] == "medium");
  CHECK(j["fix_sql"][0] == "DROP INDEX \"x\"");
  CHECK(j["safe"] == true);
  CHECK(j["applicable"] == true);
  CHECK(dbtune::severity_name(Severity::info) == "info");
}

TEST_SUITE_END();
