// opsdesk kb add|list|show|search|export.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "commands.hpp"
#include "common.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "kb/kb.hpp"
#include "output/table.hpp"
#include "ticket/reference.hpp"

namespace opsdesk::cli {

namespace {

struct KbOptions {
  std::string ref, title, symptoms, cause, fix, tags, system, from, text, for_ref, output;
  std::int64_t limit = 10;
  OutputOptions out;
};

void render_article(Runtime& rt, const kb::Article& a) {
  rt.out() << output::paint(a.ref, output::Color::bold, rt.term().color) << "  " << a.title << "\n";
  output::render_fields(rt.out(), {{"system", a.system.value_or("-")},
                                   {"from", a.source_ref.value_or("-")},
                                   {"tags", a.tags.empty() ? "-" : a.tags},
                                   {"written", fmt::format("{} by {}", core::format_local(a.created_at), a.created_by)}});
  rt.out() << "\nsymptoms:\n" << (a.symptoms.empty() ? "-" : a.symptoms) << "\n\ncause:\n"
           << (a.cause.empty() ? "-" : a.cause) << "\n\nfix:\n" << (a.fix.empty() ? "-" : a.fix) << "\n";
}

}  // namespace

void add_kb_command(CLI::App& app, Runtime& rt) {
  auto* group = app.add_subcommand("kb", "Knowledge base: experience cases from maintenance, for training");
  group->require_subcommand(1);

  auto a = std::make_shared<KbOptions>();
  auto* add = group->add_subcommand("add", "Write an article, or make one from a resolved problem (--from PRB-...)");
  add->add_option("--title", a->title, "What it is about");
  add->add_option("--symptoms", a->symptoms, "What users and monitoring see");
  add->add_option("--cause", a->cause, "Why it happens");
  add->add_option("--fix", a->fix, "What to do");
  add->add_option("--tags", a->tags, "Comma-separated keywords");
  add->add_option("-s,--system", a->system, "The system");
  add->add_option("--from", a->from, "A resolved problem to make the article from");
  add_json_option(add, a->out);
  add->callback([&rt, a] {
    const auto made = rt.write("kb.write", [&](desk::Session& s) {
      if (!a->from.empty()) return kb::add_from_problem(s, ticket::normalize_reference(a->from));
      kb::NewArticle r{a->title, a->symptoms, a->cause, a->fix, a->tags,
                       a->system.empty() ? std::nullopt : std::optional(a->system)};
      return kb::add(s, r);
    });
    print_object(rt, a->out, kb::to_json(made), [&] { rt.out() << made.ref << '\n'; });
  });

  auto l = std::make_shared<KbOptions>();
  auto* list = group->add_subcommand("list", "List articles");
  add_format_option(list, l->out, {"table", "json", "jsonl", "csv", "tsv"});
  list->callback([&rt, l] {
    const auto articles = rt.read("ticket.read", [&](desk::Session& s) { return kb::list(s.db); });
    output::Json records = output::Json::array();
    for (const auto& x : articles) records.push_back(kb::to_json(x));
    print_records(rt, l->out, records, kb::to_json(kb::Article{}), [&] {
      if (articles.empty()) {
        rt.out() << "no articles yet; `opsdesk kb add --from PRB-...` makes one from a resolved problem\n";
        return;
      }
      output::Table table({{"REF"}, {"TITLE", false, true}, {"SYSTEM"}, {"FROM"}});
      for (const auto& x : articles) table.add({{x.ref}, {x.title}, {x.system.value_or("-")}, {x.source_ref.value_or("-")}});
      table.render(rt.out(), rt.term());
    });
  });

  auto sh = std::make_shared<KbOptions>();
  auto* show = group->add_subcommand("show", "Show an article");
  show->add_option("ref", sh->ref, "The article (KB-000001)")->required();
  add_json_option(show, sh->out);
  show->callback([&rt, sh] {
    const auto x = rt.read("ticket.read", [&](desk::Session& s) { return kb::get(s.db, sh->ref); });
    print_object(rt, sh->out, kb::to_json(x), [&] { render_article(rt, x); });
  });

  auto se = std::make_shared<KbOptions>();
  auto* search = group->add_subcommand("search", "Search articles (all words), or suggest some for a ticket (--for)");
  search->add_option("text", se->text, "Words to look for");
  search->add_option("--for", se->for_ref, "A ticket: articles that look like it");
  search->add_option("-L,--limit", se->limit, "At most N articles")->default_str("10");
  add_format_option(search, se->out, {"table", "json", "jsonl", "csv", "tsv"});
  search->callback([&rt, se] {
    if (se->text.empty() == se->for_ref.empty()) throw Error(ErrorKind::usage, "give words to search for, or --for TICKET");
    const auto limit = static_cast<std::size_t>(std::max<std::int64_t>(1, se->limit));
    const auto hits = rt.read("ticket.read", [&](desk::Session& s) {
      return se->for_ref.empty() ? kb::search(s.db, se->text, limit)
                                 : kb::suggest(s.db, ticket::normalize_reference(se->for_ref), limit);
    });
    output::Json records = output::Json::array();
    for (const auto& h : hits) {
      auto j = kb::to_json(h.article);
      j["score"] = h.score;
      records.push_back(j);
    }
    auto sample = kb::to_json(kb::Article{});
    sample["score"] = 0.0;
    print_records(rt, se->out, records, sample, [&] {
      if (hits.empty()) {
        rt.out() << "no articles match\n";
        return;
      }
      output::Table table({{"REF"}, {"TITLE", false, true}, {"FIX", false, true}});
      for (const auto& h : hits) {
        std::string fix = h.article.fix;
        std::replace(fix.begin(), fix.end(), '\n', ' ');
        table.add({{h.article.ref}, {h.article.title}, {fix}});
      }
      table.render(rt.out(), rt.term());
    });
  });

  auto ex = std::make_shared<KbOptions>();
  auto* exp = group->add_subcommand("export", "Write every article as Markdown for the training manual");
  exp->add_option("-o,--output", ex->output, "Write to this file (0600) instead of stdout");
  exp->callback([&rt, ex] {
    const auto md = rt.read("ticket.read", [&](desk::Session& s) { return kb::export_markdown(s.db, s.config.desk.name); });
    if (ex->output.empty()) rt.out() << md;
    else core::write_file_atomic(ex->output, md);
  });
}

}  // namespace opsdesk::cli
