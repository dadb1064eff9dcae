#include "ticket/transfer.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <array>
#include <simdjson.h>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/strings.hpp"
#include "ticket/clocks.hpp"
#include "ticket/json.hpp"
#include "ticket/reference.hpp"
#include "ticket/service.hpp"

namespace opsdesk::ticket {

namespace {

using output::Json;

const std::vector<std::string_view>& export_keys() {
  static const std::vector<std::string_view> k_keys = {
      "ref",        "type",       "title",           "description", "status",    "priority",
      "system",     "category",   "channel",         "reporter",    "assignee",  "created_at",
      "acknowledged_at", "resolved_at", "closed_at", "updated_at",  "pending_reason", "resolution",
      "root_cause", "workaround", "known_error", "risk", "plan", "rollback_plan", "test_evidence", "window_start",
      "window_end", "estimate", "events"};
  return k_keys;
}

constexpr std::array<std::string_view, 8> k_event_keys = {"at", "recorded_at", "actor", "kind", "from", "to", "text", "data"};

namespace sj = simdjson::dom;

// Reads one record's fields and reports problems as "origin:line: field "x": ...".
class RecordReader {
 public:
  // `prefix` names where a nested record sits ("events[2].").
  RecordReader(sj::object record, std::string_view origin, std::size_t line, core::Timestamp now,
               std::string prefix = "")
      : m_record(record), m_origin(origin), m_line(line), m_now(now), m_prefix(std::move(prefix)) {}

  [[noreturn]] void fail(std::string_view field, const std::string& message) const {
    throw Error(ErrorKind::data, fmt::format("{}:{}: field \"{}{}\": {}", m_origin, m_line, m_prefix, field, message));
  }

  // Every key must be one of `allowed`.
  template <typename Keys>
  void check_keys(const Keys& allowed) const {
    for (const auto field : m_record) {
      if (std::find(allowed.begin(), allowed.end(), field.key) == allowed.end())
        fail(field.key, fmt::format("unknown field; expected {}", join_keys(allowed)));
    }
  }

  // The value of `key`, or nullopt when it is missing or null.
  std::optional<sj::element> get(std::string_view key) const {
    sj::element v;
    if (m_record.at_key(key).get(v) != simdjson::SUCCESS || v.is_null()) return std::nullopt;
    return v;
  }

  std::optional<std::string> text(std::string_view key, std::size_t max_bytes) const {
    const auto v = get(key);
    if (!v) return std::nullopt;
    std::string_view s;
    if (v->get(s) != simdjson::SUCCESS) fail(key, fmt::format("{}; expected a string", simdjson::minify(*v)));
    if (s.find('\0') != std::string_view::npos) fail(key, "contains a NUL byte");
    if (s.size() > max_bytes) fail(key, fmt::format("{} bytes; expected at most {}", s.size(), max_bytes));
    return std::string(s);
  }

  template <typename E>
  std::optional<E> name(std::string_view key) const {
    const auto s = text(key, 100);
    if (!s) return std::nullopt;
    if (const auto v = model::from_name<E>(*s)) return v;
    fail(key, fmt::format("\"{}\"; expected {}", *s, model::one_of(model::all_names<E>())));
  }

  // A boolean; CSV gives "true"/"false" as text.
  bool flag(std::string_view key) const {
    const auto v = get(key);
    if (!v) return false;
    bool b = false;
    if (v->get(b) == simdjson::SUCCESS) return b;
    std::string_view s;
    if (v->get(s) == simdjson::SUCCESS && (s == "true" || s == "false")) return s == "true";
    fail(key, fmt::format("{}; expected true or false", simdjson::minify(*v)));
  }

  std::optional<core::Timestamp> time(std::string_view key) const {
    const auto v = get(key);
    if (!v) return std::nullopt;
    std::string_view s;
    const auto t = v->get(s) == simdjson::SUCCESS ? core::try_parse_time(s, m_now) : std::nullopt;
    if (!t) fail(key, fmt::format("{}; expected an RFC 3339 time like 2026-11-25T06:10:00Z", simdjson::minify(*v)));
    return t;
  }

 private:
  template <typename Keys>
  static std::string join_keys(const Keys& keys) {
    std::string out;
    for (const auto& k : keys) out += (out.empty() ? "" : ", ") + std::string(k);
    return out;
  }

