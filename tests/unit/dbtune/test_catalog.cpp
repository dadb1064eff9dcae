// The connection to a target database and the catalog read from it: tables, columns, the rowid
// alias, indexes with their origin, collation, order and expressions, views and triggers,
// sqlite_stat1, and the space dbstat measures.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "dbtune/catalog.hpp"
#include "dbtune/target_db.hpp"
#include "dbtune/dbtune_helpers.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using dbtune::Catalog;
using dbtune::Index;
using dbtune::IndexColumn;
using dbtune::TargetDb;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::spit;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;
using opsdesk::test::dbtune_support::create_db;
using std::chrono::milliseconds;

TEST_SUITE_BEGIN("dbtune");

namespace {

const Index& index_of(const Catalog& c, std::string_view table, std::string_view name) {
  const auto* t = c.table(table);
  REQUIRE(t != nullptr);
  for (const auto& i : t->indexes)
    if (i.name == name) return i;
  FAIL("no index ", std::string(name), " on ", std::string(table));
  return t->indexes.front();
}

}  // namespace

TEST_CASE("dbtune::quote and quote_literal double the quotes inside") {
  CHECK(dbtune::quote("orders") == "\"orders\"");
  CHECK(dbtune::quote("tmp \"x\"; y") == "\"tmp \"\"x\"\"; y\"");
  CHECK(dbtune::quote("") == "\"\"");
  CHECK(dbtune::quote_literal("it's") == "'it''s'");
  CHECK(dbtune::quote_literal("a\"b") == "'a\"b'");
}

TEST_CASE("dbtune::TargetDb, opening and errors that name the database") {
  TempDir dir;
  SUBCASE("a missing file is not_found") {
    const auto e = thrown([&] { TargetDb db(dir / "nope.db", TargetDb::Mode::read_only, milliseconds(100), "shop"); });
    CHECK(kind(e) == "not_found");
    CHECK(has(e.what(), "shop"));
  }
  SUBCASE("a directory is not_found") {
    const auto e = thrown([&] { TargetDb db(dir.path, TargetDb::Mode::read_only, milliseconds(100), "shop"); });
    CHECK(kind(e) == "not_found");
  }
  SUBCASE("a file that is not a database is data") {
    spit(dir / "text.db", std::string(4096, 'x'));
    const auto e = thrown([&] { TargetDb db(dir / "text.db", TargetDb::Mode::read_only, milliseconds(100), "shop"); });
    CHECK(kind(e) == "data");
    CHECK(has(e.what(), "shop"));
  }
  SUBCASE("writing through a read-only connection is unavailable") {
    create_db(dir / "a.db", "CREATE TABLE t(x)");
    TargetDb db(dir / "a.db", TargetDb::Mode::read_only, milliseconds(100), "shop");
    const auto e = thrown([&] { db.exec("INSERT INTO t VALUES (1)"); });
    CHECK(kind(e) == "unavailable");
  }
  SUBCASE("another connection's write lock is busy") {
    auto holder = create_db(dir / "a.db", "CREATE TABLE t(x)");
    holder->exec("BEGIN IMMEDIATE; INSERT INTO t VALUES (1)");
    TargetDb db(dir / "a.db", TargetDb::Mode::read_write, milliseconds(20), "shop");
    const auto e = thrown([&] { db.exec("INSERT INTO t VALUES (2)"); });
    CHECK(kind(e) == "busy");
    CHECK(has(e.what(), "shop"));
    holder->exec("ROLLBACK");
    db.exec("INSERT INTO t VALUES (2)");
    CHECK(db.integer("SELECT count(*) FROM t") == 1);
  }
  SUBCASE("a bad statement is failed and names the database") {
    TargetDb db(":memory:", TargetDb::Mode::memory, milliseconds(0), "scratch");
    const auto e = thrown([&] { db.rows("SELECT * FROM nowhere"); });
    CHECK(kind(e) == "failed");
    CHECK(has(e.what(), "scratch"));
    CHECK(has(e.what(), "nowhere"));
  }
}

