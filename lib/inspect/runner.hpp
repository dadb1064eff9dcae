#pragma once
// Running checks: plugin commands by argv (no shell unless asked) with their output capped at
// 4 KB and killed at their timeout, built-in probes guarded by the same timeout, retries, and
// several checks at once.
#include <functional>
#include <vector>

#include "config/config.hpp"
#include "inspect/probe.hpp"
#include "inspect/result.hpp"

namespace opsdesk::inspect {

// Run one Nagios-plugin command check once.
Result run_command(const config::Config::Check& check);

// Run one check with its retries and timeout.
Result run_check(const config::Config::Check& check, const ProbeContext& context);

// Run `checks`, at most `parallel` at a time; results in the order of `checks`.
// `progress` (if set) is called after each check finishes, from the calling thread's view
// of the count done.
std::vector<Result> run_checks(const std::vector<config::Config::Check>& checks, int parallel,
                               const ProbeContext& context, const std::function<void(std::size_t)>& progress = {});

}  // namespace opsdesk::inspect
