#include "kb/kb.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "ticket/repository.hpp"
#include "ticket/service.hpp"

namespace opsdesk::kb {

namespace {

constexpr std::string_view k_columns =
    "a.id, a.ref, a.title, a.symptoms, a.cause, a.fix, a.tags, a.system, a.source_ref, a.created_by, a.created_at, "
    "a.updated_at";

Article read(const store::Query& q) {
  return {q.int64(0), q.text(1), q.text(2), q.text(3), q.text(4),  q.text(5),
          q.text(6),  q.opt_text(7), q.opt_text(8), q.text(9), q.int64(10), q.int64(11)};
}

std::size_t codepoints(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Words of `text`: split on spaces and punctuation; CJK runs longer than three characters
// become their three-character windows (the trigram index matches substrings).
std::vector<std::string> words(std::string_view text) {
  std::vector<std::string> out;
  std::string word;
  auto flush = [&] {
    if (word.empty()) return;
    const bool ascii = std::all_of(word.begin(), word.end(), [](char c) { return (c & 0x80) == 0; });
    if (ascii || codepoints(word) <= 3) {
      out.push_back(core::to_lower(word));
    } else {
      std::vector<std::size_t> starts;
      for (std::size_t i = 0; i < word.size(); ++i)
        if ((word[i] & 0xC0) != 0x80) starts.push_back(i);
      starts.push_back(word.size());
      for (std::size_t i = 0; i + 3 < starts.size(); ++i) out.push_back(word.substr(starts[i], starts[i + 3] - starts[i]));
    }
    word.clear();
  };
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x80 && !std::isalnum(u) && c != '-' && c != '_' && c != '.') flush();
    else word += c;
  }
  flush();
  return out;
}

std::string quote(const std::string& w) {
  std::string q = "\"";
  for (const char c : w) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::vector<Hit> run_search(store::Db& db, const std::vector<std::string>& terms, bool any, std::size_t limit) {
  std::vector<std::string> long_terms, short_terms;
  for (const auto& t : terms) (codepoints(t) >= 3 ? long_terms : short_terms).push_back(t);
  std::vector<Hit> hits;
  const bool fts = db.backend() == store::Backend::sqlite;
  if (fts && !long_terms.empty() && (any || short_terms.empty())) {
    std::vector<std::string> quoted;
    for (const auto& t : long_terms) quoted.push_back(quote(t));
    const std::string match = core::join(quoted, any ? " OR " : " ");
    auto q = db.query(fmt::format("SELECT {}, bm25(kb_search, 10.0, 5.0, 3.0, 3.0, 2.0) FROM kb_search "
                                  "JOIN kb_articles a ON a.id = kb_search.rowid WHERE kb_search MATCH ? "
                                  "ORDER BY bm25(kb_search, 10.0, 5.0, 3.0, 3.0, 2.0) LIMIT ?",
                                  k_columns),
                      match, static_cast<std::int64_t>(limit));
    while (q.next()) hits.push_back({read(q), -q.real(12)});
    return hits;
  }
  // Terms too short for the trigram index, or no index (PostgreSQL): a plain scan (the
  // knowledge base is small). Without the index, matches rank by where the words stand, with
  // the weights bm25 gives the columns (title 10, symptoms 5, cause and fix 3, tags 2).
  std::string where, rank;
  std::vector<store::Param> params, rank_params;
  for (const auto& t : terms) {
    where += where.empty() ? "" : (any ? " OR " : " AND ");
    where += "lower(a.title || ' ' || a.symptoms || ' ' || a.cause || ' ' || a.fix || ' ' || a.tags) LIKE lower(?) ESCAPE '\\'";
    std::string literal;  // the word itself: % and _ are not wildcards here
    for (const char c : t) {
      if (c == '%' || c == '_' || c == '\\') literal += '\\';
      literal += c;
    }
    params.emplace_back("%" + literal + "%");
    if (!fts) {
      for (const auto& [column, weight] : {std::pair{"title", 10}, {"symptoms", 5}, {"cause", 3}, {"fix", 3}, {"tags", 2}}) {
        rank += fmt::format("{}CASE WHEN lower(a.{}) LIKE lower(?) ESCAPE '\\' THEN {} ELSE 0 END", rank.empty() ? "" : " + ",
                            column, weight);
        rank_params.emplace_back("%" + literal + "%");
      }
    }
  }
  const std::string_view rank_sql = rank.empty() ? std::string_view("1") : std::string_view(rank);
  rank_params.insert(rank_params.end(), params.begin(), params.end());
  rank_params.emplace_back(static_cast<std::int64_t>(limit));
  auto q = db.query_with(fmt::format("SELECT {}, {} AS rank FROM kb_articles a WHERE {} ORDER BY rank DESC, a.updated_at DESC LIMIT ?",
                                     k_columns, rank_sql, where.empty() ? "1 = 0" : where),
                         rank_params);
  while (q.next()) hits.push_back({read(q), q.real(12)});
  return hits;
}

void check(std::string_view field, const std::string& value) { ticket::check_text(field, value, ticket::k_max_text); }

}  // namespace

output::Json to_json(const Article& a) {
  auto opt = [](const std::optional<std::string>& s) { return s ? output::Json(*s) : output::Json(nullptr); };
  return output::Json{{"ref", a.ref},           {"title", a.title},
                      {"symptoms", a.symptoms}, {"cause", a.cause},
                      {"fix", a.fix},           {"tags", a.tags},
                      {"system", opt(a.system)}, {"source", opt(a.source_ref)},
                      {"created_by", a.created_by}, {"created_at", core::format_rfc3339(a.created_at)},
                      {"updated_at", core::format_rfc3339(a.updated_at)}};
}

Article add(const desk::Session& s, const NewArticle& r) {
  const auto title = std::string(core::trim(r.title));
  if (title.empty()) throw Error(ErrorKind::data, "an article needs a --title");
  if (core::trim(r.fix).empty() && core::trim(r.cause).empty())
    throw Error(ErrorKind::data, "an article needs at least --cause or --fix: what makes it worth reading");
  for (const auto& [field, value] : {std::pair{"title", title}, {"symptoms", r.symptoms}, {"cause", r.cause},
                                     {"fix", r.fix}, {"tags", r.tags}})
    check(field, value);
  const auto next = s.db.one_int("SELECT coalesce(max(id), 0) + 1 FROM kb_articles").value_or(1);
  Article a{0, fmt::format("KB-{:06}", next), title, r.symptoms, r.cause, r.fix, r.tags, r.system, std::nullopt,
            s.actor, s.now, s.now};
  a.id = s.db.insert("INSERT INTO kb_articles (ref, title, symptoms, cause, fix, tags, system, source_ref, created_by, created_at, "
           "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
           a.ref, a.title, a.symptoms, a.cause, a.fix, a.tags, a.system, a.source_ref, a.created_by, a.created_at,
           a.updated_at);
  s.audit("kb.add", a.ref, std::nullopt, output::dump_compact(to_json(a)));
  return a;
}

Article add_from_problem(const desk::Session& s, std::string_view problem_ref) {
  const auto p = ticket::repo::get(s.db, problem_ref);
  if (p.type != model::TicketType::problem)
    throw Error(ErrorKind::failed, fmt::format("{} is a {}; articles are made from problems", p.ref, model::name(p.type)));
  if (p.status != model::Status::resolved && p.status != model::Status::closed)
    throw Error(ErrorKind::failed, fmt::format("{} is {}; an article is made once the problem is resolved", p.ref,
                                               model::name(p.status)));
  if (s.db.one_int("SELECT 1 FROM kb_articles WHERE source_ref = ?", p.ref))
    throw Error(ErrorKind::failed, fmt::format("{} already has an article", p.ref));
  NewArticle r;
  r.title = p.title;
  r.symptoms = p.description;
  for (const auto& l : ticket::repo::links(s.db, p.id)) {
    if (l.to_ref != p.ref || l.kind != model::LinkKind::caused_by) continue;
    const auto incident = ticket::repo::get(s.db, l.from_ref);
    r.symptoms += fmt::format("{}- {} {}", r.symptoms.empty() ? "" : "\n", incident.ref, incident.title);
  }
  r.cause = p.root_cause.value_or("");
  r.fix = p.resolution.value_or("");
  if (p.workaround) r.fix += fmt::format("{}Workaround: {}", r.fix.empty() ? "" : "\n", *p.workaround);
  r.system = p.system;
  r.tags = p.category.value_or("");
  Article a = add(s, r);
  s.db.run("UPDATE kb_articles SET source_ref = ? WHERE id = ?", p.ref, a.id);
  a.source_ref = p.ref;
  return a;
}

std::vector<Article> list(store::Db& db) {
  std::vector<Article> out;
  auto q = db.query(fmt::format("SELECT {} FROM kb_articles a ORDER BY a.id", k_columns));
  while (q.next()) out.push_back(read(q));
  return out;
}

Article get(store::Db& db, std::string_view ref) {
  std::string canonical = core::to_lower(ref);
  auto q = db.query(fmt::format("SELECT {} FROM kb_articles a WHERE lower(a.ref) = ?", k_columns), canonical);
  if (q.next()) return read(q);
  throw Error(ErrorKind::not_found, fmt::format("no article {}; `opsdesk kb list` shows them", ref));
}

std::vector<Hit> search(store::Db& db, std::string_view text, std::size_t limit) {
  const auto terms = words(text);
  if (terms.empty()) throw Error(ErrorKind::usage, "nothing to search for; give some words");
  return run_search(db, terms, false, limit);
}

std::vector<Hit> suggest(store::Db& db, std::string_view ref, std::size_t limit) {
  const auto t = ticket::repo::get(db, ref);
  std::vector<std::string> terms;
  std::set<std::string> seen;
  static const std::set<std::string> k_stop = {"the", "and", "for", "with", "not", "from", "after", "when", "does",
                                               "fails", "error", "cannot", "can't", "on", "in", "is", "of", "to"};
  for (const auto& w : words(t.title + " " + t.description)) {
    if (k_stop.contains(w) || codepoints(w) < 3 || !seen.insert(w).second) continue;
    terms.push_back(w);
    if (terms.size() == 24) break;
  }
  if (terms.empty()) return {};
  return run_search(db, terms, true, limit);
}

std::string export_markdown(store::Db& db, std::string_view desk_name) {
  std::string md = fmt::format("# {} — knowledge base\n\nTechnical experience cases from maintenance.\n", desk_name);
  for (const auto& a : list(db)) {
    md += fmt::format("\n## {} {}\n\n", a.ref, a.title);
    if (a.system || a.source_ref || !a.tags.empty())
      md += fmt::format("System: {} · From: {} · Tags: {}\n\n", a.system.value_or("-"), a.source_ref.value_or("-"),
                        a.tags.empty() ? "-" : a.tags);
    md += fmt::format("### Symptoms\n\n{}\n\n### Cause\n\n{}\n\n### Fix\n\n{}\n", a.symptoms.empty() ? "-" : a.symptoms,
                      a.cause.empty() ? "-" : a.cause, a.fix.empty() ? "-" : a.fix);
  }
  return md;
}

}  // namespace opsdesk::kb
