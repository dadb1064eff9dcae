// End-to-end: hostile text reaching the desk through the command line and standard input is
// refused with a clear error, and the refused command leaves the store as it was.
#include <doctest/doctest.h>

#include <string>

#include "cli_helpers.hpp"
#include "harness.hpp"

using namespace opsdesk::test;
using namespace std::string_literals;

TEST_SUITE_BEGIN("cli hostile input");

namespace {

std::string store_state(const Sandbox& s) {
  return s.sql("SELECT (SELECT count(*) FROM tickets) || '/' || (SELECT count(*) FROM ticket_events) || '/' || "
               "(SELECT count(*) FROM audit)").out;
}

}  // namespace

TEST_CASE("a 10 MB description or comment is refused whole") {
  Sandbox s;
  const auto ref = new_ticket(s, {"printer jams"});
  const auto before = store_state(s);
  const std::string huge(10 * 1024 * 1024, 'x');
  auto r = s.run({"ticket", "new", "big", "--description", "-"}, huge);
  CHECK(r.code == 65);
  CHECK_MESSAGE(has(r.err, "description"), r.err);
  CHECK_MESSAGE(has(r.err, "10485760"), r.err);
  CHECK(r.err.size() < 300);  // one line, not the text echoed back
  r = s.run({"ticket", "comment", ref, "-"}, huge);
  CHECK(r.code == 65);
  CHECK(has(r.err, "comment"));
  CHECK(store_state(s) == before);
  // Just under the limit is fine.
  r = s.run({"ticket", "comment", ref, "-"}, std::string(1024 * 1024 - 1, 'y'));
  CHECK_MESSAGE(r.code == 0, r.err);
}

TEST_CASE("invalid UTF-8 and NUL bytes are refused, naming the field") {
  Sandbox s;
  new_ticket(s, {"an honest one"});
  const auto before = store_state(s);
  auto r = s.run({"ticket", "new", "caf\xE9 down"});
  CHECK(r.code == 65);
  CHECK(has(r.err, "title"));
  CHECK(has(r.err, "UTF-8"));
  r = s.run({"ticket", "new", "ok title", "--description", "-"}, "line\0hidden"s);
  CHECK(r.code == 65);
  CHECK(has(r.err, "NUL"));
  r = s.run({"ticket", "new", "ok title", "--system", "erp\xFF"});
  CHECK(r.code == 65);
  CHECK(has(r.err, "system"));
  r = s.run({"ticket", "new", "ok title", "--reporter", std::string(201, 'r')});
  CHECK(r.code == 65);
  CHECK(has(r.err, "reporter"));
  CHECK(store_state(s) == before);
}

TEST_CASE("quotes, semicolons and SQL in fields are stored as text") {
  Sandbox s;
  const std::string title = "x'); DROP TABLE tickets; --";
  const auto ref = new_ticket(s, {title, "--system", "a\"b;c"});
  const auto j = s.run({"ticket", "show", ref, "--json", "title,system"}).json();
  CHECK(j["title"] == title);
  CHECK(j["system"] == "a\"b;c");
  CHECK(s.run({"ticket", "list", "--search", "'); DROP", "-q"}).out == ref + "\n");
  CHECK(s.run({"ticket", "list", "--search", "drop TABLE", "-q"}).out == ref + "\n");  // case ignored
  CHECK(s.run({"ticket", "list", "--search", "100%", "-q"}).out.empty());  // % is a character, not a wildcard
  CHECK(s.sql("SELECT count(*) FROM tickets").out == "1\n");
}

TEST_SUITE_END();
