#include "ticket/transfer.hpp"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/strings.hpp"
#include "ticket/json.hpp"
#include "ticket/reference.hpp"
#include "ticket/service.hpp"

namespace opsdesk::ticket {

namespace {

using output::Json;

const std::vector<std::string>& export_keys() {
  static const std::vector<std::string> k_keys = {
      "ref",        "type",       "title",           "description", "status",    "priority",
      "system",     "category",   "channel",         "reporter",    "assignee",  "created_at",
      "acknowledged_at", "resolved_at", "closed_at", "updated_at",  "pending_reason", "resolution",
      "events"};
  return k_keys;
}

const std::set<std::string, std::less<>> k_event_keys = {"at", "recorded_at", "actor", "kind", "from", "to", "text", "data"};

// Reads one record's fields and reports problems as "origin:line: field "x": ...".
class RecordReader {
 public:
  // `prefix` names where a nested record sits ("events[2].").
  RecordReader(const Json& record, std::string_view origin, std::size_t line, core::Timestamp now,
               std::string prefix = "")
      : m_record(record), m_origin(origin), m_line(line), m_now(now), m_prefix(std::move(prefix)) {}

  [[noreturn]] void fail(std::string_view field, const std::string& message) const {
    throw Error(ErrorKind::data, fmt::format("{}:{}: field \"{}{}\": {}", m_origin, m_line, m_prefix, field, message));
  }

  const Json* get(std::string_view key) const {
    const auto it = m_record.find(key);
    if (it == m_record.end() || it->is_null()) return nullptr;
    return &*it;
  }

  std::optional<std::string> text(std::string_view key, std::size_t max_bytes) const {
    const Json* v = get(key);
    if (!v) return std::nullopt;
    if (!v->is_string()) fail(key, fmt::format("{}; expected a string", output::dump_compact(*v)));
    auto s = v->get<std::string>();
    if (!core::is_valid_utf8(s)) fail(key, "not valid UTF-8");
    if (s.find('\0') != std::string::npos) fail(key, "contains a NUL byte");
    if (s.size() > max_bytes) fail(key, fmt::format("{} bytes; expected at most {}", s.size(), max_bytes));
    return s;
  }

  template <typename E>
  std::optional<E> name(std::string_view key) const {
    const auto s = text(key, 100);
    if (!s) return std::nullopt;
    if (const auto v = model::from_name<E>(*s)) return v;
    fail(key, fmt::format("\"{}\"; expected {}", *s, model::one_of(model::all_names<E>())));
  }

  std::optional<core::Timestamp> time(std::string_view key) const { return time_of(get(key), key); }

  std::optional<core::Timestamp> time_of(const Json* v, std::string_view key) const {
    if (!v) return std::nullopt;
    const auto t = v->is_string() ? core::try_parse_time(v->get<std::string>(), m_now) : std::nullopt;
    if (!t) fail(key, fmt::format("{}; expected an RFC 3339 time like 2026-11-25T06:10:00Z", output::dump_compact(*v)));
    return t;
  }

