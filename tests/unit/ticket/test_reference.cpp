#include <doctest/doctest.h>

#include <string>

#include "support/helpers.hpp"
#include "ticket/reference.hpp"

using namespace opsdesk;
using namespace opsdesk::ticket;
using model::TicketType;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::thrown;

TEST_SUITE_BEGIN("ticket");

TEST_CASE("ticket::format_reference") {
  CHECK(format_reference({TicketType::incident, 2026, 42}) == "INC-2026-000042");
  CHECK(format_reference({TicketType::request, 2026, 1}) == "REQ-2026-000001");
  CHECK(format_reference({TicketType::problem, 2025, 999999}) == "PRB-2025-999999");
  CHECK(format_reference({TicketType::change, 2026, 7}) == "CHG-2026-000007");
  CHECK(format_reference({TicketType::release, 2026, 7}) == "REL-2026-000007");
  CHECK(format_reference({TicketType::complaint, 2026, 7}) == "CMP-2026-000007");
  CHECK(format_reference({TicketType::consult, 2026, 7}) == "CON-2026-000007");
  CHECK(format_reference({TicketType::inspection, 2026, 7}) == "INS-2026-000007");
  SUBCASE("a busy year grows past six digits") {
    CHECK(format_reference({TicketType::incident, 2026, 1234567}) == "INC-2026-1234567");
  }
}

TEST_CASE("ticket::parse_reference, accepted forms") {
  SUBCASE("canonical") {
    const auto r = parse_reference("INC-2026-000042");
    REQUIRE(r);
    CHECK(r->type == TicketType::incident);
    CHECK(r->year == 2026);
    CHECK(r->sequence == 42);
  }
  SUBCASE("as typed: lower case, no padding, blanks around") {
    for (const char* typed : {"inc-2026-42", "Inc-2026-0042", " INC-2026-000042 ", "INC-2026-42\n"}) {
      const std::string text = typed;
      CAPTURE(text);
      const auto r = parse_reference(text);
      REQUIRE(r);
      CHECK(format_reference(*r) == "INC-2026-000042");
    }
  }
  SUBCASE("every prefix") {
    for (const char* ref : {"INC-2026-000001", "REQ-2026-000001", "PRB-2026-000001", "CHG-2026-000001",
                            "REL-2026-000001", "CMP-2026-000001", "CON-2026-000001", "INS-2026-000001"}) {
      const std::string text = ref;
      CAPTURE(text);
      const auto r = parse_reference(text);
      REQUIRE(r);
      CHECK(format_reference(*r) == text);
    }
  }
  SUBCASE("long sequences") {
    CHECK(parse_reference("INC-2026-1234567")->sequence == 1234567);
    CHECK(parse_reference("INC-2026-000000000001")->sequence == 1);  // 12 digits
  }
}

TEST_CASE("ticket::parse_reference, malformed forms") {
  for (const char* bad : {"", "INC", "INC-2026", "INC-2026-", "-2026-1", "INC--1", "INC-26-1", "INC-20266-1",
                          "INC-2026-0", "INC-2026-000000", "INC-2026--1", "INC-2026-+1", "INC-+026-1", "INC--026-1",
                          "INC-2026-1-2", "INC_2026_000001", "INC 2026 000001", "INC-2026-abc", "INC-2026-1x",
                          "INC-2026-0000000000001", "XYZ-2026-000001", "IN-2026-000001", "INCI-2026-000001",
                          "INC-２０２６-000001", "INC-2026- 42", "INC-20 6-1", "42", "2026-000042"}) {
    const std::string text = bad;
    CAPTURE(text);
    CHECK_FALSE(parse_reference(text));
  }
}

TEST_CASE("ticket::normalize_reference") {
  CHECK(normalize_reference("inc-2026-42") == "INC-2026-000042");
  CHECK(normalize_reference("CHG-2025-7") == "CHG-2025-000007");
  SUBCASE("a malformed reference is a usage error showing the expected shape") {
    const auto e = thrown([] { normalize_reference("INC-42"); });
    CHECK(kind(e) == "usage");
    CHECK_MESSAGE(has(e.what(), "\"INC-42\""), std::string(e.what()));
    CHECK_MESSAGE(has(e.what(), "INC-2026-000042"), std::string(e.what()));
  }
}

TEST_SUITE_END();
