// The knowledge base: articles written or made from a resolved problem, full-text search
// (trigram: Chinese text too; short words by a plain scan), suggestions, Markdown export.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "audit/audit.hpp"
#include "kb/kb.hpp"
#include "support/helpers.hpp"
#include "ticket/process.hpp"
#include "ticket/service.hpp"

using namespace opsdesk;
using nlohmann::json;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::TempStore;
using opsdesk::test::thrown;
using opsdesk::test::ZoneGuard;

TEST_SUITE_BEGIN("kb");

namespace {

constexpr core::Timestamp k_now = 1795588200;  // 2026-11-25T06:30:00Z

using Strings = std::vector<std::string>;

kb::NewArticle article(std::string title, std::string symptoms, std::string cause, std::string fix,
                       std::string tags = "", std::optional<std::string> system = std::nullopt) {
  kb::NewArticle r;
  r.title = std::move(title);
  r.symptoms = std::move(symptoms);
  r.cause = std::move(cause);
  r.fix = std::move(fix);
  r.tags = std::move(tags);
  r.system = std::move(system);
  return r;
}

Strings refs(const std::vector<kb::Hit>& hits) {
  Strings out;
  for (const auto& h : hits) out.push_back(h.article.ref);
  return out;
}

// Four articles: two in English that both mention a listener (one in its title), two in Chinese.
struct Library {
  ZoneGuard zone{"UTC"};
  TempStore st;
  Library() {
    const auto s = st.session(k_now);
    kb::add(s, article("Listener crashes under load", "users cannot log in", "connection limit", "raise the limit"));
    kb::add(s, article("Disk full on app01", "writes fail", "logs grow", "rotate logs; restart the listener"));
    kb::add(s, article("数据库连接池耗尽", "应用报错：无法获取连接", "连接泄漏", "修复代码并重启", "database,pool", "erp"));
    kb::add(s, article("ERP 登录失败 ORA-12541", "用户无法登录", "监听程序未启动", "启动监听程序"));
  }
  std::vector<kb::Hit> search(std::string_view text, std::size_t limit = 20) { return kb::search(*st.db, text, limit); }
};

}  // namespace

TEST_CASE("kb::add") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now, "li");
  SUBCASE("numbers articles, trims the title, records who and when, audits") {
    const auto a = kb::add(s, article("  ORA-12541 no listener ", "login fails", "listener down", "lsnrctl start",
                                      "oracle,erp", "erp"));
    CHECK(a.ref == "KB-000001");
    CHECK(a.title == "ORA-12541 no listener");
    CHECK(a.created_by == "li");
    CHECK(a.created_at == k_now);
    CHECK(a.updated_at == k_now);
    CHECK(a.source_ref == std::nullopt);
    CHECK(kb::add(s, article("second", "", "", "a fix")).ref == "KB-000002");
    const auto e = audit::list(*st.db, {}).back();
    CHECK(e.action == "kb.add");
    CHECK(e.object == "KB-000002");
    CHECK(e.actor == "li");
    CHECK(json::parse(*e.after)["title"] == "second");
    const auto stored = kb::get(*st.db, "KB-000001");
    CHECK(stored.id == a.id);
    CHECK(stored.symptoms == "login fails");
    CHECK(stored.cause == "listener down");
    CHECK(stored.fix == "lsnrctl start");
    CHECK(stored.tags == "oracle,erp");
    CHECK(stored.system == std::optional<std::string>("erp"));
  }
  SUBCASE("a cause alone is enough") {
    CHECK(kb::add(s, article("t", "", "a cause", "")).cause == "a cause");
  }
  SUBCASE("refusals") {
    const auto untitled = thrown([&] { kb::add(s, article(" \t", "", "c", "f")); });
    CHECK(kind(untitled) == "data");
    CHECK(std::string(untitled.what()) == "an article needs a --title");
    const auto empty = thrown([&] { kb::add(s, article("only a title", "symptoms", "  ", "\n")); });
    CHECK(kind(empty) == "data");
    CHECK(has(empty.what(), "an article needs at least --cause or --fix"));
    CHECK(kind(thrown([&] { kb::add(s, article("bad", "", "", std::string("\xc3\x28"))); })) == "data");
    CHECK(st.count("kb_articles") == 0);
  }
}

