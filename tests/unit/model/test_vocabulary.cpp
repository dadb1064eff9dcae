#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "model/vocabulary.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using namespace opsdesk::model;
using opsdesk::test::kind;
using opsdesk::test::thrown;
using Strings = std::vector<std::string>;

TEST_SUITE_BEGIN("model");

namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string capitalised(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

// Every name of E: name() of its enumerator gives it back, and parse<E> reads it exactly, in
// capitals, capitalised and with blanks around it.
template <typename E>
void check_round_trip(const Strings& expected_names) {
  REQUIRE(all_names<E>() == expected_names);
  for (std::size_t i = 0; i < expected_names.size(); ++i) {
    const auto value = static_cast<E>(i);
    const std::string& n = expected_names[i];
    CAPTURE(n);
    CHECK(name(value) == n);
    CHECK(from_name<E>(n) == value);
    CHECK(parse<E>(n) == value);
    CHECK(parse<E>(upper(n)) == value);
    CHECK(parse<E>(capitalised(n)) == value);
    CHECK(parse<E>("  " + n + " \t\r\n") == value);
    CHECK(parse<E>(std::string(name(parse<E>(n)))) == value);
  }
}

std::string parse_error(auto parse_fn) {
  const auto e = thrown(parse_fn);
  CHECK(kind(e) == "usage");
  return e.what();
}

}  // namespace

TEST_CASE("model::name and parse round-trip for every vocabulary") {
  SUBCASE("ticket types") {
    check_round_trip<TicketType>(
        {"incident", "request", "problem", "change", "release", "complaint", "consult", "inspection"});
    CHECK(name(TicketType::incident) == "incident");
    CHECK(name(TicketType::inspection) == "inspection");
  }
  SUBCASE("priorities") {
    check_round_trip<Priority>({"urgent", "high", "medium", "low"});
    CHECK(name(Priority::urgent) == "urgent");
    CHECK(name(Priority::low) == "low");
  }
  SUBCASE("statuses") {
    check_round_trip<Status>({"new", "acknowledged", "in_progress", "pending", "resolved", "closed", "cancelled", "draft",
                              "submitted", "approved", "rejected", "implemented", "reviewed", "released"});
    CHECK(name(Status::new_) == "new");
    CHECK(name(Status::in_progress) == "in_progress");
    CHECK(name(Status::cancelled) == "cancelled");
    CHECK(name(Status::draft) == "draft");
    CHECK(name(Status::reviewed) == "reviewed");
    CHECK(name(Status::released) == "released");
  }
  SUBCASE("channels") {
    check_round_trip<Channel>({"phone", "email", "onsite", "remote", "monitor"});
    CHECK(name(Channel::phone) == "phone");
    CHECK(name(Channel::monitor) == "monitor");
  }
  SUBCASE("pending reasons") {
    check_round_trip<PendingReason>({"customer", "vendor", "other"});
    CHECK(name(PendingReason::customer) == "customer");
    CHECK(name(PendingReason::other) == "other");
  }
  SUBCASE("link kinds: hyphenated names for the underscored enumerators") {
    check_round_trip<LinkKind>({"caused-by", "relates", "duplicates", "implements"});
    CHECK(name(LinkKind::caused_by) == "caused-by");
    CHECK(name(LinkKind::implements) == "implements");
  }
  SUBCASE("roles") {
    check_round_trip<Role>({"admin", "manager", "engineer", "customer", "viewer"});
    CHECK(name(Role::admin) == "admin");
    CHECK(name(Role::viewer) == "viewer");
  }
  SUBCASE("risks") {
    check_round_trip<Risk>({"low", "medium", "high"});
    CHECK(name(Risk::low) == "low");
    CHECK(name(Risk::high) == "high");
  }
}

TEST_CASE("model::from_name is exact") {
  CHECK(from_name<Priority>("high") == Priority::high);
  CHECK(from_name<Priority>("High") == std::nullopt);
  CHECK(from_name<Priority>(" high") == std::nullopt);
  CHECK(from_name<Priority>("") == std::nullopt);
  CHECK(from_name<Status>("new_") == std::nullopt);
  CHECK(from_name<LinkKind>("caused_by") == std::nullopt);
}