 private:
  const Json& m_record;
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

std::vector<Event> read_events(const RecordReader& r, const Json& list, std::string_view origin, std::size_t line,
                               core::Timestamp now) {
  if (!list.is_array()) r.fail("events", "expected an array of events");
  std::vector<Event> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& item = list[i];
    if (!item.is_object()) r.fail(fmt::format("events[{}]", i), "expected an object");
    const RecordReader er(item, origin, line, now, fmt::format("events[{}].", i));
    for (const auto& kv : item.items())
      if (!k_event_keys.contains(kv.key())) er.fail(kv.key(), "unknown field");
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
    if (const Json* d = er.get("data")) {
      if (!d->is_object()) er.fail("data", "expected an object or null");
      e.data = output::dump_compact(*d);
    }
    out.push_back(std::move(e));
  }
  return out;
}

Pending read_record(const desk::Session& s, const Json& record, std::string_view origin, std::size_t line) {
  RecordReader r(record, origin, line, s.now);
  if (!record.is_object()) r.fail("", "expected a JSON object");
  for (const auto& kv : record.items()) {
    const auto& keys = export_keys();
    if (std::find(keys.begin(), keys.end(), kv.key()) == keys.end()) {
      std::string message = fmt::format("unknown field; expected {}", core::join(keys, ", "));
      r.fail(kv.key(), message);
    }
  }
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
  t.pending_reason = r.text("pending_reason", 100);
  t.resolution = r.text("resolution", k_max_text);
  t.updated_at = r.time("updated_at").value_or(
      std::max({t.created_at, t.acknowledged_at.value_or(0), t.resolved_at.value_or(0), t.closed_at.value_or(0)}));
  if (t.created_at > s.now) r.fail("created_at", "is in the future");
  if (const Json* ev = r.get("events"); ev && !(ev->is_array() && ev->empty())) {
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
  Importer(const desk::Session& s, std::string_view origin) : m_s(s), m_origin(origin) {}

  void add(const Json& record, std::size_t line) {
    Pending p = read_record(m_s, record, m_origin, line);
    Ticket& t = p.ticket;
    if (t.ref.empty()) {
      const int year = core::to_local(t.created_at).year;
      t.ref = format_reference({t.type, year, repo::next_sequence(m_s.db, t.type, year)});
    } else {
      const auto parsed = parse_reference(t.ref);
      auto& top = m_counters[{t.type, parsed->year}];
      top = std::max(top, parsed->sequence);
    }
    if (m_s.db.one_int("SELECT 1 FROM tickets WHERE ref = ?", t.ref))
      throw Error(ErrorKind::data, fmt::format("{}:{}: field \"ref\": {} already exists in the store", m_origin, line, t.ref));
    t.id = repo::insert(m_s.db, t);
    for (const auto& e : p.events) {
      repo::add_event(m_s.db, t.id, e);
      if (e.kind == "linked" && e.data) m_links.push_back({t, e, line});
    }
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
  const auto& keys = export_keys();
  if (format == TransferFormat::csv) write(output::delimited_header(keys, ','));
  repo::for_each(db, filter, [&](const Ticket& t) {
    const Json j = to_json(t, repo::events(db, t.id));
    if (format == TransferFormat::csv) write(output::delimited_row(j, keys, ','));
    else write(output::dump_compact(j) + "\n");
  });
}

ImportResult import_tickets(const desk::Session& s, std::string_view text, std::string_view origin,
                            TransferFormat format) {
  Importer importer(s, origin);
  if (format == TransferFormat::jsonl) {
    std::size_t line = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
      const auto end = std::min(text.find('\n', pos), text.size());
      const auto content = core::trim(text.substr(pos, end - pos));
      ++line;
      pos = end + 1;
      if (content.empty()) continue;
      Json record;
      try {
        record = Json::parse(content);
      } catch (const nlohmann::json::exception& e) {
        throw Error(ErrorKind::data, fmt::format("{}:{}: not valid JSON: {}", origin, line,
                                                 std::string(e.what()).substr(std::string(e.what()).find(']') + 2)));
      }
      importer.add(record, line);
    }
  } else {
    core::CsvReader reader(text);
    std::vector<std::string> header;
    if (auto h = reader.next()) header = *h;
    const auto& keys = export_keys();
    for (const auto& column : header) {
      if (std::find(keys.begin(), keys.end(), column) == keys.end())
        throw Error(ErrorKind::data, fmt::format("{}:1: unknown column \"{}\"; expected {}", origin, column,
                                                 core::join(keys, ", ")));
    }
    while (auto row = reader.next()) importer.add(csv_to_json(header, *row, origin, reader.line()), reader.line());
  }
  return importer.finish(core::sha256_hex(text));
}

}  // namespace opsdesk::ticket
