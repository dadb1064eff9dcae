// The command tree describing itself: shell completion (`completion`, and the hidden
// `__complete` the scripts call, as gh and cobra do) and the man pages (hidden `__man`, run at
// build time). Both read the same CLI11 tree the parser uses, so they cannot drift from it.
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "account/account.hpp"
#include "backup/backup.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "ticket/repository.hpp"

namespace opsdesk::cli {

namespace {

namespace fs = std::filesystem;

bool hidden(const CLI::App* app) { return app->get_group().empty(); }
bool hidden(const CLI::Option* opt) { return opt->get_group().empty(); }
bool takes_value(const CLI::Option* opt) { return opt->get_type_size_max() > 0 && opt->get_expected_min() > 0; }

std::vector<CLI::App*> visible_subcommands(CLI::App* app) {
  return app->get_subcommands([](CLI::App* sub) { return !hidden(sub); });
}

std::vector<const CLI::Option*> named_options(const CLI::App* app) {
  return app->get_options([](const CLI::Option* o) { return o->nonpositional() && !hidden(o); });
}

std::vector<const CLI::Option*> positionals(const CLI::App* app) {
  return app->get_options([](const CLI::Option* o) { return !o->nonpositional(); });
}

// The option `word` (--name, --name=value or -n) of `app` or of a command above it.
const CLI::Option* find_option(const CLI::App* app, const std::string& word) {
  const std::string name = word.substr(0, word.find('='));
  for (const CLI::App* at = app; at; at = at->get_parent())
    for (const auto* o : named_options(at)) {
      for (const auto& l : o->get_lnames())
        if ("--" + l == name) return o;
      for (const auto& s : o->get_snames())
        if ("-" + s == name) return o;
    }
  return nullptr;
}

// The top-level command group `app` belongs to ("ticket" for `ticket new`).
std::string group_of(const CLI::App* app) {
  const CLI::App* at = app;
  while (at->get_parent() && at->get_parent()->get_parent()) at = at->get_parent();
  return at->get_parent() ? at->get_name() : std::string();
}

std::string option_label(const CLI::Option* o) {
  std::vector<std::string> names;
  for (const auto& s : o->get_snames()) names.push_back("-" + s);
  for (const auto& l : o->get_lnames()) names.push_back("--" + l);
  return core::join(names, ", ");
}

std::string value_label(const CLI::Option* o) {
  const auto values = choices_of(*o);
  if (!values.empty()) return "{" + core::join(values, ",") + "}";
  std::string type = o->get_type_name();
  return type.empty() ? "VALUE" : type;
}

std::string usage_of(const CLI::App* app) {
  std::vector<std::string> parts;
  for (const CLI::App* at = app; at; at = at->get_parent()) parts.insert(parts.begin(), at->get_name());
  if (!named_options(app).empty()) parts.emplace_back("[OPTIONS]");
  if (!visible_subcommands(const_cast<CLI::App*>(app)).empty()) parts.emplace_back("COMMAND");
  for (const auto* p : positionals(app)) {
    std::string name = core::to_upper(p->get_name());
    if (p->get_items_expected_max() > 1) name += "...";
    parts.push_back(p->get_required() ? name : "[" + name + "]");
  }
  return core::join(parts, " ");
}

// ---- completion -------------------------------------------------------------------------

constexpr const char* k_files = "__files__";  // tells the script to complete file names

struct Candidate {
  std::string word;
  std::string help;
};

bool is_file_option(const std::string& name) {
  static const std::vector<std::string> names = {"db",     "config", "output", "o",        "workload",
                                                 "to",     "file",   "key",    "key-file", "repository"};
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Values from the store and the config for arguments that name something in them.
std::vector<Candidate> dynamic_values(Runtime& rt, const std::string& group, const std::string& name) {
  std::vector<Candidate> out;
  if ((group == "ticket" && (name == "ref" || name == "to")) || name == "for") {
    ticket::repo::ListFilter f;
    f.sort = ticket::repo::SortKey::updated;
    f.limit = 500;
    f.now = rt.now();
    rt.read("ticket.read", [&](desk::Session& s) {
      for (const auto& t : ticket::repo::list(s.db, f)) out.push_back({t.ref, t.title});
    });
  } else if ((group == "account" && name == "name") || name == "assignee" || name == "as") {
    rt.read("", [&](desk::Session& s) {
      for (const auto& a : account::list(s.db, false)) out.push_back({a.name, std::string(model::name(a.role))});
    });
  } else if (group == "backup" && name == "id") {
    rt.read("ticket.read", [&](desk::Session& s) {
      for (const auto& b : backup::list(s.db, {})) out.push_back({b.id, b.target});
    });
  } else if (group == "backup" && (name == "targets" || name == "target")) {
    for (const auto& t : rt.config().backup.targets) out.push_back({t.name, t.kind});
  } else if (group == "db-tune" && name == "target") {
    for (const auto& t : rt.config().dbtune.targets) out.push_back({t.name, t.path});
  }
  return out;
}

std::vector<Candidate> values_of(Runtime& rt, const CLI::App* at, const CLI::Option* o) {
  std::vector<Candidate> out;
  for (const auto& v : choices_of(*o)) out.push_back({v, {}});
  if (!out.empty()) return out;
  const std::string name = o->nonpositional() ? (o->get_lnames().empty() ? o->get_snames().front() : o->get_lnames().front())
                                              : o->get_name();
  const std::string group = group_of(at);
  if (is_file_option(name) && !(group == "ticket" && name == "to")) return {{k_files, {}}};  // ticket link --to: a ticket
  try {
    return dynamic_values(rt, group, name);
  } catch (const std::exception&) {
    return {};  // no store, no account, no config: nothing to offer, never an error mid-typing
  }
}

// What may come at the end of `words` (the words after "opsdesk", the last one being typed).
std::vector<Candidate> complete(CLI::App& app, Runtime& rt, std::vector<std::string> words) {
  if (words.empty()) words.emplace_back();
  const std::string current = words.back();
  words.pop_back();

  CLI::App* at = &app;
  const CLI::Option* pending = nullptr;  // an option waiting for its value
  std::size_t position = 0;              // positional arguments given to `at`
  bool only_positionals = false;
  for (const auto& w : words) {
    if (pending) {
      const auto lnames = pending->get_lnames();
      const std::string name = lnames.empty() ? "" : lnames.front();
      if (name == "db") rt.globals.db = w;
      else if (name == "config") rt.globals.config = w;
      else if (name == "as") rt.globals.as = w;
      pending = nullptr;
      continue;
    }
    if (w == "--") {
      only_positionals = true;
      continue;
    }
    if (!only_positionals && w.size() > 1 && w.front() == '-') {
      const auto* o = find_option(at, w);
      if (o && takes_value(o) && w.find('=') == std::string::npos) pending = o;
      continue;
    }
    CLI::App* next = nullptr;
    if (!only_positionals)
      for (auto* sub : visible_subcommands(at))
        if (sub->get_name() == w) next = sub;
    if (next) {
      at = next;
      position = 0;
    } else {
      ++position;
    }
  }

  std::vector<Candidate> out;
  if (pending) {
    out = values_of(rt, at, pending);
  } else if (!only_positionals && current.starts_with("-")) {
    for (const CLI::App* a = at; a; a = a->get_parent())
      for (const auto* o : named_options(a)) {
        for (const auto& l : o->get_lnames()) out.push_back({"--" + l, o->get_description()});
        if (current.size() <= 2)
          for (const auto& s : o->get_snames()) out.push_back({"-" + s, o->get_description()});
      }
  } else {
    for (auto* sub : visible_subcommands(at)) out.push_back({sub->get_name(), sub->get_description()});
    const auto args = positionals(at);
    if (!args.empty()) {
      const auto* p = args[std::min(position, args.size() - 1)];
      if (position < args.size() || p->get_items_expected_max() > 1) {
        auto values = values_of(rt, at, p);
        out.insert(out.end(), values.begin(), values.end());
      }
    }
  }
  if (out.size() == 1 && out.front().word == k_files) return out;
  std::erase_if(out, [&](const Candidate& c) { return !c.word.starts_with(current); });
  return out;
}

constexpr const char* k_bash = R"(# bash completion for opsdesk (from `opsdesk completion bash`)
_opsdesk() {
  local cur=${COMP_WORDS[COMP_CWORD]} out
  out=$("${COMP_WORDS[0]}" __complete -- "${COMP_WORDS[@]:1:COMP_CWORD}" 2>/dev/null) || return 0
  if [[ $out == __files__ ]]; then
    compopt -o filenames 2>/dev/null
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return 0
  fi
  mapfile -t COMPREPLY < <(printf '%s\n' "$out" | cut -f1 | grep -v '^$')
}
complete -F _opsdesk opsdesk
)";

constexpr const char* k_zsh = R"(#compdef opsdesk
# zsh completion for opsdesk (from `opsdesk completion zsh`)
_opsdesk() {
  local out line
  local -a described
  out=$("${words[1]}" __complete -- "${(@)words[2,CURRENT]}" 2>/dev/null) || return 1
  if [[ $out == __files__ ]]; then
    _files
    return
  fi
  for line in "${(@f)out}"; do
    [[ -n $line ]] && described+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
  done
  _describe 'opsdesk' described
}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _opsdesk "$@"
else
  compdef _opsdesk opsdesk
fi
)";

constexpr const char* k_fish = R"(# fish completion for opsdesk (from `opsdesk completion fish`)
function __opsdesk_complete
    set -l words (commandline -opc) (commandline -ct)
    set -l out ($words[1] __complete -- $words[2..-1] 2>/dev/null)
    if test "$out" = __files__
        __fish_complete_path (commandline -ct)
        return
    end
    printf '%s\n' $out
end
complete -c opsdesk -f -a '(__opsdesk_complete)'
)";