TEST_CASE("model::parse of an unknown value") {
  SUBCASE("a usage error naming the value and what is allowed") {
    CHECK(parse_error([] { parse<Priority>("critcal"); }) ==
          "unknown priority \"critcal\"; expected one of urgent, high, medium, low");
    CHECK(parse_error([] { parse<Risk>("extreme"); }) == "unknown risk \"extreme\"; expected one of low, medium, high");
  }
  SUBCASE("a near miss gets a suggestion") {
    CHECK(parse_error([] { parse<Priority>("hgih"); }) ==
          "unknown priority \"hgih\"; expected one of urgent, high, medium, low (did you mean high?)");
    CHECK(parse_error([] { parse<TicketType>("incdent"); }) ==
          "unknown ticket type \"incdent\"; expected one of incident, request, problem, change, release, complaint, "
          "consult, inspection (did you mean incident?)");
    CHECK(parse_error([] { parse<Status>("in-progress"); }) ==
          "unknown status \"in-progress\"; expected one of new, acknowledged, in_progress, pending, resolved, closed, "
          "cancelled, draft, submitted, approved, rejected, implemented, reviewed, released (did you mean in_progress?)");
    CHECK(parse_error([] { parse<Channel>("e-mail"); }) ==
          "unknown channel \"e-mail\"; expected one of phone, email, onsite, remote, monitor (did you mean email?)");
    CHECK(parse_error([] { parse<PendingReason>("vender"); }) ==
          "unknown pending reason \"vender\"; expected one of customer, vendor, other (did you mean vendor?)");
    CHECK(parse_error([] { parse<LinkKind>("caused_by"); }) ==
          "unknown link kind \"caused_by\"; expected one of caused-by, relates, duplicates, implements (did you mean "
          "caused-by?)");
    CHECK(parse_error([] { parse<Role>("admn"); }) ==
          "unknown role \"admn\"; expected one of admin, manager, engineer, customer, viewer (did you mean admin?)");
    CHECK(parse_error([] { parse<Risk>("hihg"); }) ==
          "unknown risk \"hihg\"; expected one of low, medium, high (did you mean high?)");
  }
  SUBCASE("the suggestion ignores case; the message shows the value as typed") {
    CHECK(parse_error([] { parse<Priority>("URGNET"); }) ==
          "unknown priority \"URGNET\"; expected one of urgent, high, medium, low (did you mean urgent?)");
  }
  SUBCASE("a prefix gets a suggestion") {
    CHECK(parse_error([] { parse<Priority>("med"); }) ==
          "unknown priority \"med\"; expected one of urgent, high, medium, low (did you mean medium?)");
    CHECK(parse_error([] { parse<TicketType>("insp"); }) ==
          "unknown ticket type \"insp\"; expected one of incident, request, problem, change, release, complaint, "
          "consult, inspection (did you mean inspection?)");
    // ...even when a shorter name is fewer edits away ("ack" is three from "new")
    CHECK(parse_error([] { parse<Status>("ack"); }) ==
          "unknown status \"ack\"; expected one of new, acknowledged, in_progress, pending, resolved, closed, "
          "cancelled, draft, submitted, approved, rejected, implemented, reviewed, released (did you mean acknowledged?)");
    CHECK(parse_error([] { parse<Role>("eng"); }) ==
          "unknown role \"eng\"; expected one of admin, manager, engineer, customer, viewer (did you mean engineer?)");
    CHECK(parse_error([] { parse<LinkKind>("dup"); }) ==
          "unknown link kind \"dup\"; expected one of caused-by, relates, duplicates, implements (did you mean "
          "duplicates?)");
  }
  SUBCASE("the enumerator's spelling is not a name") {
    CHECK(parse_error([] { parse<Status>("new_"); }) ==
          "unknown status \"new_\"; expected one of new, acknowledged, in_progress, pending, resolved, closed, "
          "cancelled, draft, submitted, approved, rejected, implemented, reviewed, released (did you mean new?)");
  }
  SUBCASE("empty, blank and non-ASCII input: no suggestion") {
    CHECK(parse_error([] { parse<Priority>(""); }) == "unknown priority \"\"; expected one of urgent, high, medium, low");
    CHECK(parse_error([] { parse<Priority>("   "); }) ==
          "unknown priority \"   \"; expected one of urgent, high, medium, low");
    CHECK(parse_error([] { parse<Priority>("紧急"); }) ==
          "unknown priority \"紧急\"; expected one of urgent, high, medium, low");
  }
  SUBCASE("a name of another vocabulary is not accepted") {
    CHECK(parse_error([] { parse<Role>("urgent"); }) ==
          "unknown role \"urgent\"; expected one of admin, manager, engineer, customer, viewer");
    CHECK_THROWS_AS(parse<Priority>("incident"), Error);
  }
}

TEST_CASE("model::one_of") {
  CHECK(one_of(all_names<Priority>()) == "one of urgent, high, medium, low");
  CHECK(one_of({"a"}) == "one of a");
  CHECK(one_of({"a", "b"}) == "one of a, b");
}

TEST_CASE("model::throw_unknown") {
  SUBCASE("the same message as parse") {
    const auto e = thrown([] { throw_unknown("check kind", "htpp", {"http", "tcp", "ping"}); });
    CHECK(kind(e) == "usage");
    CHECK(std::string(e.what()) == "unknown check kind \"htpp\"; expected one of http, tcp, ping (did you mean http?)");
  }
  SUBCASE("no suggestion when nothing is close") {
    const auto e = thrown([] { throw_unknown("check kind", "smtp", {"http", "tcp", "ping"}); });
    CHECK(std::string(e.what()) == "unknown check kind \"smtp\"; expected one of http, tcp, ping");
  }
}

TEST_CASE("model::ref_prefix and type_of_prefix") {
  SUBCASE("one prefix per ticket type") {
    CHECK(ref_prefix(TicketType::incident) == "INC");
    CHECK(ref_prefix(TicketType::request) == "REQ");
    CHECK(ref_prefix(TicketType::problem) == "PRB");
    CHECK(ref_prefix(TicketType::change) == "CHG");
    CHECK(ref_prefix(TicketType::release) == "REL");
    CHECK(ref_prefix(TicketType::complaint) == "CMP");
    CHECK(ref_prefix(TicketType::consult) == "CON");
    CHECK(ref_prefix(TicketType::inspection) == "INS");
  }
  SUBCASE("round trip, in any case") {
    for (const auto& n : all_names<TicketType>()) {
      const auto type = parse<TicketType>(n);
      const std::string prefix(ref_prefix(type));
      CAPTURE(prefix);
      CHECK(type_of_prefix(prefix) == type);
      std::string lower = prefix;
      for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      CHECK(type_of_prefix(lower) == type);
    }
    CHECK(type_of_prefix("Chg") == TicketType::change);
  }
  SUBCASE("anything else is not a prefix") {
    CHECK(type_of_prefix("") == std::nullopt);
    CHECK(type_of_prefix("XYZ") == std::nullopt);
    CHECK(type_of_prefix("IN") == std::nullopt);
    CHECK(type_of_prefix("INCI") == std::nullopt);
    CHECK(type_of_prefix(" INC") == std::nullopt);
    CHECK(type_of_prefix("INC-") == std::nullopt);
  }
}

TEST_SUITE_END();
