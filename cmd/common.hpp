#pragma once
// Options and printing shared by the command files: --json [FIELDS], --format, --at.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "model/vocabulary.hpp"
#include "output/json.hpp"
#include "runtime.hpp"

namespace opsdesk::cli {

struct OutputOptions {
  bool json = false;
  std::string fields;  // "ref,priority" from --json ref,priority
  std::string format;
  bool quiet = false;  // --quiet: only each record's reference or id
};

// Declare the values an option or argument takes: shown in --help as {a,b,c}, offered by
// shell completion and listed in the man page (they read it back with `choices_of`).
CLI::Option* choices(CLI::Option* option, const std::vector<std::string>& values);
template <typename Array>
CLI::Option* choices(CLI::Option* option, const Array& values) {
  return choices(option, std::vector<std::string>(values.begin(), values.end()));
}
std::vector<std::string> choices_of(const CLI::Option& option);
// Error(usage) naming `what`, the value and the closest allowed one, unless `value` is allowed.
void check_choice(std::string_view what, const std::string& value, const std::vector<std::string>& allowed);

// `parent`'s subcommand `name`, or nullptr when the command line does not name it: then only
// its name and description are registered (for help and "did you mean"), since building the
// options of every command is most of a short command's start-up time.
CLI::App* add_command(CLI::App* parent, const Runtime& rt, const std::string& name, const std::string& help);

// --json [FIELDS] (one JSON document, gh-style field selection).
void add_json_option(CLI::App* cmd, OutputOptions& o);
// --json plus --format FORMAT, FORMAT one of `formats` (the first is the default), and --quiet.
void add_format_option(CLI::App* cmd, OutputOptions& o, const std::vector<std::string>& formats);

output::Format chosen_format(const OutputOptions& o);
std::vector<std::string> chosen_fields(const OutputOptions& o);

// Print `records` (a JSON array of objects like `sample`) in the chosen machine format, or call
// `table`. Field names are checked against `sample`, so an empty list fails like a full one.
void print_records(Runtime& rt, const OutputOptions& o, const output::Json& records, const output::Json& sample,
                   const std::function<void()>& table);
// Print one object as JSON if asked, else call `text`.
void print_object(Runtime& rt, const OutputOptions& o, const output::Json& object, const std::function<void()>& text);

// Rewrite gh-style "--json a,b" and "--json=a,b" into "--json --fields=a,b" for CLI11.
std::vector<std::string> rewrite_json_arguments(std::vector<std::string> args);

}  // namespace opsdesk::cli
