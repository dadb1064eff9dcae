#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "audit/audit.hpp"
#include "core/hash.hpp"
#include "store/db.hpp"
#include "support/helpers.hpp"
#include "ticket/service.hpp"
#include "ticket/transfer.hpp"

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
constexpr core::Timestamp k_day = 86400;

repo::ListFilter everything() {
  repo::ListFilter f;
  f.open_only = false;
  return f;
}

std::string export_text(store::Db& db, TransferFormat format) {
  std::string out;
  export_tickets(db, everything(), format, [&](std::string_view chunk) { out += chunk; });
  return out;
}

NewTicket request(std::string title, TicketType type = TicketType::incident) {
  NewTicket r;
  r.title = std::move(title);
  r.type = type;
  return r;
}

// A desk with what real tickets carry: Chinese text, quotes, commas and line breaks, every
// status, pending reasons, comments, logged work and a link.
void populate(TempStore& st) {
  ensure_account(*st.db, "li");
  const core::Timestamp t0 = k_now - 3 * k_day;
  auto at = [&](core::Timestamp offset) { return st.session(t0 + offset); };

  NewTicket r = request("数据库连接池耗尽");
  r.priority = Priority::urgent;
  r.description = "第一行\n\"quoted\", with a comma\r\n third line ";
  r.system = "erp";
  r.category = "database";
  r.channel = Channel::phone;
  r.reporter = "张三";
  r.assignee = "li";
  const auto incident = create(at(0), r).ref;
  transition(at(600), Action::ack, incident, {});
  transition(at(1200), Action::start, incident, {});
  TransitionOptions pend;
  pend.reason = model::PendingReason::customer;
  pend.note = "等待客户确认, \"窗口\"";
  transition(at(1800), Action::pend, incident, pend);
  comment(at(2400), incident, "客户确认，已恢复\n第二行", std::nullopt);
  log_work(at(3000), incident, 5400, "重建索引"s, std::nullopt);

  NewTicket laptop = request("New laptop, 16\" screen", TicketType::request);
  laptop.priority = Priority::low;
  laptop.channel = Channel::email;
  const auto req = create(at(100), laptop).ref;
  TransitionOptions fix;
  fix.note = "done, \"ok\"";
  transition(at(200), Action::resolve, req, fix);
  transition(at(300), Action::close, req, {});

  const auto problem = create(at(3600), request("Pool size too small", TicketType::problem)).ref;
  link(at(3700), incident, problem, model::LinkKind::caused_by);

  NewTicket change = request("Raise max_connections", TicketType::change);
  change.category = "network";
  create(at(3800), change);

  const auto cancelled = create(at(4000), request("duplicate call")).ref;
  TransitionOptions why;
  why.note = "duplicate of the first";
  transition(at(4100), Action::cancel, cancelled, why);

  const auto waiting = create(at(5000), request("  vendor patch  ")).ref;
  transition(at(5100), Action::ack, waiting, {});
  TransitionOptions vendor;
  vendor.reason = model::PendingReason::vendor;
  transition(at(5200), Action::pend, waiting, vendor);
}

ImportResult import_into(TempStore& st, std::string_view text, std::string_view origin, TransferFormat format,
                         core::Timestamp now = k_now + 3600) {
  const auto s = st.session(now, "importer");
  store::Transaction tx(*st.db, true);
  auto r = import_tickets(s, text, origin, format);
  tx.commit();
  return r;
}

// Everything an import could touch, to compare before and after a failed one.
std::string snapshot(store::Db& db) {
  std::string out = export_text(db, TransferFormat::jsonl);
  for (const auto& e : audit::list(db, {})) out += e.hash + "\n";
  auto q = db.query("SELECT prefix, year, last FROM ticket_counters ORDER BY prefix, year");
  while (q.next()) out += q.text(0) + std::to_string(q.int64(1)) + ":" + std::to_string(q.int64(2)) + "\n";
  out += std::to_string(db.one_int("SELECT count(*) FROM ticket_links").value_or(-1));
  return out;
}