  sj::object m_record;
  std::string_view m_origin;
  std::size_t m_line;
  core::Timestamp m_now;
  std::string m_prefix;
};

struct Pending {
  Ticket ticket;
  std::vector<Event> events;
  std::size_t line = 0;
};

// Events made from a record's timestamps when it carries none.
std::vector<Event> synthesize(const Ticket& t, std::string_view actor, core::Timestamp now) {
  std::vector<Event> out;
  auto add = [&](core::Timestamp at, std::string kind, std::optional<Status> from, Status to) {
    Event e;
    e.at = at;
    e.recorded_at = now;
    e.actor = std::string(actor);
    e.kind = std::move(kind);
    e.from = from;
    e.to = to;
    out.push_back(std::move(e));
  };
  add(t.created_at, "created", std::nullopt, Status::new_);
  Status last = Status::new_;
  if (t.acknowledged_at) {
    add(*t.acknowledged_at, "acknowledged", last, Status::acknowledged);
    last = Status::acknowledged;
  }
  if (t.resolved_at) {
    add(*t.resolved_at, "resolved", last, Status::resolved);
    out.back().text = t.resolution;
    last = Status::resolved;
  }
  if (t.closed_at && t.status == Status::closed) {
    add(*t.closed_at, "closed", last, Status::closed);
    last = Status::closed;
  }
  if (last != t.status) add(t.updated_at, "imported", last, t.status);
  return out;
}

std::vector<Event> read_events(const RecordReader& r, sj::element list, std::string_view origin, std::size_t line,
                               core::Timestamp now) {
  sj::array items;
  if (list.get(items) != simdjson::SUCCESS) r.fail("events", "expected an array of events");
  std::vector<Event> out;
  std::size_t i = 0;
  for (const sj::element item : items) {
    sj::object object;
    if (item.get(object) != simdjson::SUCCESS) r.fail(fmt::format("events[{}]", i), "expected an object");
    const RecordReader er(object, origin, line, now, fmt::format("events[{}].", i));
    er.check_keys(k_event_keys);
    Event e;
    const auto at = er.time("at");
    if (!at) er.fail("at", "missing; expected the time the event happened");
    e.at = *at;
    e.recorded_at = er.time("recorded_at").value_or(e.at);
    e.actor = er.text("actor", 200).value_or("");
    e.kind = er.text("kind", 100).value_or("");
    if (e.actor.empty()) er.fail("actor", "missing; expected who did it");
    if (e.kind.empty()) er.fail("kind", "missing; expected what happened (created, acknowledged, ...)");
    e.from = er.name<Status>("from");
    e.to = er.name<Status>("to");
    e.text = er.text("text", k_max_text);
    if (const auto d = er.get("data")) {
      if (!d->is_object()) er.fail("data", "expected an object or null");
      e.data = simdjson::minify(*d);
    }
    out.push_back(std::move(e));
    ++i;
  }
  return out;
}

Pending read_record(const desk::Session& s, sj::element record, std::string_view origin, std::size_t line) {
  sj::object object;
  if (record.get(object) != simdjson::SUCCESS)
    throw Error(ErrorKind::data, fmt::format("{}:{}: expected a JSON object", origin, line));
  const RecordReader r(object, origin, line, s.now);
  r.check_keys(export_keys());
  Pending p;
  p.line = line;
  Ticket& t = p.ticket;
  if (const auto ref = r.text("ref", 100)) {
    const auto parsed = parse_reference(*ref);
    if (!parsed) r.fail("ref", fmt::format("\"{}\"; expected a reference like INC-2026-000042", *ref));
    t.ref = format_reference(*parsed);
    t.type = parsed->type;
  }
  if (const auto type = r.name<TicketType>("type")) {
    if (!t.ref.empty() && *type != t.type)
      r.fail("type", fmt::format("\"{}\" does not match the reference {}", model::name(*type), t.ref));
    t.type = *type;
  } else if (t.ref.empty()) {
    t.type = s.config.ticket.default_type;
  }
  t.title = std::string(core::trim(r.text("title", k_max_title).value_or("")));
  if (t.title.empty()) r.fail("title", "missing or empty; expected a short summary");
  t.description = r.text("description", k_max_text).value_or("");
  t.status = r.name<Status>("status").value_or(Status::new_);
  t.priority = r.name<Priority>("priority").value_or(s.config.ticket.default_priority);
  t.system = r.text("system", 200);
  t.category = r.text("category", 200);
  t.channel = r.name<Channel>("channel");
  t.reporter = r.text("reporter", 200);
  t.assignee = r.text("assignee", 200);
  t.created_at = r.time("created_at").value_or(s.now);
  t.acknowledged_at = r.time("acknowledged_at");
  t.resolved_at = r.time("resolved_at");
  t.closed_at = r.time("closed_at");
  if (const auto reason = r.name<model::PendingReason>("pending_reason")) t.pending_reason = std::string(model::name(*reason));
  t.resolution = r.text("resolution", k_max_text);
  t.root_cause = r.text("root_cause", k_max_text);
  t.workaround = r.text("workaround", k_max_text);
  t.known_error = r.flag("known_error");
  t.risk = r.name<model::Risk>("risk");
  t.plan = r.text("plan", k_max_text);
  t.rollback_plan = r.text("rollback_plan", k_max_text);
  t.test_evidence = r.text("test_evidence", k_max_text);
  t.window_start = r.time("window_start");
  t.window_end = r.time("window_end");
  if (const auto estimate = r.text("estimate", 40)) {
    const auto d = core::try_parse_duration(*estimate);
    if (!d) r.fail("estimate", fmt::format("\"{}\"; expected a duration like 3d or 16h", *estimate));
    t.estimate = *d;
  }
  t.updated_at = r.time("updated_at").value_or(
      std::max({t.created_at, t.acknowledged_at.value_or(0), t.resolved_at.value_or(0), t.closed_at.value_or(0)}));
  if (t.created_at > s.now) r.fail("created_at", "is in the future");
  const auto ev = r.get("events");
  sj::array list;
  if (ev && !(ev->get(list) == simdjson::SUCCESS && list.size() == 0)) {
    p.events = read_events(r, *ev, origin, line, s.now);
  } else {
    p.events = synthesize(t, s.actor, s.now);
  }
  return p;
}

// Turn a CSV row into the same JSON object a JSONL line would be.
Json csv_to_json(const std::vector<std::string>& header, const std::vector<std::string>& row, std::string_view origin,
                 std::size_t line) {
  if (row.size() != header.size())
    throw Error(ErrorKind::data,
                fmt::format("{}:{}: has {} fields; the header has {}", origin, line, row.size(), header.size()));
  Json j = Json::object();
  for (std::size_t i = 0; i < header.size(); ++i) {
    if (row[i].empty()) {
      j[header[i]] = nullptr;
    } else if (header[i] == "events") {
      try {
        j[header[i]] = Json::parse(row[i]);
      } catch (const nlohmann::json::exception&) {
        throw Error(ErrorKind::data, fmt::format("{}:{}: field \"events\": not valid JSON", origin, line));
      }
    } else {
      j[header[i]] = row[i];
    }
  }
  return j;
}

class Importer {
 public:
  Importer(const desk::Session& s, std::string_view origin)
      : m_s(s), m_origin(origin), m_downtime(all_downtime(s.db)) {}

