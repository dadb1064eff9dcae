#include "backup/pgdump.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>
#include <random>

#include "core/error.hpp"
#include "core/pq.hpp"
#include "core/process.hpp"
#include "core/strings.hpp"
#include "store/postgres.hpp"

namespace opsdesk::backup {

namespace {

using core::PqConnection;

// Connecting is quick or it fails; the run's timeout (minutes) is for the dump itself.
std::chrono::seconds connect_timeout(core::Seconds timeout) { return std::chrono::seconds(std::clamp<core::Seconds>(timeout, 2, 30)); }

// Relations of the database's own schemas (pg_* and information_schema are the system's),
// leaving out other sessions' temporary tables and what extensions bring.
std::int64_t count_relations(PqConnection& db, std::string_view relkinds) {
  const auto n = db.value(fmt::format(
      "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ({}) AND c.relpersistence <> 't' AND n.nspname NOT LIKE 'pg\\_%' "
      "AND n.nspname <> 'information_schema' AND NOT EXISTS (SELECT 1 FROM pg_depend d "
      "WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')",
      relkinds));
  return n ? core::parse_int(*n).value_or(0) : 0;
}

std::int64_t count_tables(PqConnection& db) { return count_relations(db, "'r', 'p'"); }

std::string drill_name() {
  std::random_device random;
  return fmt::format("opsdesk_drill_{:08x}{:04x}", random(), random() & 0xffff);
}

void ignore(std::string_view) {}

}  // namespace

PgFacts dump_postgres(const std::string& url, core::Seconds timeout, const std::function<void(std::string_view)>& sink) {
  PqConnection db(url, connect_timeout(timeout), store::redact_url(url));
  db.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  const auto snapshot = db.value("SELECT pg_export_snapshot()");
  PgFacts facts{db.server_version(), count_tables(db)};
  // The snapshot lives while this transaction is open: until pg_dump is done.
  core::run_checked({"pg_dump", "--format=custom", "--compress=0", "--no-password", "--snapshot=" + snapshot.value_or(""),
                     "--dbname=" + url},
                    std::chrono::seconds(timeout), sink);
  db.exec("COMMIT");
  return facts;
}

std::size_t list_dump(const std::filesystem::path& dump, core::Seconds timeout) {
  std::string listing;
  core::run_checked({"pg_restore", "--list", dump.string()}, std::chrono::seconds(timeout),
                    [&](std::string_view chunk) { listing += chunk; });
  const auto lines = core::split_lines(listing);
  return static_cast<std::size_t>(std::count_if(lines.begin(), lines.end(), [](const std::string& line) {
    return !line.empty() && line.front() != ';';
  }));
}

std::int64_t drill_postgres(const std::string& url, const std::filesystem::path& dump, core::Seconds timeout) {
  const std::string label = store::redact_url(url);
  const std::string name = drill_name();
  const std::string drill_url = core::url_with_database(url, name);
  {
    PqConnection db(url, connect_timeout(timeout), label);
    const auto rows = db.rows("SELECT pg_encoding_to_char(encoding), datcollate, datctype, pg_is_in_recovery() FROM pg_database "
                              "WHERE datname = current_database()");
    if (rows.empty() || !rows[0][0] || !rows[0][1] || !rows[0][2] || !rows[0][3])
      throw Error(ErrorKind::failed, fmt::format("{} does not describe its own database", label));
    if (*rows[0][3] == "t")
      throw Error(ErrorKind::failed, fmt::format("a restore drill needs a server that can create a database, and the server of "
                                                 "{} is a standby (read-only): verify its backups without --deep, or take them "
                                                 "from the primary",
                                                 label));
    try {
      db.exec(fmt::format("CREATE DATABASE {} TEMPLATE template0 ENCODING {} LC_COLLATE {} LC_CTYPE {}", core::pq_identifier(name),
                          core::pq_literal(*rows[0][0]), core::pq_literal(*rows[0][1]), core::pq_literal(*rows[0][2])));
    } catch (const Error& e) {
      throw Error(e.kind(), fmt::format("cannot create the scratch database of the restore drill{}: {}",
                                        e.kind() == ErrorKind::permission ? " (the role needs CREATEDB)" : "", e.what()));
    }
  }
  std::optional<Error> failure;
  std::int64_t tables = 0;
  try {
    core::run_checked({"pg_restore", "--no-owner", "--exit-on-error", "--no-password", "--dbname=" + drill_url, dump.string()},
                      std::chrono::seconds(timeout), ignore);
    PqConnection drill(drill_url, connect_timeout(timeout), fmt::format("the scratch database {}", name));
    tables = count_tables(drill);
  } catch (const Error& e) {
    failure = e;
  } catch (const std::exception& e) {
    failure = Error(ErrorKind::internal, e.what());
  }
  // Always dropped, on a connection of its own (the first may have timed out meanwhile).
  try {
    PqConnection db(url, connect_timeout(timeout), label);
    db.exec(fmt::format("DROP DATABASE IF EXISTS {} WITH (FORCE)", core::pq_identifier(name)));
  } catch (const Error& e) {
    const std::string left = fmt::format("the scratch database {} was left on the server (drop it by hand): {}", name, e.what());
    failure = Error(failure ? failure->kind() : e.kind(), failure ? fmt::format("{}; {}", failure->what(), left) : left);
  }
  if (failure) throw *failure;
  return tables;
}

std::int64_t relations_in(const std::string& url, core::Seconds timeout) {
  PqConnection db(url, connect_timeout(timeout), store::redact_url(url));
  return count_relations(db, "'r', 'p', 'v', 'm', 'S', 'f'");
}

void restore_postgres(const std::string& url, const std::filesystem::path& dump, bool replace, core::Seconds timeout) {
  std::vector<std::string> args = {"pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--no-password"};
  if (replace) args.insert(args.end(), {"--clean", "--if-exists"});
  args.push_back("--dbname=" + url);
  args.push_back(dump.string());
  core::run_checked(args, std::chrono::seconds(timeout), ignore);
}

}  // namespace opsdesk::backup