std::vector<std::string> kinds(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.kind);
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("ticket::export_tickets, then import_tickets into an empty store, exports the same bytes") {
  ZoneGuard zone("UTC");
  TempStore original;
  populate(original);
  const std::string jsonl = export_text(*original.db, TransferFormat::jsonl);
  const std::string csv = export_text(*original.db, TransferFormat::csv);
  REQUIRE(jsonl.find("数据库连接池耗尽") != std::string::npos);  // UTF-8 as it is, not \u escapes

  SUBCASE("JSONL") {
    TempStore copy;
    const auto r = import_into(copy, jsonl, "tickets.jsonl", TransferFormat::jsonl);
    CHECK(r.count == 6);
    CHECK(r.first == "INC-2026-000001");
    CHECK(export_text(*copy.db, TransferFormat::jsonl) == jsonl);
    CHECK(export_text(*copy.db, TransferFormat::csv) == csv);
  }
  SUBCASE("CSV") {
    TempStore copy;
    const auto r = import_into(copy, csv, "tickets.csv", TransferFormat::csv);
    CHECK(r.count == 6);
    CHECK(export_text(*copy.db, TransferFormat::csv) == csv);
    CHECK(export_text(*copy.db, TransferFormat::jsonl) == jsonl);
  }
  SUBCASE("what the copy holds") {
    TempStore copy;
    import_into(copy, jsonl, "tickets.jsonl", TransferFormat::jsonl);
    const auto d = detail(*copy.db, "INC-2026-000001");
    CHECK(d.ticket.description == "第一行\n\"quoted\", with a comma\r\n third line ");
    CHECK(d.ticket.pending_reason == "customer");
    CHECK(d.work_logged == 5400);
    REQUIRE(d.links.size() == 1);
    CHECK(d.links[0].to_ref == "PRB-2026-000001");
    CHECK(d.links[0].kind == model::LinkKind::caused_by);
    CHECK(detail(*copy.db, "PRB-2026-000001").links.size() == 1);
    CHECK(kinds(d.events) == Strings{"created", "acknowledged", "started", "pending", "comment", "work", "linked"});
    CHECK(d.events[0].actor == "wang");  // history keeps who did it, not who imported it
    const auto a = audit::list(*copy.db, {});
    REQUIRE(a.size() == 1);
    CHECK(a[0].action == "ticket.import");
    CHECK(a[0].actor == "importer");
    CHECK(a[0].object == "import:tickets.jsonl");
    const auto after = json::parse(*a[0].after);
    CHECK(after["count"] == 6);
    CHECK(after["sha256"] == core::sha256_hex(jsonl));
    CHECK(audit::verify(*copy.db).ok());
  }
  SUBCASE("the reference counters follow the imported references") {
    TempStore copy;
    import_into(copy, jsonl, "tickets.jsonl", TransferFormat::jsonl);
    const auto s_orig = original.session(k_now);
    const auto s_copy = copy.session(k_now + 3600);
    for (const auto type : {TicketType::incident, TicketType::request, TicketType::problem, TicketType::change}) {
      CHECK(create(s_copy, request("after the import", type)).ref == create(s_orig, request("next", type)).ref);
    }
  }
}

TEST_CASE("ticket::import_tickets, references") {
  ZoneGuard zone("UTC");
  TempStore st;
  SUBCASE("a high imported sequence moves the counter past it") {
    import_into(st, R"({"ref":"INC-2026-000041","title":"old","created_at":"2026-11-20T00:00:00Z"})", "a.jsonl",
                TransferFormat::jsonl);
    CHECK(create(st.session(k_now + 3600), request("new")).ref == "INC-2026-000042");
  }
  SUBCASE("a low imported sequence does not move it back") {
    st.db->run("INSERT INTO ticket_counters (prefix, year, last) VALUES ('INC', 2026, 50)");
    import_into(st, R"({"ref":"inc-2026-10","title":"old","created_at":"2026-11-20T00:00:00Z"})", "a.jsonl",
                TransferFormat::jsonl);
    CHECK(repo::find(*st.db, "INC-2026-000010"));  // stored in its canonical form
    CHECK(create(st.session(k_now + 3600), request("new")).ref == "INC-2026-000051");
  }
  SUBCASE("a record without a reference gets the next one of its type and year") {
    const auto r = import_into(st,
                               "{\"title\":\"a\",\"type\":\"request\",\"created_at\":\"2025-06-01T00:00:00Z\"}\n"
                               "{\"title\":\"b\"}\n",
                               "a.jsonl", TransferFormat::jsonl);
    CHECK(r.first == "REQ-2025-000001");
    CHECK(r.last == "INC-2026-000001");
  }
  SUBCASE("records with and without references in one file") {
    const auto r = import_into(st,
                               "{\"ref\":\"INC-2026-000001\",\"title\":\"kept number\",\"created_at\":\"2026-11-20T00:00:00Z\"}\n"
                               "{\"title\":\"needs a number\",\"created_at\":\"2026-11-21T00:00:00Z\"}\n",
                               "mixed.jsonl", TransferFormat::jsonl);
    CHECK(r.count == 2);
    CHECK(repo::find(*st.db, "INC-2026-000001"));
    CHECK(repo::find(*st.db, "INC-2026-000002"));
  }
}

