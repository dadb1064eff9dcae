#include "output/json.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::output {

void write_json(std::ostream& out, const Json& value) {
  out << value.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

std::string dump_compact(const Json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void write_jsonl(std::ostream& out, const Json& value) { out << dump_compact(value) << '\n'; }

std::vector<std::string> field_names(const Json& object) {
  std::vector<std::string> names;
  if (!object.is_object()) return names;
  for (const auto& item : object.items()) names.push_back(item.key());
  return names;
}

namespace {

Json select_object(const Json& object, const std::vector<std::string>& fields) {
  check_fields(object, fields);
  Json out = Json::object();
  for (const auto& f : fields) out[f] = object.at(f);
  return out;
}

}  // namespace

void check_fields(const Json& sample, const std::vector<std::string>& fields) {
  for (const auto& f : fields) {
    if (sample.contains(f)) continue;
    const auto names = field_names(sample);
    std::string message = fmt::format("unknown field \"{}\" for --json; available: {}", f, core::join(names, ", "));
    if (const auto guess = core::closest_match(f, names)) message += fmt::format(" (did you mean {}?)", *guess);
    throw Error(ErrorKind::usage, message);
  }
}

Json select_fields(const Json& value, const std::vector<std::string>& fields) {
  if (fields.empty()) return value;
  if (value.is_object()) return select_object(value, fields);
  if (!value.is_array()) return value;
  Json out = Json::array();
  for (const auto& el : value) out.push_back(el.is_object() ? select_object(el, fields) : el);
  return out;
}

std::string delimited_header(const std::vector<std::string>& keys, char separator) {
  return core::csv_record(keys, separator);
}

std::optional<std::string> identifying_field(const Json& sample) {
  for (const char* key : {"ref", "id", "name"})
    if (sample.is_object() && sample.contains(key)) return key;
  return std::nullopt;
}

std::string plain_value(const Json& value) {
  if (value.is_null()) return {};
  if (value.is_string()) return value.get<std::string>();
  return dump_compact(value);
}

std::string delimited_row(const Json& object, const std::vector<std::string>& keys, char separator) {
  std::vector<std::string> fields;
  fields.reserve(keys.size());
  for (const auto& k : keys) {
    const auto it = object.find(k);
    fields.push_back(it == object.end() ? std::string() : plain_value(*it));
  }
  return core::csv_record(fields, separator);
}

}  // namespace opsdesk::output
