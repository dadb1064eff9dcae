#include <algorithm>
#include "common.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "model/vocabulary.hpp"

namespace opsdesk::cli {

namespace {

bool looks_like_fields(const std::string& s) {
  if (s.empty() || s.front() == ',' || s.back() == ',') return false;
  for (const char c : s)
    if (!((c >= 'a' && c <= 'z') || c == '_' || c == ',' || (c >= '0' && c <= '9'))) return false;
  return true;
}

}  // namespace

CLI::App* add_command(CLI::App* parent, const Runtime& rt, const std::string& name, const std::string& help) {
  auto* cmd = parent->add_subcommand(name, help);
  if (rt.whole_tree) return cmd;
  return std::find(rt.words.begin(), rt.words.end(), name) == rt.words.end() ? nullptr : cmd;
}

CLI::Option* choices(CLI::Option* option, const std::vector<std::string>& values) {
  return option->type_name("{" + core::join(values, ",") + "}");
}

std::vector<std::string> choices_of(const CLI::Option& option) {
  const std::string type = option.get_type_name();
  if (type.size() < 2 || type.front() != '{' || type.back() != '}') return {};
  return core::split(type.substr(1, type.size() - 2), ',');
}

void check_choice(std::string_view what, const std::string& value, const std::vector<std::string>& allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) model::throw_unknown(what, value, allowed);
}

void add_json_option(CLI::App* cmd, OutputOptions& o) {
  cmd->add_flag("--json", o.json, "Print JSON (stable keys); --json ref,status selects fields");
  cmd->add_option("--fields", o.fields, "Fields to keep in JSON output (comma-separated)")->group("");
}

void add_format_option(CLI::App* cmd, OutputOptions& o, const std::vector<std::string>& formats) {
  add_json_option(cmd, o);
  choices(cmd->add_option("--format", o.format, "Output format (default " + formats.front() + ")"), formats);
  cmd->add_flag("-q,--quiet", o.quiet, "Print only each record's reference or id, one per line");
}

output::Format chosen_format(const OutputOptions& o) {
  if (o.json) return output::Format::json;
  if (o.format.empty() || o.format == "table" || o.format == "text") return output::Format::table;
  if (o.format == "json") return output::Format::json;
  if (o.format == "jsonl") return output::Format::jsonl;
  if (o.format == "csv") return output::Format::csv;
  if (o.format == "tsv") return output::Format::tsv;
  model::throw_unknown("format", o.format, {"table", "json", "jsonl", "csv", "tsv"});
}

std::vector<std::string> chosen_fields(const OutputOptions& o) {
  if (o.fields.empty()) return {};
  return core::split(o.fields, ',');
}

void print_records(Runtime& rt, const OutputOptions& o, const output::Json& records, const output::Json& sample,
                   const std::function<void()>& table) {
  const auto format = chosen_format(o);
  const auto fields = chosen_fields(o);
  output::check_fields(sample, fields);
  if (o.quiet) {
    const auto key = output::identifying_field(sample);
    if (!key) throw Error(ErrorKind::usage, "--quiet: these records have no reference or id; use --json FIELD");
    for (const auto& r : records) rt.out() << output::plain_value(r.at(*key)) << '\n';
    return;
  }
  const output::Json selected = output::select_fields(records, fields);
  auto& out = rt.out();
  switch (format) {
    case output::Format::table: table(); return;
    case output::Format::json: output::write_json(out, selected); return;
    case output::Format::jsonl:
      for (const auto& r : selected) output::write_jsonl(out, r);
      return;
    case output::Format::csv:
    case output::Format::tsv: {
      const char sep = format == output::Format::csv ? ',' : '\t';
      const std::vector<std::string> keys = fields.empty() ? output::field_names(sample) : fields;
      out << output::delimited_header(keys, sep);
      for (const auto& r : selected) out << output::delimited_row(r, keys, sep);
      return;
    }
  }
}

void print_object(Runtime& rt, const OutputOptions& o, const output::Json& object, const std::function<void()>& text) {
  if (!o.json && chosen_format(o) == output::Format::table) {
    text();
    return;
  }
  output::write_json(rt.out(), output::select_fields(object, chosen_fields(o)));
}

std::vector<std::string> rewrite_json_arguments(std::vector<std::string> args) {
  std::vector<std::string> out;
  out.reserve(args.size() + 2);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {  // everything after is positional
      out.insert(out.end(), args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
      break;
    }
    if (a.starts_with("--json=")) {
      out.emplace_back("--json");
      out.push_back("--fields=" + a.substr(7));
    } else if (a == "--json" && i + 1 < args.size() && looks_like_fields(args[i + 1])) {
      out.emplace_back("--json");
      out.push_back("--fields=" + args[++i]);
    } else {
      out.push_back(a);
    }
  }
  return out;
}

}  // namespace opsdesk::cli
