#pragma once
// A run's results in the formats other tools read: one Nagios plugin answer, a JUnit report,
// and the node_exporter textfile format for Prometheus.
#include <string>
#include <vector>

#include "inspect/result.hpp"

namespace opsdesk::inspect {

// "OPSDESK CRITICAL - 1 critical, 2 ok: root-disk ... | perfdata" plus a line per check.
std::string to_nagios(const std::vector<Result>& results);
std::string to_junit(const std::vector<Result>& results, core::Timestamp at);
std::string to_prometheus(const std::vector<Result>& results);

}  // namespace opsdesk::inspect
