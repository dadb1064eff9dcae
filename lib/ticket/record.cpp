#include "ticket/record.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/strings.hpp"
#include "ticket/clocks.hpp"
#include "ticket/internal.hpp"
#include "ticket/repository.hpp"

namespace opsdesk::ticket {

namespace {

std::string utc(std::optional<core::Timestamp> t) { return t ? core::format_rfc3339(*t) : "-"; }

using core::html_escape;

std::string outcome(const sla::ClockStatus& c) {
  return fmt::format("{} (target {}, counted {})", sla::state_name(c.state), core::format_duration(c.target),
                     core::format_duration(c.elapsed));
}

// The signed content: deterministic, in UTC, independent of the reader's time zone.
std::string canonical(const ServiceRecord& r) {
  const Ticket& t = r.ticket;
  std::string md = fmt::format("# Service record {}\n\n", t.ref);
  md += fmt::format("| | |\n|---|---|\n");
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"Desk", r.desk},
      {"Type", std::string(model::name(t.type))},
      {"Title", t.title},
      {"Priority", std::string(model::name(t.priority))},
      {"System", t.system.value_or("-")},
      {"Reported by", t.reporter.value_or("-")},
      {"Engineer", t.assignee.value_or("-")},
      {"Reported", utc(t.created_at)},
      {"Acknowledged", utc(t.acknowledged_at)},
      {"Resolved", utc(t.resolved_at)},
      {"Time spent", core::format_duration(r.work_total)},
  };
  for (const auto& [k, v] : rows) md += fmt::format("| {} | {} |\n", k, v);
  md += "\n## Request\n\n" + (t.description.empty() ? std::string("-") : t.description) + "\n";
  md += "\n## What was done\n\n";
  for (const auto& e : r.comments) md += fmt::format("- {} {}: {}\n", utc(e.at), e.actor, e.text.value_or(""));
  for (const auto& e : r.work) {
    const auto d = e.data ? output::Json::parse(*e.data) : output::Json::object();
    md += fmt::format("- {} {}: {} of work{}\n", utc(e.at), e.actor, core::format_duration(d.value("seconds", 0)),
                      e.text ? ": " + *e.text : "");
  }
  md += fmt::format("\nResolution: {}\n", t.resolution.value_or("-"));
  if (!r.clocks.empty()) {
    md += "\n## Service level\n\n";
    for (const auto& c : r.clocks) md += fmt::format("- {}: {}\n", sla::clock_name(c.clock), outcome(c));
  }
  return md;
}

std::string signature_lines(const ServiceRecord& r) {
  std::string out = "\n## Signatures\n\n";
  if (r.signatures.empty()) out += "- not signed yet\n";
  for (const auto& s : r.signatures)
    out += fmt::format("- {}: {} ({}) at {}, sha256 {}{}\n", s.party, s.signer, s.role, core::format_rfc3339(s.at),
                       s.sha256.substr(0, 16), s.current ? "" : " — STALE: the record changed after signing");
  return out;
}

}  // namespace

ServiceRecord service_record(store::Db& db, const config::Config& config, std::string_view ref, core::Timestamp now) {
  ServiceRecord r;
  r.desk = config.desk.name;
  r.ticket = repo::get(db, ref);
  const auto events = repo::events(db, r.ticket.id);
  for (const auto& e : events) {
    if (e.kind == "work") r.work.push_back(e);
    if (e.kind == "comment") r.comments.push_back(e);
  }
  r.work_total = repo::work_logged(db, r.ticket.id);
  r.clocks = clocks(db, config, r.ticket, now);
  r.content = canonical(r);
  r.sha256 = core::sha256_hex(r.content);
  for (const auto& e : events) {
    if (e.kind != "signed" || !e.data) continue;
    const auto d = output::Json::parse(*e.data);
    Signature s{d.value("party", ""), e.actor, d.value("role", ""), e.at, d.value("sha256", ""), false};
    s.current = s.sha256 == r.sha256;
    r.signatures.push_back(s);
  }
  return r;
}

