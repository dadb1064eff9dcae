#pragma once
// The knowledge base: the contract's "technical experience cases" for training. Articles
// (symptoms, cause, fix) are written or made from a resolved problem, found by full-text
// search (SQLite FTS5, trigram: works for Chinese text too), suggested for a ticket, and
// exported as Markdown for the training manual.
#include <optional>
#include <string>
#include <vector>

#include "desk/session.hpp"
#include "output/json.hpp"

namespace opsdesk::kb {

struct Article {
  std::int64_t id = 0;
  std::string ref;  // KB-000001
  std::string title;
  std::string symptoms;
  std::string cause;
  std::string fix;
  std::string tags;  // comma-separated
  std::optional<std::string> system;
  std::optional<std::string> source_ref;  // the problem it came from
  std::string created_by;
  core::Timestamp created_at = 0;
  core::Timestamp updated_at = 0;
};

output::Json to_json(const Article& a);

struct NewArticle {
  std::string title, symptoms, cause, fix, tags;
  std::optional<std::string> system;
};
Article add(const desk::Session& s, const NewArticle& request);
// An article from a resolved problem: its title, its description and its incidents as the
// symptoms, its root cause, its resolution and workaround as the fix.
Article add_from_problem(const desk::Session& s, std::string_view problem_ref);

std::vector<Article> list(store::Db& db);
Article get(store::Db& db, std::string_view ref);  // Error(not_found)

struct Hit {
  Article article;
  double score = 0;  // higher is better
};
// Articles matching every word of `text`, best first.
std::vector<Hit> search(store::Db& db, std::string_view text, std::size_t limit);
// Articles that look like ticket `ref` (its title and description), best first.
std::vector<Hit> suggest(store::Db& db, std::string_view ref, std::size_t limit);

// Every article as one Markdown document.
std::string export_markdown(store::Db& db, std::string_view desk_name);

}  // namespace opsdesk::kb
