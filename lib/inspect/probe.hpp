#pragma once
// The built-in checks: each measures in-process (statvfs, /proc, sockets, OpenSSL, SQLite, libpq),
// without forking helper programs, and the thresholds judge the chosen metric.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "inspect/result.hpp"

namespace opsdesk::inspect {

struct Metric {
  std::string name;
  double value = 0;
  std::string uom;
  std::optional<double> min;
  std::optional<double> max;
};

// What a probe found. A failure that decides the state by itself (connection refused,
// integrity check failed) sets `forced`.
struct Measurement {
  std::optional<State> forced;
  // The judged metric does not apply here (a primary has no replication lag): its thresholds
  // are not judged, and its absence is no UNKNOWN.
  bool not_applicable = false;
  std::string what;  // the summary after "DISK OK - "
  std::vector<Metric> metrics;
  std::string long_output;
};

// A process as a process check sees it.
struct ProcessInfo {
  int pid = 0;
  std::string comm;
  std::string cmdline;  // arguments joined by spaces
};
// Every process but this one, read from /proc.
std::vector<ProcessInfo> list_processes();

struct ProbeContext {
  core::Timestamp now = 0;
  // The process table, read once per run when some check needs it (process checks).
  std::shared_ptr<const std::vector<ProcessInfo>> processes;
  // When each backup target was last verified restorable (for backup_freshness), read from
  // the store before the run; a target missing here has no verified backup.
  std::map<std::string, core::Timestamp> last_verified;
};

// Measure `check` (any type but command).
Measurement measure(const config::Config::Check& check, const ProbeContext& context);

// Turn a measurement into a result: a forced state wins; otherwise the critical range, then
// the warning range, judge the check's metric.
Result judge(const config::Config::Check& check, const Measurement& m);

// "12.3 GiB", "512 B".

}  // namespace opsdesk::inspect
