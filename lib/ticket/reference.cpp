#include "ticket/reference.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::ticket {

std::string format_reference(const Reference& ref) {
  return fmt::format("{}-{:04}-{:06}", model::ref_prefix(ref.type), ref.year, ref.sequence);
}

std::optional<Reference> parse_reference(std::string_view text) {
  text = core::trim(text);
  const auto parts = core::split(text, '-');
  if (parts.size() != 3 || parts[1].size() != 4 || parts[2].empty() || parts[2].size() > 12) return std::nullopt;
  const auto type = model::type_of_prefix(parts[0]);
  const auto year = core::parse_int(parts[1]);
  const auto seq = core::parse_int(parts[2]);
  if (!type || !year || !seq || *seq < 1 || parts[2][0] == '+' || parts[1][0] == '+') return std::nullopt;
  return Reference{*type, static_cast<int>(*year), *seq};
}

std::string normalize_reference(std::string_view text) {
  if (const auto ref = parse_reference(text)) return format_reference(*ref);
  throw Error(ErrorKind::usage,
              fmt::format("invalid ticket reference \"{}\"; expected PREFIX-YEAR-NUMBER like INC-2026-000042 "
                          "(prefixes INC REQ PRB CHG REL CMP CON INS)",
                          text));
}

}  // namespace opsdesk::ticket