TEST_CASE("dbtune::TargetDb::rows binds parameters and reads each type") {
  TargetDb db(":memory:", TargetDb::Mode::memory, milliseconds(0), "scratch");
  const auto r = db.row("SELECT ?, ?, ?, ?, 42, 2.5, 'x', NULL", {std::int64_t{7}, 1.5, std::string("it's"), nullptr});
  REQUIRE(r);
  CHECK(r->int64(0) == 7);
  CHECK(r->real(1) == doctest::Approx(1.5));
  CHECK(r->text(2) == "it's");
  CHECK(r->is_null(3));
  CHECK(r->text(4) == "42");
  CHECK(r->int64(5) == 2);
  CHECK(r->int64(6) == 0);
  CHECK(r->text(7).empty());
  CHECK_FALSE(db.row("SELECT 1 WHERE 0"));
  CHECK(db.integer("SELECT 1 WHERE 0") == 0);
}

TEST_CASE("dbtune::read_catalog, tables, columns and the rowid alias") {
  TargetDb db(":memory:", TargetDb::Mode::memory, milliseconds(0), "scratch");
  db.exec(R"sql(
    CREATE TABLE plain(id integer primary key, Name TEXT NOT NULL, at INTEGER);
    CREATE TABLE int_pk(id INT PRIMARY KEY, v);
    CREATE TABLE two_pk(a INTEGER, b INTEGER, PRIMARY KEY (a, b));
    CREATE TABLE wr(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
    CREATE TABLE gen(a, b AS (a * 2) STORED);
    CREATE VIEW v_plain AS SELECT * FROM plain;
    CREATE TRIGGER plain_ins AFTER INSERT ON plain BEGIN SELECT 1; END;
  )sql");
  const auto c = dbtune::read_catalog(db, false);
  std::vector<std::string> names;
  for (const auto& t : c.tables) names.push_back(t.name);
  CHECK(names == std::vector<std::string>{"gen", "int_pk", "plain", "two_pk", "wr"});

  const auto* plain = c.table("PLAIN");
  REQUIRE(plain != nullptr);
  CHECK(plain->rowid_alias == 0);
  CHECK_FALSE(plain->without_rowid);
  REQUIRE(plain->columns.size() == 3);
  CHECK(plain->columns[1].name == "Name");
  CHECK(plain->columns[1].type == "TEXT");
  CHECK(plain->columns[1].not_null);
  CHECK(plain->column("name") == &plain->columns[1]);
  CHECK(plain->column("nope") == nullptr);
  CHECK(has(plain->sql, "CREATE TABLE plain"));

  CHECK(c.table("int_pk")->rowid_alias == -1);  // INT PRIMARY KEY is not an alias of the rowid
  CHECK(c.table("two_pk")->rowid_alias == -1);
  CHECK(c.table("wr")->rowid_alias == -1);
  CHECK(c.table("wr")->without_rowid);
  CHECK(c.table("gen")->columns.size() == 2);  // generated columns are columns
  CHECK(c.table("nowhere") == nullptr);

  REQUIRE(c.others.size() == 2);
  CHECK(c.others[0].type == "view");
  CHECK(c.others[0].name == "v_plain");
  CHECK(c.others[1].type == "trigger");
  CHECK(c.others[1].table == "plain");
  CHECK_FALSE(c.has_stat1);
  CHECK_FALSE(c.has_space);
  // The schema in the order it was made; autoindexes have no SQL and are left out.
  REQUIRE(c.schema.size() == 7);
  CHECK(c.schema.front().name == "plain");
  CHECK(c.schema.back().name == "plain_ins");
}

TEST_CASE("dbtune::read_catalog, indexes: origin, uniqueness, partial, collation, order, expressions") {
  TargetDb db(":memory:", TargetDb::Mode::memory, milliseconds(0), "scratch");
  db.exec(R"sql(
    CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT UNIQUE, b TEXT COLLATE NOCASE, c INTEGER);
    CREATE TABLE k(code TEXT PRIMARY KEY, v);
    CREATE INDEX t_b ON t(b);
    CREATE INDEX t_c_desc ON t(c DESC, a COLLATE RTRIM);
    CREATE UNIQUE INDEX t_c_part ON t(c) WHERE c > 0;
    CREATE INDEX t_expr ON t(lower(a), c);
    CREATE INDEX t_c_id ON t(c, id);
  )sql");
  const auto c = dbtune::read_catalog(db, false);
  const auto& auto_u = index_of(c, "t", "sqlite_autoindex_t_1");
  CHECK(auto_u.origin == "u");
  CHECK(auto_u.unique);
  CHECK(auto_u.sql.empty());
  CHECK(index_of(c, "k", "sqlite_autoindex_k_1").origin == "pk");

  const auto& t_b = index_of(c, "t", "t_b");
  CHECK(t_b.origin == "c");
  CHECK_FALSE(t_b.unique);
  REQUIRE(t_b.key.size() == 1);
  CHECK(t_b.key[0].collation == "NOCASE");  // the column's declared collation
  CHECK(t_b.sql == "CREATE INDEX t_b ON t(b)");

  const auto& desc = index_of(c, "t", "t_c_desc");
  REQUIRE(desc.key.size() == 2);
  CHECK(desc.key[0].desc);
  CHECK(desc.key[1].collation == "RTRIM");
  CHECK(dbtune::key_sql(desc.key) == "\"c\" DESC, \"a\" COLLATE RTRIM");

  const auto& part = index_of(c, "t", "t_c_part");
  CHECK(part.partial);
  CHECK(part.unique);

  const auto& expr = index_of(c, "t", "t_expr");
  REQUIRE(expr.key.size() == 2);
  CHECK(expr.key[0].cid == -2);
  CHECK(expr.key[1].name == "c");

  // An index on the INTEGER PRIMARY KEY column names that column; only the key columns count.
  const auto& c_id = index_of(c, "t", "t_c_id");
  REQUIRE(c_id.key.size() == 2);
  CHECK(c_id.key[1].cid == 0);
  CHECK(c_id.key[1].name == "id");

  CHECK(dbtune::key_sql({{-1, "", false, "BINARY"}, {3, "we\"ird", true, "NOCASE"}}) == "rowid, \"we\"\"ird\" COLLATE NOCASE DESC");
}

