// Reading [backup] and [[backup.targets]].
#include <fmt/format.h>

#include <set>

#include "config/config.hpp"
#include "config/reader.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"

namespace opsdesk::config {

namespace {

void read_retention(Section& s, Config::Retention& r) {
  auto count = [&](std::string_view key, int& out) {
    if (auto v = s.integer(key, 0, 100000)) out = static_cast<int>(*v);
  };
  count("keep_last", r.keep_last);
  count("keep_hourly", r.keep_hourly);
  count("keep_daily", r.keep_daily);
  count("keep_weekly", r.keep_weekly);
  count("keep_monthly", r.keep_monthly);
  count("keep_yearly", r.keep_yearly);
  if (auto v = s.duration("keep_within")) r.keep_within = *v;
}

bool valid_name(const std::string& name) {
  return !name.empty() && name.size() <= 64 && name.front() != '.' && name.front() != '-' &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
         });
}

void read_target(Section& s, Config::BackupTarget& t) {
  t.name = s.string("name").value_or("");
  if (!valid_name(t.name))
    s.fail("name", fmt::format("\"{}\"; expected 1-64 letters, digits, '.', '_' or '-' (it names files)", t.name));
  s.rename(fmt::format("backup.targets[\"{}\"]", t.name));
  const auto kind = s.one_of("kind", {"sqlite", "files", "command", "postgres"});
  if (!kind) s.fail("kind", "missing; expected one of sqlite, files, command, postgres");
  t.kind = *kind;
  t.system = s.string("system").value_or("");
  t.repository = s.string("repository").value_or("");
  if (auto v = s.boolean("encrypt")) t.encrypt = *v;
  t.key_file = s.string("key_file").value_or("");
  if (auto v = s.duration("timeout")) t.timeout = *v;
  if (auto v = s.integer("compression_level", 1, 19)) t.compression_level = static_cast<int>(*v);
  s.table("retention", [&](Section& r) {
    t.retention = Config::Retention{};
    read_retention(r, *t.retention);
  });
  if (t.kind == "sqlite") {
    t.path = s.string("path").value_or("");
    if (t.path.empty()) s.fail("path", "missing; a sqlite target needs the database's path");
  } else if (t.kind == "files") {
    if (auto v = s.strings("paths")) t.paths = *v;
    if (auto v = s.strings("exclude")) t.exclude = *v;
    if (t.paths.empty()) s.fail("paths", "missing; a files target needs paths = [\"/etc/app\", ...]");
  } else if (t.kind == "postgres") {
    t.url = postgres_url(s, "url").value_or("");
    if (t.url.empty()) s.fail("url", "missing; a postgres target needs url = \"postgresql://backup@db.example/erp\"");
  } else {
    if (auto v = s.strings("argv")) t.argv = *v;
    if (t.argv.empty()) s.fail("argv", "missing; a command target needs argv = [\"pg_dump\", \"-Fc\", \"erp\"]");
  }
}

}  // namespace

void read_backup(Section& s, Config::Backup& b) {
  b.repository = s.string("repository").value_or("");
  if (auto v = s.integer("compression_level", 1, 19)) b.compression_level = static_cast<int>(*v);
  if (auto v = s.integer("threads", 0, 64)) b.threads = static_cast<int>(*v);
  b.key_file = s.string("key_file").value_or("");
  if (auto v = s.duration("timeout")) b.timeout = *v;
  if (auto v = s.integer("memory_snapshot_limit", 0, std::int64_t{1} << 40)) b.memory_snapshot_limit = *v;
  if (auto v = s.strings("restore_roots")) {
    for (const auto& root : *v)
      if (!core::expand_home(root).is_absolute())
        s.fail("restore_roots", fmt::format("\"{}\" is not an absolute path (or ~/...)", root));
    b.restore_roots = *v;
  }
  s.table("retention", [&](Section& r) { read_retention(r, b.retention); });
  std::set<std::string> names;
  s.tables("targets", [&](Section& t, std::size_t) {
    Config::BackupTarget target;
    read_target(t, target);
    if (!names.insert(target.name).second) t.fail("name", fmt::format("\"{}\"; another target has that name", target.name));
    b.targets.push_back(std::move(target));
  });
}

}  // namespace opsdesk::config
