#include "ticket/json.hpp"

#include <nlohmann/json.hpp>

namespace opsdesk::ticket {

namespace {

output::Json time_or_null(const std::optional<core::Timestamp>& t) {
  return t ? output::Json(core::format_rfc3339(*t)) : output::Json(nullptr);
}

output::Json text_or_null(const std::optional<std::string>& s) { return s ? output::Json(*s) : output::Json(nullptr); }

template <typename E>
output::Json name_or_null(const std::optional<E>& v) {
  return v ? output::Json(std::string(model::name(*v))) : output::Json(nullptr);
}

}  // namespace

output::Json to_json(const Ticket& t) {
  output::Json j = output::Json::object();
  j.get_ref<output::Json::object_t&>().reserve(28);  // no regrowth: lists convert thousands of these
  j["ref"] = t.ref;
  j["type"] = std::string(model::name(t.type));
  j["title"] = t.title;
  j["description"] = t.description;
  j["status"] = std::string(model::name(t.status));
  j["priority"] = std::string(model::name(t.priority));
  j["system"] = text_or_null(t.system);
  j["category"] = text_or_null(t.category);
  j["channel"] = name_or_null(t.channel);
  j["reporter"] = text_or_null(t.reporter);
  j["assignee"] = text_or_null(t.assignee);
  j["created_at"] = core::format_rfc3339(t.created_at);
  j["acknowledged_at"] = time_or_null(t.acknowledged_at);
  j["resolved_at"] = time_or_null(t.resolved_at);
  j["closed_at"] = time_or_null(t.closed_at);
  j["updated_at"] = core::format_rfc3339(t.updated_at);
  j["pending_reason"] = text_or_null(t.pending_reason);
  j["resolution"] = text_or_null(t.resolution);
  j["root_cause"] = text_or_null(t.root_cause);
  j["workaround"] = text_or_null(t.workaround);
  j["known_error"] = t.known_error;
  j["risk"] = name_or_null(t.risk);
  j["plan"] = text_or_null(t.plan);
  j["rollback_plan"] = text_or_null(t.rollback_plan);
  j["test_evidence"] = text_or_null(t.test_evidence);
  j["window_start"] = time_or_null(t.window_start);
  j["window_end"] = time_or_null(t.window_end);
  j["estimate"] = t.estimate ? output::Json(core::format_duration(*t.estimate)) : output::Json(nullptr);
  return j;
}

output::Json to_json(const Event& e) {
  output::Json j = output::Json::object();
  j["at"] = core::format_rfc3339(e.at);
  j["recorded_at"] = core::format_rfc3339(e.recorded_at);
  j["actor"] = e.actor;
  j["kind"] = e.kind;
  j["from"] = name_or_null(e.from);
  j["to"] = name_or_null(e.to);
  j["text"] = text_or_null(e.text);
  j["data"] = e.data ? output::Json::parse(*e.data) : output::Json(nullptr);
  return j;
}

output::Json to_json(const Ticket& ticket, const std::vector<Event>& events) {
  output::Json j = to_json(ticket);
  output::Json list = output::Json::array();
  for (const auto& e : events) list.push_back(to_json(e));
  j["events"] = std::move(list);
  return j;
}

output::Json to_json(const TicketDetail& d) {
  output::Json j = to_json(d.ticket, d.events);
  output::Json links = output::Json::array();
  for (const auto& l : d.links) {
    links.push_back(output::Json{{"from", l.from_ref},
                                 {"to", l.to_ref},
                                 {"kind", std::string(model::name(l.kind))},
                                 {"created_at", core::format_rfc3339(l.created_at)},
                                 {"actor", l.actor}});
  }
  j["links"] = std::move(links);
  j["work_logged"] = core::format_duration(d.work_logged);
  return j;
}

}  // namespace opsdesk::ticket
