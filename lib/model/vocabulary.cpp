#include "model/vocabulary.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::model {

namespace {
constexpr std::array k_prefixes = {"INC"sv, "REQ"sv, "PRB"sv, "CHG"sv, "REL"sv, "CMP"sv, "CON"sv, "INS"sv};
}

std::string one_of(const std::vector<std::string>& names) {
  return "one of " + core::join(names, ", ");
}

void throw_unknown(std::string_view what, std::string_view value, const std::vector<std::string>& allowed) {
  std::string message = fmt::format("unknown {} \"{}\"; expected {}", what, value, one_of(allowed));
  if (const auto guess = core::closest_match(value, allowed)) message += fmt::format(" (did you mean {}?)", *guess);
  throw Error(ErrorKind::usage, message);
}

template <typename E>
E parse(std::string_view text) {
  if (const auto v = from_name<E>(core::to_lower(core::trim(text)))) return *v;
  throw_unknown(Names<E>::what, text, all_names<E>());
}

template TicketType parse<TicketType>(std::string_view);
template Priority parse<Priority>(std::string_view);
template Status parse<Status>(std::string_view);
template Channel parse<Channel>(std::string_view);
template PendingReason parse<PendingReason>(std::string_view);
template LinkKind parse<LinkKind>(std::string_view);
template Role parse<Role>(std::string_view);
template Risk parse<Risk>(std::string_view);

std::string_view ref_prefix(TicketType type) { return k_prefixes[static_cast<std::size_t>(type)]; }

std::optional<TicketType> type_of_prefix(std::string_view prefix) {
  const std::string upper = [&] {
    std::string s(prefix);
    for (auto& c : s) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    return s;
  }();
  const auto it = std::find(k_prefixes.begin(), k_prefixes.end(), upper);
  if (it == k_prefixes.end()) return std::nullopt;
  return static_cast<TicketType>(it - k_prefixes.begin());
}

}  // namespace opsdesk::model