TEST_CASE("ticket::import_tickets, records without events get events from their times") {
  ZoneGuard zone("UTC");
  TempStore st;
  SUBCASE("a closed ticket") {
    import_into(st,
                R"({"ref":"INC-2026-000010","title":"closed one","status":"closed","resolution":"fixed",)"
                R"("created_at":"2026-11-20T01:00:00Z","acknowledged_at":"2026-11-20T01:10:00Z",)"
                R"("resolved_at":"2026-11-20T03:00:00Z","closed_at":"2026-11-21T00:00:00Z"})",
                "old.jsonl", TransferFormat::jsonl);
    const auto d = detail(*st.db, "INC-2026-000010");
    CHECK(kinds(d.events) == Strings{"created", "acknowledged", "resolved", "closed"});
    CHECK(d.events[0].at == core::parse_time("2026-11-20T01:00:00Z", k_now));
    CHECK(d.events[1].at == core::parse_time("2026-11-20T01:10:00Z", k_now));
    CHECK(d.events[2].text == "fixed");
    CHECK(d.events[3].at == core::parse_time("2026-11-21T00:00:00Z", k_now));
    CHECK(d.events[3].from == Status::resolved);
    CHECK(d.events[3].to == Status::closed);
    for (const auto& e : d.events) {
      CHECK(e.actor == "importer");
      CHECK(e.recorded_at == k_now + 3600);
    }
    CHECK(d.ticket.updated_at == core::parse_time("2026-11-21T00:00:00Z", k_now));
  }
  SUBCASE("a pending ticket, and an empty events array") {
    import_into(st,
                R"({"ref":"INC-2026-000011","title":"waiting","status":"pending","pending_reason":"customer",)"
                R"("created_at":"2026-11-20T01:00:00Z","events":[]})",
                "old.jsonl", TransferFormat::jsonl);
    const auto d = detail(*st.db, "INC-2026-000011");
    CHECK(kinds(d.events) == Strings{"created", "imported"});
    CHECK(d.events[1].from == Status::new_);
    CHECK(d.events[1].to == Status::pending);
    CHECK(d.ticket.pending_reason == "customer");
  }
  SUBCASE("CSV with an empty events column, as a spreadsheet writes it (BOM, CRLF)") {
    const auto r = import_into(st,
                               "\xEF\xBB\xBFtitle,priority,status,created_at,events\r\n"
                               "\"Printer, 3rd floor\",low,acknowledged,2026-11-24T08:00:00Z,\r\n"
                               "\r\n"
                               "邮件发送失败,high,,2026-11-24T09:00:00Z,\r\n",
                               "sheet.csv", TransferFormat::csv);
    CHECK(r.count == 2);
    const auto a = detail(*st.db, *r.first);
    CHECK(a.ticket.title == "Printer, 3rd floor");
    CHECK(a.ticket.priority == Priority::low);
    CHECK(kinds(a.events) == Strings{"created", "imported"});
    const auto b = detail(*st.db, *r.last);
    CHECK(b.ticket.title == "邮件发送失败");
    CHECK(b.ticket.status == Status::new_);
    CHECK(kinds(b.events) == Strings{"created"});
  }
}