TEST_CASE("dbtune::read_catalog, sqlite_stat1 and the space dbstat measures") {
  TempDir dir;
  auto db = create_db(dir / "s.db", R"sql(
    CREATE TABLE s(id INTEGER PRIMARY KEY, a INTEGER, pad TEXT);
    CREATE INDEX s_a ON s(a);
    CREATE TABLE bare(x);
    CREATE TABLE never(id INTEGER PRIMARY KEY, a);
    CREATE TABLE kv(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
      INSERT INTO kv SELECT 'key number ' || i, hex(randomblob(30)) FROM n;
    CREATE INDEX never_a ON never(a);
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500)
      INSERT INTO s SELECT i, i % 10, hex(randomblob(40)) FROM n;
    INSERT INTO bare VALUES (1), (2), (3);
    ANALYZE s; ANALYZE bare;
    INSERT INTO never VALUES (1, 1);
  )sql");
  const auto c = dbtune::read_catalog(*db, true);
  CHECK(c.has_stat1);
  CHECK(c.has_space);
  CHECK(c.page_size == 4096);
  CHECK(c.file_bytes == c.page_size * c.page_count);

  const auto* s = c.table("s");
  REQUIRE(s != nullptr);
  CHECK(s->has_stat);
  CHECK(s->stat_rows == 1500);
  CHECK(index_of(c, "s", "s_a").stat == std::optional<std::string>("1500 150"));
  CHECK(s->rows == 1500);
  CHECK(s->bytes > 1500 * 80);
  CHECK(index_of(c, "s", "s_a").entries == 1500);
  CHECK(index_of(c, "s", "s_a").bytes > 0);
  CHECK(s->index_bytes() == index_of(c, "s", "s_a").bytes);

  const auto* bare = c.table("bare");
  CHECK(bare->has_stat);  // the table's own row of sqlite_stat1: it has no index
  CHECK(bare->stat_rows == 3);
  CHECK(bare->rows == 3);

  const auto* never = c.table("never");
  CHECK_FALSE(never->has_stat);
  CHECK_FALSE(never->stat_rows);
  CHECK(never->rows == 1);

  // A WITHOUT ROWID table is a b-tree of entries on every level: all of them are rows.
  CHECK(c.table("kv")->rows == 5000);
  CHECK(c.table("kv")->bytes > 5000 * 60);

  // Without space, no dbstat numbers.
  const auto quick = dbtune::read_catalog(*db, false);
  CHECK(quick.table("s")->rows == 0);
  CHECK(quick.table("s")->stat_rows == 1500);
}

TEST_SUITE_END();