  // One record as JSON text (a JSONL line, or a CSV row turned into JSON).
  void add(std::string_view json, std::size_t line) {
    sj::element record;
    if (const auto error = m_parser.parse(json.data(), json.size(), true).get(record); error != simdjson::SUCCESS)
      throw Error(ErrorKind::data, fmt::format("{}:{}: not valid JSON: {}", m_origin, line, simdjson::error_message(error)));
    add(record, line);
  }

  void add(sj::element record, std::size_t line) {
    Pending p = read_record(m_s, record, m_origin, line);
    Ticket& t = p.ticket;
    if (t.ref.empty()) {
      const int year = core::to_local(t.created_at).year;
      // Numbers taken by references earlier in this file come first.
      if (const auto it = m_counters.find({t.type, year}); it != m_counters.end())
        repo::raise_counter(m_s.db, t.type, year, it->second);
      t.ref = format_reference({t.type, year, repo::next_sequence(m_s.db, t.type, year)});
    } else {
      const auto parsed = parse_reference(t.ref);
      auto& top = m_counters[{t.type, parsed->year}];
      top = std::max(top, parsed->sequence);
    }
    try {
      t.id = repo::insert(m_s.db, t);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::data) throw;  // the only constraint an insert can break is the unique ref
      throw Error(ErrorKind::data, fmt::format("{}:{}: field \"ref\": {} already exists in the store", m_origin, line, t.ref));
    }
    for (const auto& e : p.events) {
      repo::add_event(m_s.db, t.id, e);
      if (e.kind == "linked" && e.data) m_links.push_back({t, e, line});
    }
    store_clocks(m_s, t, p.events, m_downtime);
    ++m_result.count;
    if (!m_result.first) m_result.first = t.ref;
    m_result.last = t.ref;
  }