// ---- man pages --------------------------------------------------------------------------

// Text made safe for roff: backslashes escaped, a leading dot or quote neutralised.
std::string roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    line_start = c == '\n';
  }
  return out;
}

struct ExitStatus {
  int code;
  const char* meaning;
};
constexpr ExitStatus k_exit_statuses[] = {
    {0, "done; all checks OK"},
    {1, "refused or failed for a domain reason (an invalid transition, a verify mismatch, an inspection WARNING, a missed report target)"},
    {2, "inspection CRITICAL"},
    {3, "inspection UNKNOWN"},
    {64, "usage: a bad command line"},
    {65, "bad input data (an import row, a value out of range)"},
    {66, "not found (a ticket, account, backup or file)"},
    {69, "a target is unavailable (a database, a host)"},
    {70, "internal error"},
    {74, "I/O error (a full disk, an unwritable file)"},
    {75, "the store is busy or the job already runs: try again later (cron)"},
    {77, "permission denied (the account's role does not allow it)"},
    {78, "configuration error"},
};

void man_header(std::ostream& out, const std::string& title, const std::string& name, const std::string& summary) {
  out << fmt::format(".TH {} 1 \"\" \"opsdesk {}\" \"opsdesk manual\"\n", core::to_upper(title), OPSDESK_VERSION);
  out << ".SH NAME\n" << roff(name) << " \\- " << roff(summary) << '\n';
}