TEST_CASE("ticket::import_tickets, JSONL as it comes") {
  ZoneGuard zone("UTC");
  TempStore st;
  SUBCASE("blank lines and CRLF") {
    const auto r = import_into(st, "\r\n{\"title\":\"a\"}\r\n\r\n  \n{\"title\":\"b\"}\r\n", "a.jsonl",
                               TransferFormat::jsonl);
    CHECK(r.count == 2);
  }
  SUBCASE("a byte order mark") {
    const auto r = import_into(st, "\xEF\xBB\xBF{\"title\":\"a\"}\n", "a.jsonl", TransferFormat::jsonl);
    CHECK(r.count == 1);
  }
  SUBCASE("nothing at all") {
    const auto r = import_into(st, "", "empty.jsonl", TransferFormat::jsonl);
    CHECK(r.count == 0);
    CHECK_FALSE(r.first);
    CHECK(st.count("tickets") == 0);
  }
}

TEST_CASE("ticket::import_tickets, a bad record imports nothing and names origin:line and the field") {
  ZoneGuard zone("UTC");
  TempStore st;
  create(st.session(k_now - k_day), request("already here"));  // INC-2026-000001
  const std::string before = snapshot(*st.db);
  const auto s = st.session(k_now, "importer");

  // Line 1 is good (and takes a reference), line 2 is bad, line 3 would be good.
  auto fails = [&](const std::string& bad, const std::string& field) {
    const std::string text = "{\"title\":\"good one\",\"priority\":\"high\"}\n" + bad + "\n{\"title\":\"never\"}\n";
    CAPTURE(text);
    const auto e = thrown([&] {
      store::Transaction tx(*st.db, true);
      import_tickets(s, text, "in.jsonl", TransferFormat::jsonl);
      tx.commit();
    });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), "in.jsonl:2"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), field), std::string(e.what()));
    CHECK(snapshot(*st.db) == before);
  };

  SUBCASE("an unknown field") { fails(R"({"title":"x","colour":"red"})", "\"colour\""); }
  SUBCASE("a bad priority") { fails(R"({"title":"x","priority":"critical"})", "\"priority\""); }
  SUBCASE("a bad status") { fails(R"({"title":"x","status":"done"})", "\"status\""); }
  SUBCASE("a bad channel") { fails(R"({"title":"x","channel":"fax"})", "\"channel\""); }
  SUBCASE("a bad time") { fails(R"({"title":"x","created_at":"25/11/2026"})", "\"created_at\""); }
  SUBCASE("a time as a number") { fails(R"({"title":"x","acknowledged_at":1795588200})", "\"acknowledged_at\""); }
  SUBCASE("a time in the future") { fails(R"({"title":"x","created_at":"2027-01-01T00:00:00Z"})", "\"created_at\""); }
  SUBCASE("no title") { fails(R"({"priority":"low"})", "\"title\""); }
  SUBCASE("a title that is not a string") { fails(R"({"title":42})", "\"title\""); }
  SUBCASE("a NUL in the title") { fails(R"({"title":"a\u0000b"})", "\"title\""); }
  SUBCASE("a malformed reference") { fails(R"({"ref":"INC-26-1","title":"x"})", "\"ref\""); }
  SUBCASE("a type that contradicts the reference") {
    fails(R"({"ref":"INC-2026-000009","type":"request","title":"x"})", "\"type\"");
  }
  SUBCASE("a reference that exists") { fails(R"({"ref":"INC-2026-000001","title":"x"})", "already exists"); }
  SUBCASE("an unknown field in an event") {
    fails(R"({"title":"x","events":[{"at":"2026-11-20T00:00:00Z","actor":"wang","kind":"created","colour":1}]})",
          "events[0].colour");
  }
  SUBCASE("an event without a time") {
    fails(R"({"title":"x","events":[{"actor":"wang","kind":"created"}]})", "events[0].at");
  }
  SUBCASE("a link to a ticket in neither the file nor the store") {
    fails(R"({"title":"x","events":[{"at":"2026-11-20T00:00:00Z","actor":"wang","kind":"created"},)"
          R"({"at":"2026-11-20T01:00:00Z","actor":"wang","kind":"linked","data":{"to":"PRB-2026-000099","kind":"relates"}}]})",
          "\"events\"");
  }
  SUBCASE("events that are not a list") { fails(R"({"title":"x","events":"none"})", "\"events\""); }
  SUBCASE("a pending reason opsdesk does not know") {
    fails(R"({"title":"x","status":"pending","pending_reason":"holiday"})", "\"pending_reason\"");
  }
  SUBCASE("invalid JSON") { fails(R"({"title": "unterminated)", "not valid JSON"); }
  SUBCASE("not an object") { fails("[1, 2]", "object"); }
  SUBCASE("the same reference twice in one file") {
    const auto e = thrown([&] {
      store::Transaction tx(*st.db, true);
      import_tickets(s, "{\"ref\":\"INC-2026-000005\",\"title\":\"a\"}\n{\"ref\":\"INC-2026-000005\",\"title\":\"b\"}\n",
                     "dup.jsonl", TransferFormat::jsonl);
      tx.commit();
    });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), "dup.jsonl:2"), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "\"ref\""), std::string(e.what()));
    CHECK(snapshot(*st.db) == before);
  }
  SUBCASE("line numbers count blank lines") {
    const auto e = thrown([&] {
      store::Transaction tx(*st.db, true);
      import_tickets(s, "\n\n{\"title\":\"a\"}\n\n{\"title\":\"b\",\"priority\":\"p1\"}\n", "gaps.jsonl",
                     TransferFormat::jsonl);
    });
    CHECK_MESSAGE(has(e.what(), "gaps.jsonl:5"), std::string(e.what()));
  }
}

