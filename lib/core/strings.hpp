#pragma once
// Small string utilities that know nothing of opsdesk.
#include <optional>
#include <span>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace opsdesk::core {

std::string_view trim(std::string_view text);
std::string to_lower(std::string_view text);
std::string to_upper(std::string_view text);
std::vector<std::string> split(std::string_view text, char separator);
std::string join(std::span<const std::string> parts, std::string_view separator);
// Lines without their '\n' (a last line without one is kept).
std::vector<std::string> split_lines(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlongs, no surrogates).
bool is_valid_utf8(std::string_view text);

// Bytes for people: "512 B", "1.5 KiB", "3.0 GiB" (binary units).
std::string format_bytes(double bytes);
// 1234567 → "1,234,567".
std::string format_count(std::uint64_t n);

// `s` with &, <, > and " as HTML entities.
std::string html_escape(std::string_view s);

// Levenshtein distance, for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `typed` when it is close enough to be a likely typo.
std::optional<std::string> closest_match(std::string_view typed, std::span<const std::string> candidates);

// Parse a whole string as a non-negative or signed integer; nullopt on any junk or overflow.
std::optional<long long> parse_int(std::string_view text);

}  // namespace opsdesk::core