void man_options(std::ostream& out, const std::vector<const CLI::Option*>& options) {
  for (const auto* o : options) {
    out << ".TP\n\\fB" << roff(option_label(o)) << "\\fR";
    if (takes_value(o)) out << " \\fI" << roff(value_label(o)) << "\\fR";
    out << '\n' << roff(o->get_description()) << '\n';
  }
}

void man_arguments(std::ostream& out, const CLI::App* app) {
  for (const auto* p : positionals(app)) {
    out << ".TP\n\\fI" << roff(core::to_upper(p->get_name())) << "\\fR\n" << roff(p->get_description());
    if (const auto values = choices_of(*p); !values.empty()) out << " (" << roff(core::join(values, ", ")) << ")";
    out << '\n';
  }
}

// Every command under `app` with its usage, description, arguments and options.
void man_commands(std::ostream& out, CLI::App* app) {
  for (auto* sub : visible_subcommands(app)) {
    out << ".SS \"" << roff(usage_of(sub)) << "\"\n" << roff(sub->get_description()) << '\n';
    man_arguments(out, sub);
    man_options(out, named_options(sub));
    man_commands(out, sub);
  }
}

void write_group_page(std::ostream& out, CLI::App* group) {
  const std::string name = "opsdesk-" + group->get_name();
  man_header(out, name, name, group->get_description());
  out << ".SH SYNOPSIS\n.B " << roff(usage_of(group)) << '\n';
  out << ".SH DESCRIPTION\n" << roff(group->get_description()) << ".\n";
  if (!named_options(group).empty() || !positionals(group).empty()) {
    out << ".SH OPTIONS\n";
    man_arguments(out, group);
    man_options(out, named_options(group));
  }
  if (!visible_subcommands(group).empty()) {
    out << ".SH COMMANDS\n";
    man_commands(out, group);
  }
  out << ".SH SEE ALSO\n\\fBopsdesk\\fR(1)\n";
}