TEST_CASE("ticket::import_tickets, a bad CSV row imports nothing and names origin:line") {
  ZoneGuard zone("UTC");
  TempStore st;
  create(st.session(k_now - k_day), request("already here"));
  const std::string before = snapshot(*st.db);
  const auto s = st.session(k_now, "importer");
  auto fails = [&](const std::string& text, const std::string& where, const std::string& field) {
    CAPTURE(text);
    const auto e = thrown([&] {
      store::Transaction tx(*st.db, true);
      import_tickets(s, text, "in.csv", TransferFormat::csv);
      tx.commit();
    });
    CHECK(kind(e) == "data");
    CHECK_MESSAGE(has(e.what(), where), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), field), std::string(e.what()));
    CHECK(snapshot(*st.db) == before);
  };
  SUBCASE("an unknown column") { fails("title,colour\nx,red\n", "in.csv:1", "colour"); }
  SUBCASE("a row with too few fields") { fails("title,priority\na,low\nb\n", "in.csv:3", "fields"); }
  SUBCASE("a bad value") { fails("title,priority\na,low\nb,critical\n", "in.csv:3", "priority"); }
  SUBCASE("the line where the record starts, after a multi-line field") {
    fails("title,description,priority\na,\"two\nlines\",low\nb,,critical\n", "in.csv:4", "priority");
  }
  SUBCASE("events that are not JSON") { fails("title,events\na,\nb,[{\n", "in.csv:3", "events"); }
  SUBCASE("an unterminated quote") { fails("title,priority\na,low\n\"b,high\n", "3", "unterminated"); }
}

TEST_CASE("ticket::detect_format") {
  CHECK(detect_format("tickets.csv", "{") == TransferFormat::csv);
  CHECK(detect_format("TICKETS.CSV", "") == TransferFormat::csv);
  CHECK(detect_format("tickets.jsonl", "ref,title") == TransferFormat::jsonl);
  CHECK(detect_format("tickets.ndjson", "") == TransferFormat::jsonl);
  CHECK(detect_format("tickets.json", "") == TransferFormat::jsonl);
  SUBCASE("standard input is sniffed") {
    CHECK(detect_format("-", "{\"title\":\"a\"}\n") == TransferFormat::jsonl);
    CHECK(detect_format("-", "\n  \r\n{\"title\":\"a\"}\n") == TransferFormat::jsonl);
    CHECK(detect_format("-", "\xEF\xBB\xBF{\"title\":\"a\"}\n") == TransferFormat::jsonl);
    CHECK(detect_format("-", "ref,title\n") == TransferFormat::csv);
    CHECK(detect_format("-", "\xEF\xBB\xBFref,title\n") == TransferFormat::csv);
  }
}

TEST_SUITE_END();
