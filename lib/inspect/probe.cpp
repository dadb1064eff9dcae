#include "inspect/probe.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/pq.hpp"
#include "core/strings.hpp"
#include "inspect/net.hpp"
#include "store/db.hpp"
#include "store/postgres.hpp"

namespace opsdesk::inspect {

namespace {

Measurement failed(State s, std::string what) {
  Measurement m;
  m.forced = s;
  m.what = std::move(what);
  return m;
}

Measurement disk(const config::Config::Check& c) {
  struct statvfs st {};
  if (::statvfs(c.path.c_str(), &st) != 0) return failed(State::critical, fmt::format("{}: {}", c.path, std::strerror(errno)));
  const double total = static_cast<double>(st.f_blocks) * static_cast<double>(st.f_frsize);
  const double free = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
  const double free_pct = total > 0 ? free / total * 100.0 : 0;
  const double inodes_pct =
      st.f_files > 0 ? static_cast<double>(st.f_favail) / static_cast<double>(st.f_files) * 100.0 : 100.0;
  Measurement m;
  m.what = fmt::format("{} {} free of {} ({:.1f}%), inodes {:.1f}% free", c.path, core::format_bytes(free), core::format_bytes(total),
                       free_pct, inodes_pct);
  m.metrics = {{"free_percent", free_pct, "%", 0.0, 100.0},
               {"used_percent", 100.0 - free_pct, "%", 0.0, 100.0},
               {"free_bytes", free, "B", 0.0, total},
               {"inodes_free_percent", inodes_pct, "%", 0.0, 100.0}};
  return m;
}

Measurement load() {
  double l[3] = {0, 0, 0};
  if (::getloadavg(l, 3) != 3) return failed(State::unknown, "cannot read the load average");
  Measurement m;
  m.what = fmt::format("load average {:.2f}, {:.2f}, {:.2f} ({} CPUs)", l[0], l[1], l[2], ::sysconf(_SC_NPROCESSORS_ONLN));
  m.metrics = {{"load1", l[0], "", 0.0, std::nullopt}, {"load5", l[1], "", 0.0, std::nullopt}, {"load15", l[2], "", 0.0, std::nullopt}};
  return m;
}

Measurement memory() {
  std::ifstream in("/proc/meminfo");
  if (!in) return failed(State::unknown, "cannot read /proc/meminfo");
  double total = 0, available = 0, swap_total = 0, swap_free = 0;
  std::string key;
  double kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemTotal:") total = kb * 1024;
    else if (key == "MemAvailable:") available = kb * 1024;
    else if (key == "SwapTotal:") swap_total = kb * 1024;
    else if (key == "SwapFree:") swap_free = kb * 1024;
  }
  if (total <= 0) return failed(State::unknown, "no MemTotal in /proc/meminfo");
  const double avail_pct = available / total * 100.0;
  const double swap_used_pct = swap_total > 0 ? (swap_total - swap_free) / swap_total * 100.0 : 0.0;
  Measurement m;
  m.what = fmt::format("{} available of {} ({:.1f}%), swap {:.1f}% used", core::format_bytes(available), core::format_bytes(total),
                       avail_pct, swap_used_pct);
  m.metrics = {{"available_percent", avail_pct, "%", 0.0, 100.0},
               {"used_percent", 100.0 - avail_pct, "%", 0.0, 100.0},
               {"available_bytes", available, "B", 0.0, total},
               {"swap_used_percent", swap_used_pct, "%", 0.0, 100.0}};
  return m;
}

std::string slurp(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string out;
  char buf[4096];
  ssize_t n = 0;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  return out;
}

Measurement process(const config::Config::Check& c, const ProbeContext& ctx) {
  const auto table = ctx.processes ? ctx.processes : std::make_shared<const std::vector<ProcessInfo>>(list_processes());
  int count = 0;
  for (const auto& p : *table) {
    if (!c.process_name.empty() && p.comm != c.process_name) {
      // comm is cut at 15 characters; compare the program's own name too.
      const auto first = p.cmdline.substr(0, p.cmdline.find(' '));
      const auto slash = first.rfind('/');
      if ((slash == std::string::npos ? first : first.substr(slash + 1)) != c.process_name) continue;
    }
    if (!c.process_args.empty() && p.cmdline.find(c.process_args) == std::string::npos) continue;
    ++count;
  }
  Measurement m;
  const std::string which = !c.process_name.empty() ? fmt::format("named '{}'", c.process_name)
                                                     : fmt::format("with args '{}'", c.process_args);
  m.what = fmt::format("{} process{} {}", count, count == 1 ? "" : "es", which);
  m.metrics = {{"count", static_cast<double>(count), "", 0.0, std::nullopt}};
  return m;
}

Measurement file_age(const config::Config::Check& c, core::Timestamp now) {
  glob_t g{};
  const int rc = ::glob(c.path.c_str(), GLOB_NOSORT, nullptr, &g);
  if (rc != 0) {
    ::globfree(&g);
    return failed(State::critical, fmt::format("no file matches {}", c.path));
  }
  std::string newest;
  struct stat best {};
  for (std::size_t i = 0; i < g.gl_pathc; ++i) {
    struct stat st {};
    if (::stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode)) continue;
    if (newest.empty() || st.st_mtime > best.st_mtime) {
      newest = g.gl_pathv[i];
      best = st;
    }
  }
  ::globfree(&g);
  if (newest.empty()) return failed(State::critical, fmt::format("no regular file matches {}", c.path));
  const double age = static_cast<double>(now - best.st_mtime);
  Measurement m;
  m.what = fmt::format("{} is {} old, {}", newest, core::format_duration(static_cast<core::Seconds>(std::max(0.0, age))),
                       core::format_bytes(static_cast<double>(best.st_size)));
  m.metrics = {{"age", age, "s", 0.0, std::nullopt}, {"size", static_cast<double>(best.st_size), "B", 0.0, std::nullopt}};
  return m;
}