void write_main_page(std::ostream& out, CLI::App& app) {
  man_header(out, "opsdesk", "opsdesk", "the operations & maintenance desk");
  out << ".SH SYNOPSIS\n.B opsdesk\n[\\fB\\-\\-db\\fR \\fIFILE\\fR] [\\fB\\-\\-config\\fR \\fIFILE\\fR] "
         "[\\fB\\-\\-as\\fR \\fIACCOUNT\\fR] \\fICOMMAND\\fR [\\fIARGS\\fR]\n";
  out << ".SH DESCRIPTION\n" << roff(app.get_description()) << '\n';
  out << ".PP\nEvery command prints text for people on a terminal and, with \\fB\\-\\-json\\fR [\\fIFIELDS\\fR] or "
         "\\fB\\-\\-format\\fR jsonl|csv|tsv, data for scripts; \\fB\\-\\-quiet\\fR on a list prints only its "
         "references. Errors are one line on standard error, and the exit status says what happened (below).\n";
  out << ".SH GLOBAL OPTIONS\n";
  man_options(out, named_options(&app));
  out << ".SH COMMANDS\n";
  for (auto* group : visible_subcommands(&app)) {
    out << ".TP\n\\fB" << roff(group->get_name()) << "\\fR\n" << roff(group->get_description());
    if (!visible_subcommands(group).empty()) out << "; see \\fBopsdesk\\-" << roff(group->get_name()) << "\\fR(1)";
    out << '\n';
  }
  out << ".SH ENVIRONMENT\n"
         ".TP\n\\fBOPSDESK_DB\\fR\nThe store file, when \\fB\\-\\-db\\fR is not given.\n"
         ".TP\n\\fBOPSDESK_CONFIG\\fR\nThe config file, when \\fB\\-\\-config\\fR is not given.\n"
         ".TP\n\\fBOPSDESK_USER\\fR\nThe account acting, when \\fB\\-\\-as\\fR is not given (else the login name).\n"
         ".TP\n\\fBNO_COLOR\\fR\nNo colour when set and not empty.\n"
         ".TP\n\\fBCOLUMNS\\fR\nThe terminal width tables are fitted to.\n";
  out << ".SH FILES\n"
         ".TP\n\\fI~/.config/opsdesk/config.toml\\fR\nThe config (\\fBopsdesk init\\fR writes a commented one).\n"
         ".TP\n\\fI~/.local/share/opsdesk/opsdesk.db\\fR\nThe store (SQLite), created 0600.\n";
  out << ".SH EXIT STATUS\n";
  for (const auto& e : k_exit_statuses) out << ".TP\n\\fB" << e.code << "\\fR\n" << roff(e.meaning) << '\n';
  out << ".SH SEE ALSO\n";
  std::vector<std::string> pages;
  for (auto* group : visible_subcommands(&app))
    if (!visible_subcommands(group).empty()) pages.push_back("\\fBopsdesk\\-" + roff(group->get_name()) + "\\fR(1)");
  out << core::join(pages, ",\n") << '\n';
}

void write_file(const fs::path& path, const std::function<void(std::ostream&)>& body) {
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file) throw Error(ErrorKind::io, fmt::format("cannot write {}", path.string()));
  body(file);
  file.flush();
  if (!file) throw Error(ErrorKind::io, fmt::format("cannot write {}", path.string()));
}

}  // namespace

void add_describe_commands(CLI::App& app, Runtime& rt) {
  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand(
      "completion", "Print the shell completion script: source <(opsdesk completion bash), or see the README");
  choices(completion->add_option("shell", *shell, "The shell")->required(), std::vector<std::string>{"bash", "zsh", "fish"});
  completion->callback([&rt, shell] {
    if (*shell == "bash") rt.out() << k_bash;
    else if (*shell == "zsh") rt.out() << k_zsh;
    else if (*shell == "fish") rt.out() << k_fish;
    else model::throw_unknown("shell", *shell, {"bash", "zsh", "fish"});
  });

  // `opsdesk __complete -- WORD...`: the words after "opsdesk", the last one being typed.
  auto words = std::make_shared<std::vector<std::string>>();
  auto* complete_cmd = app.add_subcommand("__complete", "Candidates for the last word (for the completion scripts)");
  complete_cmd->group("");
  complete_cmd->add_option("words", *words, "The words typed so far");
  complete_cmd->callback([&app, &rt, words] {
    for (const auto& c : complete(app, rt, *words))
      rt.out() << c.word << (c.help.empty() ? "" : "\t" + c.help) << '\n';
  });

  auto dir = std::make_shared<std::string>();
  auto* man = app.add_subcommand("__man", "Write the man pages into a directory (at build time)");
  man->group("");
  man->add_option("dir", *dir, "The directory")->required();
  man->callback([&app, dir] {
    const fs::path folder(*dir);
    fs::create_directories(folder);
    write_file(folder / "opsdesk.1", [&](std::ostream& out) { write_main_page(out, app); });
    for (auto* group : visible_subcommands(&app))
      if (!visible_subcommands(group).empty())
        write_file(folder / fmt::format("opsdesk-{}.1", group->get_name()),
                   [&](std::ostream& out) { write_group_page(out, group); });
  });
}

bool describes_whole_tree(std::string_view command) { return command == "__complete" || command == "__man"; }

}  // namespace opsdesk::cli
