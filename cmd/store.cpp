// opsdesk store copy: move a desk between a SQLite file and a PostgreSQL database, either way.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "audit/audit.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"
#include "output/progress.hpp"
#include "output/table.hpp"
#include "store/copy.hpp"
#include "store/postgres.hpp"
#include "store/store.hpp"

namespace opsdesk::cli {

namespace {

// The JSON of a copy, also the sample the --json FIELDS are checked against before any work.
output::Json copy_json(const std::string& from, const std::string& to, const std::vector<store::TableCount>& counts,
                       std::int64_t audited) {
  std::int64_t rows = 0;
  output::Json tables = output::Json::object();
  for (const auto& c : counts) {
    rows += c.rows;
    tables[c.table] = c.rows;
  }
  return output::Json{{"from", from}, {"to", to}, {"tables", tables}, {"rows", rows}, {"audit_entries", audited}};
}

struct CopyOptions {
  std::string from, to;
  OutputOptions out;
};

// A SQLite file this command made is removed again when the copy fails.
void remove_new_file(const std::filesystem::path& path) {
  std::error_code ec;
  for (const auto* suffix : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(path.string() + suffix, ec);
}

}  // namespace

void add_store_command(CLI::App& app, Runtime& rt) {
  auto* cmd = app.add_subcommand("store", "Move the desk between stores (a SQLite file, a PostgreSQL database)");
  cmd->require_subcommand(1);

  auto o = std::make_shared<CopyOptions>();
  auto* copy = cmd->add_subcommand(
      "copy", "Copy the whole desk into a new, empty store; verified by row counts and the audit chain before it commits");
  copy->add_option("--from", o->from, "The store to copy: a file or postgresql:// URL (default: the current store)");
  copy->add_option("--to", o->to, "The new store: a file or postgresql:// URL (empty database)")->required();
  add_json_option(copy, o->out);
  copy->callback([&rt, o] {
    output::check_fields(copy_json({}, {}, {}, 0), chosen_fields(o->out));  // before any work
    if (!o->from.empty()) rt.globals.db = o->from;
    const auto source = rt.store_options(false);
    auto target = rt.store_options(true);
    target.path = store::is_postgres_url(o->to) ? std::filesystem::path(o->to) : core::expand_home(o->to);
    if (target.path == source.path)
      throw Error(ErrorKind::usage, fmt::format("--to {} is the store being copied; name a new one", o->to));
    if (!store::store_exists(source))
      throw Error(ErrorKind::not_found, fmt::format("no store at {} to copy", source.path.string()));
    const bool postgres = store::is_postgres_url(target.path.string());
    const bool new_file = !postgres && !store::store_exists(target);

    std::vector<store::TableCount> counts;
    std::int64_t audited = 0;
    std::string from_name, to_name;
    rt.read("account.manage", [&](desk::Session& s) {
      from_name = s.db.path().string();
      const output::Activity activity(std::cerr, rt.term().stderr_tty && o->out.format != "json",
                                      "copying to " + (postgres ? store::redact_url(o->to) : target.path.string()));
      try {
        auto to = store::open_store(target);
        to_name = to->path().string();
        counts = store::copy_desk(s.db, *to, [&](store::Db& written) {
          const auto v = audit::verify(written);
          if (!v.ok())
            throw Error(ErrorKind::failed, fmt::format("the audit chain does not verify in the copy at entry {}: {}; "
                                                       "nothing was written",
                                                       *v.first_bad, v.problem));
          audited = v.checked;
        });
      } catch (...) {
        if (new_file) remove_new_file(target.path);
        throw;
      }
    });

    const auto j = copy_json(from_name, to_name, counts, audited);
    print_object(rt, o->out, j, [&] {
      output::Table table({{"TABLE"}, {"ROWS", true}});
      for (const auto& c : counts)
        if (c.rows > 0) table.add({{c.table}, {core::format_count(static_cast<std::uint64_t>(c.rows))}});
      table.render(rt.out(), rt.term());
      rt.out() << fmt::format("copied {} rows from {} to {}; counts match, audit chain verified ({} entries)\n",
                              core::format_count(j["rows"].get<std::uint64_t>()), from_name, to_name, audited);
    });
  });
}

}  // namespace opsdesk::cli