TEST_CASE("kb::list, get and to_json") {
  Library lib;
  auto& db = *lib.st.db;
  const auto all = kb::list(db);
  REQUIRE(all.size() == 4);
  CHECK(all[0].ref == "KB-000001");
  CHECK(all[3].ref == "KB-000004");
  CHECK(all[2].title == "数据库连接池耗尽");
  CHECK(kb::get(db, "kb-000003").title == "数据库连接池耗尽");  // any case
  const auto e = thrown([&] { kb::get(db, "KB-999999"); });
  CHECK(kind(e) == "not_found");
  CHECK(std::string(e.what()) == "no article KB-999999; `opsdesk kb list` shows them");
  CHECK(json(kb::to_json(all[2])) == json{{"ref", "KB-000003"},
                                    {"title", "数据库连接池耗尽"},
                                    {"symptoms", "应用报错：无法获取连接"},
                                    {"cause", "连接泄漏"},
                                    {"fix", "修复代码并重启"},
                                    {"tags", "database,pool"},
                                    {"system", "erp"},
                                    {"source", nullptr},
                                    {"created_by", "wang"},
                                    {"created_at", "2026-11-25T06:30:00Z"},
                                    {"updated_at", "2026-11-25T06:30:00Z"}});
}

TEST_CASE("kb::search") {
  Library lib;
  SUBCASE("a word in the title ranks above the same word in the fix") {
    const auto hits = lib.search("listener");
    CHECK(refs(hits) == Strings{"KB-000001", "KB-000002"});
    REQUIRE(hits.size() == 2);
    CHECK(hits[0].score > hits[1].score);
    CHECK(hits[1].score > 0);
    CHECK(refs(lib.search("LISTENER")) == Strings{"KB-000001", "KB-000002"});
    CHECK(refs(lib.search("listener", 1)) == Strings{"KB-000001"});
  }
  SUBCASE("every word must match, as a substring") {
    CHECK(refs(lib.search("listener crash")) == Strings{"KB-000001"});
    CHECK(refs(lib.search("rotate, listener!")) == Strings{"KB-000002"});
    CHECK(refs(lib.search("ORA-12541")) == Strings{"KB-000004"});
    CHECK(refs(lib.search("ora-12541 erp")) == Strings{"KB-000004"});
  }
  SUBCASE("Chinese text by a substring of three or more characters") {
    CHECK(refs(lib.search("数据库连接池")) == Strings{"KB-000003"});
    CHECK(refs(lib.search("连接池")) == Strings{"KB-000003"});
    CHECK(refs(lib.search("无法获取连接")) == Strings{"KB-000003"});
    CHECK(refs(lib.search("监听程序")) == Strings{"KB-000004"});
    CHECK(refs(lib.search("database")) == Strings{"KB-000003"});  // tags are searched
  }
  SUBCASE("words too short for the trigram index are scanned for") {
    CHECK(refs(lib.search("登录")) == Strings{"KB-000004"});
    CHECK(refs(lib.search("连接")) == Strings{"KB-000003"});
    CHECK(refs(lib.search("01 listener")) == Strings{"KB-000002"});
    const auto hits = lib.search("登录");
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].score == 1.0);
  }
  SUBCASE("no match") {
    CHECK(lib.search("nothing-like-this").empty());
    CHECK(lib.search("连接超时").empty());
    CHECK(lib.search("数据库连接池 listener").empty());
    CHECK(lib.search("zz").empty());
    CHECK(lib.search("r_").empty());  // "_" is a character here, not LIKE's wildcard
  }
  SUBCASE("nothing to search for") {
    const auto e = thrown([&] { lib.search(" ,;! "); });
    CHECK(kind(e) == "usage");
    CHECK(std::string(e.what()) == "nothing to search for; give some words");
  }
  SUBCASE("quotes in the text cannot break the query") {
    CHECK(refs(lib.search("\"listener\"")) == Strings{"KB-000001", "KB-000002"});
    CHECK(refs(lib.search("\"crashes under\" load\"")) == Strings{"KB-000001"});
  }
}

TEST_CASE("kb::suggest") {
  Library lib;
  auto& db = *lib.st.db;
  const auto s = lib.st.session(k_now);
  ticket::NewTicket t;
  t.title = "listener crashes again";
  const auto ref = ticket::create(s, t).ref;
  const auto hits = kb::suggest(db, ref, 5);
  CHECK(refs(hits) == Strings{"KB-000001", "KB-000002"});
  t.title = "it is on";  // nothing but short and common words
  CHECK(kb::suggest(db, ticket::create(s, t).ref, 5).empty());
  t.title = "连接池又满了";
  t.description = "数据库连接池耗尽";
  CHECK(refs(kb::suggest(db, ticket::create(s, t).ref, 5)) == Strings{"KB-000003"});
  CHECK(kind(thrown([&] { kb::suggest(db, "INC-2026-999999", 5); })) == "not_found");
}