Measurement sqlite(const config::Config::Check& c) {
  struct stat st {};
  if (::stat(c.path.c_str(), &st) != 0) return failed(State::critical, fmt::format("{}: {}", c.path, std::strerror(errno)));
  try {
    store::SqliteDb db(c.path, store::Mode::read_only, std::chrono::milliseconds(2000));
    db.exec("PRAGMA query_only = ON");
    Measurement m;
    if (c.integrity != "none") {
      const bool full = c.integrity == "full";
      if (full) db.exec("PRAGMA cache_size = -262144; PRAGMA mmap_size = 2147418112");
      std::vector<std::string> problems;
      auto q = db.query(full ? "PRAGMA integrity_check(20)" : "PRAGMA quick_check(20)");
      while (q.next()) problems.push_back(q.text(0));
      if (problems.size() != 1 || problems[0] != "ok") {
        auto f = failed(State::critical, fmt::format("{}: {} check failed: {}", c.path, full ? "integrity" : "quick",
                                                     problems.empty() ? "no answer" : problems[0]));
        f.long_output = core::join(problems, "\n");
        return f;
      }
    }
    const double pages = static_cast<double>(db.one_int("PRAGMA page_count").value_or(0));
    const double page_size = static_cast<double>(db.one_int("PRAGMA page_size").value_or(0));
    const double freelist = static_cast<double>(db.one_int("PRAGMA freelist_count").value_or(0));
    const double ratio = pages > 0 ? freelist / pages : 0;
    m.what = fmt::format("{} {}, {:.1f}% free pages{}", c.path, core::format_bytes(pages * page_size), ratio * 100,
                         c.integrity == "none" ? "" : ", " + c.integrity + " check ok");
    m.metrics = {{"size", pages * page_size, "B", 0.0, std::nullopt}, {"freelist_ratio", ratio, "", 0.0, 1.0}};
    if (!c.query.empty()) {
      auto q = db.query(c.query);
      if (!q.next() || q.is_null(0)) return failed(State::unknown, fmt::format("the query returned no value: {}", c.query));
      const double v = q.real(0);
      m.metrics.push_back({"value", v, "", std::nullopt, std::nullopt});
      m.what += fmt::format(", query value {}", v);
    }
    return m;
  } catch (const Error& e) {
    return failed(State::critical, fmt::format("{}: {}", c.path, e.what()));
  }
}

// A PostgreSQL server through one database: its size, whether it is a standby and, on one, how
// long ago the last replayed transaction was committed (on a quiet primary that grows too).
Measurement postgres(const config::Config::Check& c) {
  const std::string where = store::redact_url(c.url);
  try {
    core::PqConnection db(c.url, std::chrono::seconds(c.timeout), where);
    db.exec(fmt::format("SET statement_timeout = {}", c.timeout * 1000));
    const auto rows = db.rows(
        "SELECT current_database(), pg_database_size(current_database()), pg_is_in_recovery(), "
        "extract(epoch FROM now() - pg_last_xact_replay_timestamp())");
    if (rows.empty() || !rows[0][1] || !rows[0][2]) return failed(State::unknown, fmt::format("{}: no answer", where));
    const auto& row = rows[0];
    const double size = std::strtod(row[1]->c_str(), nullptr);
    const bool standby = *row[2] == "t";
    Measurement m;
    m.metrics = {{"size", size, "B", 0.0, std::nullopt}};
    std::string role = "primary";
    if (standby && row[3]) {
      const double lag = std::max(0.0, std::round(std::strtod(row[3]->c_str(), nullptr) * 1000) / 1000);  // to the ms
      m.metrics.push_back({"lag", lag, "s", 0.0, std::nullopt});
      role = fmt::format("standby, replay lag {}", core::format_duration(static_cast<core::Seconds>(lag)));
    } else if (standby) {
      role = "standby, no transaction replayed yet (lag unknown)";
    } else {
      m.not_applicable = c.metric == "lag";
    }
    const std::string version = db.server_version();
    m.what = fmt::format("{} (PostgreSQL {}) {}, {}", row[0].value_or("?"), version.substr(0, version.find(' ')),
                         core::format_bytes(size), role);
    return m;
  } catch (const Error& e) {
    return failed(State::critical, e.what());
  }
}

