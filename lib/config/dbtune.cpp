// Reading [dbtune] and [[dbtune.targets]].
#include <fmt/format.h>

#include <set>

#include "config/config.hpp"
#include "config/reader.hpp"

namespace opsdesk::config {

namespace {

void read_thresholds(Section& s, Config::DbtuneThresholds& t) {
  if (auto v = s.number("vacuum_slack_percent", 0, 100)) t.vacuum_slack_percent = *v;
  if (auto v = s.integer("vacuum_min_bytes", 0, std::int64_t{1} << 50)) t.vacuum_min_bytes = *v;
  if (auto v = s.number("stale_stats_percent", 0, 1e6)) t.stale_stats_percent = *v;
  if (auto v = s.integer("huge_table_rows", 1, std::int64_t{1} << 62)) t.huge_table_rows = *v;
  if (auto v = s.number("huge_table_share", 0, 100)) t.huge_table_share = *v;
}

void check_patterns(Section& s, const std::vector<std::string>& patterns) {
  for (const auto& p : patterns)
    if (p.empty() || p.find_first_not_of('*') == std::string::npos)
      s.fail("temp_patterns", fmt::format("\"{}\"; a pattern needs a fixed part (\"tmp_*\", \"*_bak_YYYYMMDD\")", p));
}

}  // namespace

void read_dbtune(Section& s, Config::Dbtune& d) {
  if (auto v = s.strings("temp_patterns")) {
    check_patterns(s, *v);
    d.temp_patterns = *v;
  }
  read_thresholds(s, d.thresholds);
  if (auto v = s.duration("timeout")) d.timeout = *v;
  if (auto v = s.integer("sample_rows", 1000, 100'000'000)) d.sample_rows = *v;
  if (auto v = s.duration("archive_keep")) {
    if (*v <= 0) s.fail("archive_keep", "expected a duration above 0");
    d.archive_keep = *v;
  }
  std::set<std::string> names;
  s.tables("targets", [&](Section& t, std::size_t) {
    Config::DbtuneTarget target;
    target.name = t.string("name").value_or("");
    if (target.name.empty() || target.name.size() > 64 || target.name.find('/') != std::string::npos)
      t.fail("name", fmt::format("\"{}\"; expected 1-64 characters without '/'", target.name));
    t.rename(fmt::format("dbtune.targets[\"{}\"]", target.name));
    if (!names.insert(target.name).second) t.fail("name", fmt::format("\"{}\"; another target has that name", target.name));
    target.system = t.string("system").value_or("");
    target.path = t.string("path").value_or("");
    if (target.path.empty()) t.fail("path", "missing; a target needs the SQLite database's path");
    if (auto v = t.strings("temp_patterns")) {
      check_patterns(t, *v);
      target.temp_patterns = *v;
    }
    Config::DbtuneThresholds th = d.thresholds;
    bool any = false;
    t.table("thresholds", [&](Section& x) {
      read_thresholds(x, th);
      any = true;
    });
    if (any) target.thresholds = th;
    d.targets.push_back(std::move(target));
  });
}

}  // namespace opsdesk::config