std::string render_record(const ServiceRecord& r, RecordFormat format) {
  if (format == RecordFormat::markdown) return r.content + signature_lines(r);
  if (format == RecordFormat::text) {
    std::string text = r.content + signature_lines(r);
    std::string out;
    for (const auto& line : core::split_lines(text)) {
      if (line.starts_with("|---") || line == "| | |") continue;
      std::string l = line;
      if (l.starts_with("| ")) {  // "| Key | Value |" → "Key: Value"
        const auto mid = l.find(" | ", 2);
        l = mid == std::string::npos ? l : l.substr(2, mid - 2) + ": " + l.substr(mid + 3, l.size() - mid - 5);
        if (l == ": ") continue;
      }
      if (l.starts_with("# ") || l.starts_with("## ")) l = l.substr(l.find(' ') + 1);
      out += l + "\n";
    }
    return out;
  }
  const Ticket& t = r.ticket;
  std::string html = fmt::format(
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Service record {}</title>\n"
      "<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}table{{border-collapse:collapse}}"
      "td{{border:1px solid #999;padding:.3em .6em}}.stale{{color:#b00}}@page{{size:A4;margin:2cm}}</style>\n"
      "</head><body>\n<h1>Service record {}</h1>\n<table>\n",
      html_escape(t.ref), html_escape(t.ref));
  const std::vector<std::pair<std::string, std::string>> rows = {
      {"Desk", r.desk},
      {"Title", t.title},
      {"Priority", std::string(model::name(t.priority))},
      {"System", t.system.value_or("-")},
      {"Reported by", t.reporter.value_or("-")},
      {"Engineer", t.assignee.value_or("-")},
      {"Reported", core::format_local(t.created_at)},
      {"Acknowledged", t.acknowledged_at ? core::format_local(*t.acknowledged_at) : "-"},
      {"Resolved", t.resolved_at ? core::format_local(*t.resolved_at) : "-"},
      {"Time spent", core::format_duration(r.work_total)},
      {"Resolution", t.resolution.value_or("-")},
  };
  for (const auto& [k, v] : rows) html += fmt::format("<tr><td>{}</td><td>{}</td></tr>\n", html_escape(k), html_escape(v));
  html += "</table>\n<h2>Request</h2>\n<p>" + html_escape(t.description.empty() ? "-" : t.description) + "</p>\n";
  html += "<h2>What was done</h2>\n<ul>\n";
  for (const auto& e : r.comments)
    html += fmt::format("<li>{} {}: {}</li>\n", core::format_local(e.at), html_escape(e.actor), html_escape(e.text.value_or("")));
  for (const auto& e : r.work) {
    const auto d = e.data ? output::Json::parse(*e.data) : output::Json::object();
    html += fmt::format("<li>{} {}: {} of work {}</li>\n", core::format_local(e.at), html_escape(e.actor),
                        core::format_duration(d.value("seconds", 0)), html_escape(e.text.value_or("")));
  }
  html += "</ul>\n";
  if (!r.clocks.empty()) {
    html += "<h2>Service level</h2>\n<ul>\n";
    for (const auto& c : r.clocks) html += fmt::format("<li>{}: {}</li>\n", sla::clock_name(c.clock), html_escape(outcome(c)));
    html += "</ul>\n";
  }
  html += "<h2>Signatures</h2>\n<ul>\n";
  if (r.signatures.empty()) html += "<li>not signed yet</li>\n";
  for (const auto& s : r.signatures)
    html += fmt::format("<li{}>{}: {} ({}) at {}{}</li>\n", s.current ? "" : " class=\"stale\"", html_escape(s.party),
                        html_escape(s.signer), html_escape(s.role), core::format_local(s.at),
                        s.current ? "" : " — stale: the record changed after signing");
  html += fmt::format("</ul>\n<p><small>Record SHA-256 {}</small></p>\n</body></html>\n", r.sha256);
  return html;
}

Signature sign(const desk::Session& s, std::string_view ref) {
  const ServiceRecord r = service_record(s.db, s.config, ref, s.now);
  const Ticket& t = r.ticket;
  if (t.status != model::Status::resolved && t.status != model::Status::closed)
    throw Error(ErrorKind::failed, fmt::format("{} is {}; its service record is signed once it is resolved or closed",
                                               t.ref, model::name(t.status)));
  const std::string party = s.role == model::Role::customer ? "customer" : "engineer";
  for (const auto& existing : r.signatures)
    if (existing.party == party && existing.current)
      throw Error(ErrorKind::failed, fmt::format("{}'s record is already signed for the {} by {}", t.ref, party, existing.signer));
  Signature sig{party, s.actor, s.role ? std::string(model::name(*s.role)) : "", s.now, r.sha256, true};
  Event e = internal::make_event(s, s.now, "signed");
  e.data = internal::dump(output::Json{{"party", party}, {"role", sig.role}, {"sha256", sig.sha256}});
  repo::add_event(s.db, t.id, e);
  s.audit("ticket.sign", t.ref, std::nullopt, e.data);
  return sig;
}

}  // namespace opsdesk::ticket