Measurement backup_freshness(const config::Config::Check& c, const ProbeContext& ctx) {
  const auto it = ctx.last_verified.find(c.target);
  if (it == ctx.last_verified.end())
    return failed(State::critical, fmt::format("no verified backup of {} is known", c.target));
  const auto age = std::optional<core::Seconds>(ctx.now - it->second);
  Measurement m;
  m.what = fmt::format("the last verified backup of {} is {} old", c.target, core::format_duration(*age));
  m.metrics = {{"age", static_cast<double>(*age), "s", 0.0, std::nullopt}};
  return m;
}

std::string upper(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
  return s;
}

}  // namespace

std::vector<ProcessInfo> list_processes() {
  std::vector<ProcessInfo> out;
  DIR* dir = ::opendir("/proc");
  if (!dir) return out;
  const auto self = ::getpid();
  while (const dirent* e = ::readdir(dir)) {
    const auto pid = core::parse_int(e->d_name);
    if (!pid || *pid == self) continue;
    const std::string base = std::string("/proc/") + e->d_name;
    ProcessInfo p;
    p.pid = static_cast<int>(*pid);
    p.comm = slurp(base + "/comm");
    while (!p.comm.empty() && p.comm.back() == '\n') p.comm.pop_back();
    if (p.comm.empty()) continue;  // gone meanwhile
    p.cmdline = slurp(base + "/cmdline");
    std::replace(p.cmdline.begin(), p.cmdline.end(), '\0', ' ');
    while (!p.cmdline.empty() && p.cmdline.back() == ' ') p.cmdline.pop_back();
    out.push_back(std::move(p));
  }
  ::closedir(dir);
  return out;
}

Measurement measure(const config::Config::Check& c, const ProbeContext& ctx) {
  if (c.type == "disk") return disk(c);
  if (c.type == "load") return load();
  if (c.type == "memory") return memory();
  if (c.type == "process") return process(c, ctx);
  if (c.type == "file_age") return file_age(c, ctx.now);
  if (c.type == "sqlite") return sqlite(c);
  if (c.type == "postgres") return postgres(c);
  if (c.type == "backup_freshness") return backup_freshness(c, ctx);
  if (c.type == "tcp") return probe_tcp(c);
  if (c.type == "http") return probe_http(c);
  if (c.type == "certificate") return probe_certificate(c, ctx.now);
  return failed(State::unknown, fmt::format("unknown check type {}", c.type));
}

Result judge(const config::Config::Check& c, const Measurement& m) {
  Result r;
  r.check = c.name;
  r.system = c.system;
  r.type = c.type;
  r.long_output = m.long_output;
  State s = State::ok;
  const Metric* judged = nullptr;
  for (const auto& metric : m.metrics)
    if (metric.name == c.metric) judged = &metric;
  if (m.forced) {
    s = *m.forced;
  } else if (m.not_applicable) {
    s = State::ok;
  } else if (judged) {
    if (c.critical && c.critical->alerts(judged->value)) s = State::critical;
    else if (c.warning && c.warning->alerts(judged->value)) s = State::warning;
  } else if (c.warning || c.critical) {
    s = State::unknown;
  }
  // Certificates: an expired one is critical whatever the thresholds say.
  if (c.type == "certificate" && judged && judged->value < 0) s = State::critical;
  r.state = s;
  r.summary = fmt::format("{} {} - {}", upper(c.type == "file_age" ? "file" : c.type), state_name(s), m.what);
  for (const auto& metric : m.metrics) {
    Perfdatum p{metric.name, metric.value, metric.uom, "", "", metric.min, metric.max};
    if (judged == &metric) {
      p.warn = c.warning ? c.warning->text : "";
      p.crit = c.critical ? c.critical->text : "";
    }
    r.perfdata.push_back(std::move(p));
  }
  return r;
}

}  // namespace opsdesk::inspect