  ImportResult finish(std::string_view digest) {
    for (const auto& [key, seq] : m_counters) repo::raise_counter(m_s.db, key.first, key.second, seq);
    for (const auto& l : m_links) {
      const Json d = Json::parse(*l.event.data);
      const auto to = d.contains("to") && d["to"].is_string() ? repo::find(m_s.db, d["to"].get<std::string>()) : std::nullopt;
      const auto kind = d.contains("kind") && d["kind"].is_string()
                            ? model::from_name<model::LinkKind>(d["kind"].get<std::string>())
                            : std::nullopt;
      if (!to || !kind)
        throw Error(ErrorKind::data, fmt::format("{}:{}: field \"events\": a link to an unknown ticket or of an unknown kind: {}",
                                                 m_origin, l.line, *l.event.data));
      repo::add_link(m_s.db, l.from, *to, *kind, l.event.at, l.event.actor);
    }
    m_s.audit("ticket.import", fmt::format("import:{}", m_origin), std::nullopt,
              output::dump_compact(Json{{"count", m_result.count},
                                        {"first", m_result.first ? Json(*m_result.first) : Json(nullptr)},
                                        {"last", m_result.last ? Json(*m_result.last) : Json(nullptr)},
                                        {"sha256", std::string(digest)}}));
    return m_result;
  }

 private:
  struct LinkEvent {
    Ticket from;
    Event event;
    std::size_t line;
  };
  const desk::Session& m_s;
  std::string m_origin;
  std::vector<SystemWindow> m_downtime;
  sj::parser m_parser;
  ImportResult m_result;
  std::map<std::pair<TicketType, int>, std::int64_t> m_counters;
  std::vector<LinkEvent> m_links;
};

}  // namespace

TransferFormat detect_format(std::string_view origin, std::string_view text) {
  const std::string lower = core::to_lower(origin);
  if (lower.ends_with(".csv")) return TransferFormat::csv;
  if (lower.ends_with(".jsonl") || lower.ends_with(".json") || lower.ends_with(".ndjson")) return TransferFormat::jsonl;
  const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  return first != std::string_view::npos && text[first] == '{' ? TransferFormat::jsonl : TransferFormat::csv;
}

void export_tickets(store::Db& db, const repo::ListFilter& filter, TransferFormat format,
                    const std::function<void(std::string_view)>& write) {
  const std::vector<std::string> keys(export_keys().begin(), export_keys().end());
  if (format == TransferFormat::csv) write(output::delimited_header(keys, ','));
  repo::for_each(db, filter, [&](const Ticket& t) {
    const Json j = to_json(t, repo::events(db, t.id));
    if (format == TransferFormat::csv) write(output::delimited_row(j, keys, ','));
    else write(output::dump_compact(j) + "\n");
  });
}

ImportResult import_tickets(const desk::Session& s, std::string_view text, std::string_view origin,
                            TransferFormat format) {
  // A large import touches many index pages; a bigger page cache keeps them in memory
  // instead of spilling to the WAL mid-transaction.
  if (s.db.backend() == store::Backend::sqlite) s.db.exec("PRAGMA cache_size = -262144");
  Importer importer(s, origin);
  if (format == TransferFormat::jsonl) {
    std::size_t line = 0;
    std::size_t pos = text.starts_with("\xEF\xBB\xBF") ? 3 : 0;
    while (pos < text.size()) {
      const auto end = std::min(text.find('\n', pos), text.size());
      const auto content = core::trim(text.substr(pos, end - pos));
      ++line;
      pos = end + 1;
      if (content.empty()) continue;
      importer.add(content, line);
    }
  } else {
    core::CsvReader reader(text);
    std::vector<std::string> header;
    if (auto h = reader.next()) header = *h;
    const std::vector<std::string> keys(export_keys().begin(), export_keys().end());
    for (const auto& column : header) {
      if (std::find(keys.begin(), keys.end(), column) == keys.end())
        throw Error(ErrorKind::data, fmt::format("{}:1: unknown column \"{}\"; expected {}", origin, column,
                                                 core::join(keys, ", ")));
    }
    while (auto row = reader.next())
      importer.add(output::dump_compact(csv_to_json(header, *row, origin, reader.line())), reader.line());
  }
  return importer.finish(core::sha256_hex(text));
}

}  // namespace opsdesk::ticket
