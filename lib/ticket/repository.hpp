#pragma once
// The SQL for tickets, their events, links and reference counters.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "store/db.hpp"
#include "ticket/ticket.hpp"

namespace opsdesk::ticket::repo {

// The SQL condition that means "open" (the partial index tickets_open uses the same words).
extern const char* const k_open_condition;

std::optional<Ticket> find(store::Db& db, std::string_view ref);
// The ticket, or Error(not_found).
Ticket get(store::Db& db, std::string_view ref);
std::int64_t insert(store::Db& db, const Ticket& ticket);
void update(store::Db& db, const Ticket& ticket);

std::int64_t add_event(store::Db& db, std::int64_t ticket_id, const Event& event);
std::vector<Event> events(store::Db& db, std::int64_t ticket_id);
// When the last status change (or the creation) happened.
std::optional<core::Timestamp> last_status_change(store::Db& db, std::int64_t ticket_id);
core::Seconds work_logged(store::Db& db, std::int64_t ticket_id);

// The next sequence number for `type` in `year` (unique: the caller holds the write lock).
std::int64_t next_sequence(store::Db& db, model::TicketType type, int year);
// Make sure later sequences of `type` in `year` come after `sequence` (after an import).
void raise_counter(store::Db& db, model::TicketType type, int year, std::int64_t sequence);

void add_link(store::Db& db, const Ticket& from, const Ticket& to, model::LinkKind kind, core::Timestamp at,
              std::string_view actor);
std::vector<Link> links(store::Db& db, std::int64_t ticket_id);

enum class SortKey { created, updated, priority, ref };

struct ListFilter {
  bool open_only = true;                // --status open (the default)
  std::vector<model::Status> statuses;  // --status a,b (open_only false)
  std::vector<model::TicketType> types;
  std::vector<model::Priority> priorities;
  std::optional<std::string> assignee;
  std::optional<std::string> system;
  std::optional<std::string> search;  // in title and description
  std::optional<core::Timestamp> since;
  std::optional<core::Timestamp> until;
  // SLA and sign-off filters, evaluated at `now`.
  bool breached = false;                       // a clock ever breached, or running past its deadline
  bool at_risk = false;                        // a running clock past its warning share, not yet due
  std::optional<core::Seconds> due_within;     // a running clock due within this
  bool unsigned_only = false;                  // resolved or closed, not signed by both parties since its last change
  core::Timestamp now = 0;
  SortKey sort = SortKey::created;
  std::int64_t limit = 0;  // 0: no limit
};

std::vector<Ticket> list(store::Db& db, const ListFilter& filter);
// Every ticket matching `filter` in creation order (by id), one at a time.
void for_each(store::Db& db, const ListFilter& filter, const std::function<void(const Ticket&)>& visit);

}  // namespace opsdesk::ticket::repo
