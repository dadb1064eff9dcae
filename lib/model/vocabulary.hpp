#pragma once
// The desk's vocabulary: ticket types, priorities, statuses, channels and the other closed
// sets of names that the config, the store and the commands share. Names are the stable
// strings of the JSON contract and the store.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace opsdesk::model {

using namespace std::string_view_literals;

enum class TicketType { incident, request, problem, change, release, complaint, consult, inspection };
enum class Priority { urgent, high, medium, low };
enum class Status {
  new_, acknowledged, in_progress, pending, resolved, closed, cancelled,  // the common lifecycle
  draft, submitted, approved, rejected, implemented, reviewed,            // changes
  released,                                                               // releases
};
enum class Channel { phone, email, onsite, remote, monitor };
enum class PendingReason { customer, vendor, other };
enum class LinkKind { caused_by, relates, duplicates, implements };
enum class Role { admin, manager, engineer, customer, viewer };
enum class Risk { low, medium, high };

template <typename E> struct Names;
template <> struct Names<TicketType> {
  static constexpr std::string_view what = "ticket type";
  static constexpr std::array values = {"incident"sv, "request"sv, "problem"sv, "change"sv,
                                        "release"sv,  "complaint"sv, "consult"sv, "inspection"sv};
};
template <> struct Names<Priority> {
  static constexpr std::string_view what = "priority";
  static constexpr std::array values = {"urgent"sv, "high"sv, "medium"sv, "low"sv};
};
template <> struct Names<Status> {
  static constexpr std::string_view what = "status";
  static constexpr std::array values = {"new"sv,       "acknowledged"sv, "in_progress"sv, "pending"sv,
                                        "resolved"sv,  "closed"sv,       "cancelled"sv,   "draft"sv,
                                        "submitted"sv, "approved"sv,     "rejected"sv,    "implemented"sv,
                                        "reviewed"sv,  "released"sv};
};
template <> struct Names<Channel> {
  static constexpr std::string_view what = "channel";
  static constexpr std::array values = {"phone"sv, "email"sv, "onsite"sv, "remote"sv, "monitor"sv};
};
template <> struct Names<PendingReason> {
  static constexpr std::string_view what = "pending reason";
  static constexpr std::array values = {"customer"sv, "vendor"sv, "other"sv};
};
template <> struct Names<LinkKind> {
  static constexpr std::string_view what = "link kind";
  static constexpr std::array values = {"caused-by"sv, "relates"sv, "duplicates"sv, "implements"sv};
};

template <> struct Names<Role> {
  static constexpr std::string_view what = "role";
  static constexpr std::array values = {"admin"sv, "manager"sv, "engineer"sv, "customer"sv, "viewer"sv};
};

template <> struct Names<Risk> {
  static constexpr std::string_view what = "risk";
  static constexpr std::array values = {"low"sv, "medium"sv, "high"sv};
};

template <typename E>
constexpr std::string_view name(E value) {
  return Names<E>::values[static_cast<std::size_t>(value)];
}

template <typename E>
constexpr std::optional<E> from_name(std::string_view text) {
  const auto& values = Names<E>::values;
  const auto it = std::find(values.begin(), values.end(), text);
  if (it == values.end()) return std::nullopt;
  return static_cast<E>(it - values.begin());
}

template <typename E>
std::vector<std::string> all_names() {
  return {Names<E>::values.begin(), Names<E>::values.end()};
}

// "one of urgent, high, medium, low"
std::string one_of(const std::vector<std::string>& names);

// The value's enum, or Error(usage) "unknown priority "critcal"; expected one of urgent, high,
// medium, low (did you mean ...?)". Case-insensitive.
template <typename E>
E parse(std::string_view text);

// Ticket reference prefixes: INC, REQ, PRB, CHG, REL, CMP, CON, INS.
std::string_view ref_prefix(TicketType type);
std::optional<TicketType> type_of_prefix(std::string_view prefix);

// The error thrown by parse<E>, for callers that validate names from other sources.
[[noreturn]] void throw_unknown(std::string_view what, std::string_view value, const std::vector<std::string>& allowed);

}  // namespace opsdesk::model
