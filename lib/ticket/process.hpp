#pragma once
// The service processes the contract names on top of the ticket lifecycle: on-site work,
// SLA extensions with the customer's consent, problems, changes and releases with their
// approval gates, satisfaction surveys and the small-development limit of requests.
#include <optional>
#include <string>
#include <vector>

#include "desk/session.hpp"
#include "ticket/ticket.hpp"

namespace opsdesk::ticket {

// On-site work: arrival stops the on-site clock and starts the mitigation clock.
Ticket record_onsite(const desk::Session& s, std::string_view ref, std::optional<core::Timestamp> arrived,
                     std::optional<core::Timestamp> mitigated);

struct Extension {
  std::int64_t id = 0;  // the number of the request on its ticket: 1, 2, ...
  core::Seconds seconds = 0;
  std::string reason;
  std::string requested_by;
  core::Timestamp requested_at = 0;
  std::string status;  // requested, approved, rejected
  std::optional<std::string> decided_by;
  std::optional<core::Timestamp> decided_at;
};
std::vector<Extension> extensions(const std::vector<Event>& events);

// Ask for more time on the resolution clock. Priorities that need the customer's consent
// (sla.extension_needs_approval) wait for it; others are granted at once.
Extension request_extension(const desk::Session& s, std::string_view ref, core::Seconds by, const std::string& reason);
// Decide the open request (or request `id`): sla.extend.approve for priorities that need consent.
Extension decide_extension(const desk::Session& s, std::string_view ref, bool approve, std::optional<std::int64_t> id);

// Change and release steps: submit, approve, reject, implement, review, release.
enum class Step { submit, approve, reject, implement, review, release };
std::string_view step_name(Step step);
// Error(failed) naming what is missing when a gate is not passed (unapproved change, a release
// whose changes are not approved, implemented and tested). An approved change's window becomes
// planned downtime of its system.
Ticket advance(const desk::Session& s, Step step, std::string_view ref, const std::optional<std::string>& note);
// A standard change: pre-approved by a permission the actor holds (`permission`, such as
// dbtune.apply) instead of an approver's decision; the approval event says so.
Ticket approve_standard(const desk::Session& s, std::string_view ref, std::string_view permission);

// Problem and change fields (`ticket set`); engaged empty strings clear.
struct ProcessFields {
  std::optional<std::string> root_cause, workaround, plan, rollback_plan, test_evidence;
  std::optional<bool> known_error;
  std::optional<model::Risk> risk;
  std::optional<std::optional<core::Timestamp>> window_start, window_end;
  std::optional<std::optional<core::Seconds>> estimate;
  bool empty() const {
    return !root_cause && !workaround && !plan && !rollback_plan && !test_evidence && !known_error && !risk &&
           !window_start && !window_end && !estimate;
  }
};
Ticket set_process_fields(const desk::Session& s, std::string_view ref, const ProcessFields& fields);

// Resolve a problem and, with `cascade`, its open incidents (linked caused-by to it).
// Returns the references resolved along with it.
std::vector<std::string> resolve_cascade(const desk::Session& s, std::string_view problem, const std::string& resolution);

// A satisfaction score 1-5 on a resolved or closed ticket (a later answer replaces it).
void survey(const desk::Session& s, std::string_view ref, int score, const std::optional<std::string>& comment);

// Whether a request's estimate or logged work passes the small-development limit.
struct WorkFlag {
  core::Seconds limit = 0;
  core::Seconds estimate = 0;
  core::Seconds logged = 0;
  bool over() const { return estimate > limit || logged > limit; }
};
std::optional<WorkFlag> work_flag(const desk::Session& s, const Ticket& ticket);

}  // namespace opsdesk::ticket
