#pragma once
// Ticket references: PREFIX-YEAR-SEQUENCE, e.g. INC-2026-000042.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "model/vocabulary.hpp"

namespace opsdesk::ticket {

struct Reference {
  model::TicketType type;
  int year;
  std::int64_t sequence;
};

std::string format_reference(const Reference& ref);
// Parse a reference as typed: case-insensitive, sequence with or without zero padding.
std::optional<Reference> parse_reference(std::string_view text);
// The canonical form of a typed reference, or Error(usage) naming the expected shape.
std::string normalize_reference(std::string_view text);

}  // namespace opsdesk::ticket
