// Benchmark data: fill a store with N tickets and their events, or write N tickets as JSONL
// for `ticket import`. Deterministic (fixed seed) so runs compare.
//   opsdesk-bench-gen store PATH N     a store file (created; must not exist)
//   opsdesk-bench-gen jsonl N          JSONL on stdout
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "audit/audit.hpp"
#include "config/config.hpp"
#include "sla/sla.hpp"
#include "ticket/clocks.hpp"
#include "core/time.hpp"
#include "model/vocabulary.hpp"
#include "store/db.hpp"
#include "store/store.hpp"

namespace {

using namespace opsdesk;

constexpr std::array k_systems = {"erp", "mail", "crm", "fileserver", "network", "db", "web", "hr"};
constexpr std::array k_types = {"incident", "incident", "incident", "incident", "request", "request", "problem",
                                "change", "complaint", "consult", "inspection", "release"};
constexpr std::array k_prefix = {"INC", "INC", "INC", "INC", "REQ", "REQ", "PRB", "CHG", "CMP", "CON", "INS", "REL"};
constexpr std::array k_priorities = {"urgent", "high", "medium", "medium", "low", "low"};
constexpr std::array k_people = {"wang", "li", "zhang", "zhao", "sun"};

struct Made {
  std::string ref, type, prefix, priority, system, assignee, status, title;
  core::Timestamp created, acked, resolved, closed;
  int year;
  std::int64_t seq;
};

// Ticket i of n: spread over three years up to `end`; the newest 3% still open.
Made make(std::mt19937_64& rng, std::int64_t i, std::int64_t n, core::Timestamp end,
          std::map<std::pair<std::string, int>, std::int64_t>& counters) {
  Made m;
  const auto span = 3 * 365 * 86400LL;
  m.created = end - span + span * i / n + static_cast<core::Timestamp>(rng() % 3600);
  const auto t = rng() % k_types.size();
  m.type = k_types[t];
  m.prefix = k_prefix[t];
  m.priority = k_priorities[rng() % k_priorities.size()];
  m.system = k_systems[rng() % k_systems.size()];
  m.assignee = k_people[rng() % k_people.size()];
  m.year = core::to_utc(m.created).year;
  m.seq = ++counters[{m.prefix, m.year}];
  m.ref = fmt::format("{}-{}-{:06}", m.prefix, m.year, m.seq);
  m.title = fmt::format("{} trouble #{} on {}", m.type, i, m.system);
  m.acked = m.created + 300 + static_cast<core::Timestamp>(rng() % 1800);
  m.resolved = m.acked + 1800 + static_cast<core::Timestamp>(rng() % 30000);
  m.closed = m.resolved + 86400;
  const bool open = i >= n - n * 3 / 100;
  m.status = open ? (rng() % 2 ? "new" : "in_progress") : "closed";
  return m;
}

int make_store(const std::string& path, std::int64_t n) {
  auto db = store::open_store({path, true, std::chrono::milliseconds(10000)});
  db->exec("PRAGMA synchronous = OFF");
  store::Transaction tx(*db, true);
  const core::Timestamp end = 1795588200;  // 2026-11-25T06:30:00Z
  db->run("INSERT INTO accounts (name, role, created_at, updated_at) VALUES ('wang', 'admin', ?, ?)", end, end);
  for (const auto* p : k_people)
    db->run("INSERT OR IGNORE INTO accounts (name, role, created_at, updated_at) VALUES (?, 'engineer', ?, ?)", p, end, end);
  audit::append(*db, end, "wang", "account.bootstrap", "account:wang", std::nullopt, "{}");
  std::mt19937_64 rng(42);
  std::map<std::pair<std::string, int>, std::int64_t> counters;
  const config::Config config;
  const auto policy = ticket::sla_policy(config);
  for (std::int64_t i = 0; i < n; ++i) {
    const Made m = make(rng, i, n, end, counters);
    const bool open = m.status != "closed";
    const bool acked = !open || m.status == "in_progress";
    const auto id = db->one_int(
        "INSERT INTO tickets (ref, type, title, description, status, priority, system, category, channel, reporter, "
        "assignee, created_at, acknowledged_at, resolved_at, closed_at, updated_at, resolution) "
        "VALUES (?, ?, ?, '', ?, ?, ?, NULL, 'phone', NULL, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        m.ref, m.type, m.title, m.status, m.priority, m.system, m.assignee, m.created,
        acked ? std::optional(m.acked) : std::nullopt, open ? std::nullopt : std::optional(m.resolved),
        open ? std::nullopt : std::optional(m.closed), open ? m.acked : m.closed,
        open ? std::nullopt : std::optional<std::string>("fixed"));
    auto event = [&](core::Timestamp at, const char* kind, const char* from, const char* to) {
      db->run("INSERT INTO ticket_events (ticket_id, at, recorded_at, actor, kind, from_status, to_status) "
              "VALUES (?, ?, ?, ?, ?, ?, ?)",
              *id, at, at, m.assignee, kind, from, to);
    };
    event(m.created, "created", nullptr, "new");
    if (acked) event(m.acked, "acknowledged", "new", "acknowledged");
    if (m.status == "in_progress") event(m.acked + 60, "started", "acknowledged", "in_progress");
    if (!open) {
      event(m.resolved, "resolved", "acknowledged", "resolved");
      event(m.closed, "closed", "resolved", "closed");
    }
    // The SLA clocks, as the desk keeps them.
    const auto type = *model::from_name<model::TicketType>(m.type);
    if (!ticket::has_clocks(config, type)) continue;
    sla::History h;
    h.created_at = m.created;
    h.priority = *model::from_name<model::Priority>(m.priority);
    if (acked) h.marks.push_back({m.acked, sla::Mark::Kind::acknowledged, h.priority, 0});
    if (!open) h.marks.push_back({m.resolved, sla::Mark::Kind::resolved, h.priority, 0});
    bool breached = false;
    for (const auto& c : sla::evaluate(h, policy, end)) {
      breached = breached || c.breached_at.has_value();
      db->run("INSERT INTO ticket_sla (ticket_id, clock, state, start_at, target, elapsed, paused, stopped_at, deadline, "
              "warn_at, breached_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
              *id, sla::clock_name(c.clock), sla::state_name(c.state), c.start, c.target, c.elapsed, c.paused,
              c.stopped_at, c.deadline, c.warn_at, c.breached_at);
    }
    if (breached) db->run("UPDATE tickets SET sla_breached = 1 WHERE id = ?", *id);
  }
  for (const auto& [key, last] : counters)
    db->run("INSERT INTO ticket_counters (prefix, year, last) VALUES (?, ?, ?)", key.first, key.second, last);
  tx.commit();
  db->exec("PRAGMA synchronous = FULL; PRAGMA wal_checkpoint(TRUNCATE)");
  return 0;
}

int make_jsonl(std::int64_t n) {
  std::mt19937_64 rng(7);
  std::map<std::pair<std::string, int>, std::int64_t> counters;
  const core::Timestamp end = 1795588200;
  std::string line;
  for (std::int64_t i = 0; i < n; ++i) {
    const Made m = make(rng, i, n, end, counters);
    const auto t = [](core::Timestamp x) { return core::format_rfc3339(x); };
    line = fmt::format(
        R"({{"ref":"{}","type":"{}","title":"{}","description":"","status":"closed","priority":"{}","system":"{}",)"
        R"("category":null,"channel":"phone","reporter":null,"assignee":"{}","created_at":"{}","acknowledged_at":"{}",)"
        R"("resolved_at":"{}","closed_at":"{}","updated_at":"{}","pending_reason":null,"resolution":"fixed","events":[)"
        R"({{"at":"{}","recorded_at":"{}","actor":"{}","kind":"created","from":null,"to":"new","text":null,"data":null}},)"
        R"({{"at":"{}","recorded_at":"{}","actor":"{}","kind":"acknowledged","from":"new","to":"acknowledged","text":null,"data":null}},)"
        R"({{"at":"{}","recorded_at":"{}","actor":"{}","kind":"resolved","from":"acknowledged","to":"resolved","text":"fixed","data":null}},)"
        R"({{"at":"{}","recorded_at":"{}","actor":"{}","kind":"closed","from":"resolved","to":"closed","text":null,"data":null}}]}})"
        "\n",
        m.ref, m.type, m.title, m.priority, m.system, m.assignee, t(m.created), t(m.acked), t(m.resolved), t(m.closed),
        t(m.closed), t(m.created), t(m.created), m.assignee, t(m.acked), t(m.acked), m.assignee, t(m.resolved),
        t(m.resolved), m.assignee, t(m.closed), t(m.closed), m.assignee);
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "store" && argc == 4) return make_store(argv[2], std::atoll(argv[3]));
  if (mode == "jsonl" && argc == 3) return make_jsonl(std::atoll(argv[2]));
  std::cerr << "usage: opsdesk-bench-gen store PATH N | jsonl N\n";
  return 64;
}