TEST_CASE("kb::add_from_problem") {
  ZoneGuard zone("UTC");
  TempStore st;
  const auto s = st.session(k_now);
  ticket::NewTicket p;
  p.type = model::TicketType::problem;
  p.title = "listener crashes under load";
  p.description = "the listener dies at 9:00";
  p.system = "erp";
  p.category = "database";
  const auto prb = ticket::create(s, p).ref;
  ticket::NewTicket i;
  i.title = "ERP login fails";
  const auto i1 = ticket::create(s, i).ref;
  i.title = "ERP slow at 9:00";
  const auto i2 = ticket::create(s, i).ref;
  ticket::link(s, i1, prb, model::LinkKind::caused_by);
  ticket::link(s, i2, prb, model::LinkKind::caused_by);

  SUBCASE("not before the problem is resolved") {
    const auto e = thrown([&] { kb::add_from_problem(s, prb); });
    CHECK(kind(e) == "failed");
    CHECK(std::string(e.what()) == prb + " is new; an article is made once the problem is resolved");
  }
  SUBCASE("only from a problem") {
    const auto e = thrown([&] { kb::add_from_problem(s, i1); });
    CHECK(kind(e) == "failed");
    CHECK(std::string(e.what()) == i1 + " is a incident; articles are made from problems");
    CHECK(kind(thrown([&] { kb::add_from_problem(s, "PRB-2026-999999"); })) == "not_found");
  }
  SUBCASE("title, symptoms with the incidents, cause, fix with the workaround") {
    ticket::ProcessFields f;
    f.root_cause = "connection limit 100";
    f.workaround = "restart listener";
    ticket::set_process_fields(s, prb, f);
    ticket::resolve_cascade(s, prb, "limit raised to 1000");
    const auto a = kb::add_from_problem(s, prb);
    CHECK(a.ref == "KB-000001");
    CHECK(a.title == "listener crashes under load");
    CHECK(a.symptoms == "the listener dies at 9:00\n- " + i1 + " ERP login fails\n- " + i2 + " ERP slow at 9:00");
    CHECK(a.cause == "connection limit 100");
    CHECK(a.fix == "limit raised to 1000\nWorkaround: restart listener");
    CHECK(a.system == std::optional<std::string>("erp"));
    CHECK(a.tags == "database");
    CHECK(a.source_ref == std::optional<std::string>(prb));
    const auto stored = kb::get(*st.db, a.ref);
    CHECK(stored.source_ref == std::optional<std::string>(prb));
    CHECK(stored.symptoms == a.symptoms);
    // Found by what it says, after the source was set (the index follows updates).
    CHECK(refs(kb::search(*st.db, "restart listener", 5)) == Strings{a.ref});
    CHECK(refs(kb::search(*st.db, "ERP slow", 5)) == Strings{a.ref});

    const auto twice = thrown([&] { kb::add_from_problem(s, prb); });
    CHECK(kind(twice) == "failed");
    CHECK(std::string(twice.what()) == prb + " already has an article");
    CHECK(st.count("kb_articles") == 1);
  }
}

TEST_CASE("kb::export_markdown") {
  SUBCASE("an empty knowledge base") {
    TempStore st;
    CHECK(kb::export_markdown(*st.db, "ACME desk") ==
          "# ACME desk — knowledge base\n\nTechnical experience cases from maintenance.\n");
  }
  SUBCASE("every article, with its facts line only when it has some") {
    TempStore st;
    const auto s = st.session(k_now);
    kb::add(s, article("Listener crashes under load", "", "connection limit", "raise the limit"));
    kb::add(s, article("数据库连接池耗尽", "应用报错", "连接泄漏", "", "database,pool", "erp"));
    CHECK(kb::export_markdown(*st.db, "某某运维") ==
          "# 某某运维 — knowledge base\n\nTechnical experience cases from maintenance.\n"
          "\n## KB-000001 Listener crashes under load\n\n"
          "### Symptoms\n\n-\n\n### Cause\n\nconnection limit\n\n### Fix\n\nraise the limit\n"
          "\n## KB-000002 数据库连接池耗尽\n\n"
          "System: erp · From: - · Tags: database,pool\n\n"
          "### Symptoms\n\n应用报错\n\n### Cause\n\n连接泄漏\n\n### Fix\n\n-\n");
  }
}

TEST_SUITE_END();
