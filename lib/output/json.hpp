#pragma once
// Machine output: one JSON document, JSON lines, CSV/TSV rows, and gh-style field selection.
#include <nlohmann/json_fwd.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace opsdesk::output {

using Json = nlohmann::ordered_json;

enum class Format { table, json, jsonl, csv, tsv };

// Pretty-printed document and a newline. Invalid UTF-8 in strings is replaced, never fatal.
void write_json(std::ostream& out, const Json& value);
// One compact line.
void write_jsonl(std::ostream& out, const Json& value);
std::string dump_compact(const Json& value);

// Keep only `fields` (in that order) of an object or of each object in an array. An unknown
// field is Error(usage) listing the available ones. Empty `fields` keeps everything.
Json select_fields(const Json& value, const std::vector<std::string>& fields);
// Error(usage) unless every name in `fields` is a key of `sample` (an object of the kind
// being printed), so a script fails the same way on an empty list as on a full one.
void check_fields(const Json& sample, const std::vector<std::string>& fields);
// Names of an object's keys.
std::vector<std::string> field_names(const Json& object);

// The key that names a record for --quiet: "ref", else "id", else "name"; nullopt if none.
std::optional<std::string> identifying_field(const Json& sample);
// A value as plain text: a string as it is, null as empty, anything else as compact JSON.
std::string plain_value(const Json& value);

// CSV/TSV: a header of `keys`, then one row per object; strings as they are, null as empty,
// nested values as compact JSON.
std::string delimited_header(const std::vector<std::string>& keys, char separator);
std::string delimited_row(const Json& object, const std::vector<std::string>& keys, char separator);

}  // namespace opsdesk::output
