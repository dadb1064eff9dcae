#include "config/reader.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"
#include "model/vocabulary.hpp"
#include "store/postgres.hpp"

namespace opsdesk::config {

namespace {

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    default: return "a date or time";
  }
}

std::string shown(const toml::node& n) {
  if (const auto* s = n.as_string()) return fmt::format("\"{}\"", s->get());
  if (const auto* i = n.as_integer()) return std::to_string(i->get());
  if (const auto* b = n.as_boolean()) return b->get() ? "true" : "false";
  if (const auto* f = n.as_floating_point()) return fmt::format("{}", f->get());
  return type_name(n);
}

}  // namespace

Section::Section(const toml::table& table, std::string prefix, std::filesystem::path file)
    : m_table(table), m_prefix(std::move(prefix)), m_file(std::move(file)) {}

std::string Section::dotted(std::string_view key) const {
  return m_prefix.empty() ? std::string(key) : m_prefix + "." + std::string(key);
}

void Section::fail_at(const toml::source_region& where, std::string_view key, const std::string& message) const {
  throw Error(ErrorKind::config,
              fmt::format("{}:{}:{}: {}: {}", m_file.string(), where.begin.line, where.begin.column, dotted(key), message));
}

void Section::fail(std::string_view key, const std::string& message) const {
  const toml::node* n = m_table.get(key);
  fail_at(n ? n->source() : m_table.source(), key, message);
}

const toml::node* Section::take(std::string_view key) {
  m_asked.emplace(key);
  const toml::node* n = m_table.get(key);
  if (n) m_used.emplace(key);
  return n;
}

std::optional<std::string> Section::string(std::string_view key) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  if (!n->is_string()) fail_at(n->source(), key, fmt::format("{}; expected a string", shown(*n)));
  return n->as_string()->get();
}

std::optional<std::string> Section::one_of(std::string_view key, const std::vector<std::string>& allowed) {
  if (const toml::node* n = m_table.get(key); n && !n->is_string())
    fail_at(n->source(), key, fmt::format("{}; expected {}", shown(*n), model::one_of(allowed)));
  auto v = string(key);
  if (v && std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
    std::string message = fmt::format("\"{}\"; expected {}", *v, model::one_of(allowed));
    if (const auto guess = core::closest_match(*v, allowed)) message += fmt::format(" (did you mean {}?)", *guess);
    fail(key, message);
  }
  return v;
}

std::optional<bool> Section::boolean(std::string_view key) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  if (!n->is_boolean()) fail_at(n->source(), key, fmt::format("{}; expected true or false", shown(*n)));
  return n->as_boolean()->get();
}

std::optional<std::int64_t> Section::integer(std::string_view key, std::int64_t min, std::int64_t max) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  if (!n->is_integer() || n->as_integer()->get() < min || n->as_integer()->get() > max)
    fail_at(n->source(), key, fmt::format("{}; expected an integer from {} to {}", shown(*n), min, max));
  return n->as_integer()->get();
}

std::optional<double> Section::number(std::string_view key, double min, double max) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  double v = 0;
  if (n->is_integer()) v = static_cast<double>(n->as_integer()->get());
  else if (n->is_floating_point()) v = n->as_floating_point()->get();
  else fail_at(n->source(), key, fmt::format("{}; expected a number from {} to {}", shown(*n), min, max));
  if (v < min || v > max) fail_at(n->source(), key, fmt::format("{}; expected a number from {} to {}", shown(*n), min, max));
  return v;
}

std::optional<core::Seconds> Section::duration(std::string_view key) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  const auto* s = n->as_string();
  const auto d = s ? core::try_parse_duration(s->get()) : std::nullopt;
  if (!d) fail_at(n->source(), key, fmt::format("{}; expected a duration like 30m, 8h, 2d, 1h30m", shown(*n)));
  return d;
}

std::optional<std::vector<std::string>> Section::strings(std::string_view key, const std::vector<std::string>& allowed) {
  const toml::node* n = take(key);
  if (!n) return std::nullopt;
  const auto* arr = n->as_array();
  if (!arr) fail_at(n->source(), key, fmt::format("{}; expected an array of strings", shown(*n)));
  std::vector<std::string> out;
  for (const auto& el : *arr) {
    const auto* s = el.as_string();
    if (!s) fail_at(el.source(), key, fmt::format("{}; expected a string", shown(el)));
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), s->get()) == allowed.end())
      fail_at(el.source(), key, fmt::format("\"{}\"; expected {}", s->get(), model::one_of(allowed)));
    out.push_back(s->get());
  }
  return out;
}

void Section::table(std::string_view key, const std::function<void(Section&)>& read) {
  const toml::node* n = take(key);
  if (!n) return;
  if (!n->is_table()) fail_at(n->source(), key, fmt::format("{}; expected a table", shown(*n)));
  Section sub(*n->as_table(), dotted(key), m_file);
  read(sub);
  sub.finish();
}

void Section::tables(std::string_view key, const std::function<void(Section&, std::size_t)>& read) {
  const toml::node* n = take(key);
  if (!n) return;
  const auto* arr = n->as_array();
  if (!arr || !arr->is_array_of_tables())
    fail_at(n->source(), key, fmt::format("{}; expected an array of tables ([[{}]])", shown(*n), dotted(key)));
  std::size_t i = 0;
  for (const auto& el : *arr) {
    Section sub(*el.as_table(), fmt::format("{}[{}]", dotted(key), i), m_file);
    read(sub, i);
    sub.finish();
    ++i;
  }
}

void Section::finish() {
  for (auto&& [key, node] : m_table) {
    if (m_used.contains(key.str())) continue;
    std::vector<std::string> known(m_asked.begin(), m_asked.end());
    std::string message = "unknown key";
    if (const auto guess = core::closest_match(key.str(), known)) message += fmt::format(" (did you mean {}?)", *guess);
    fail_at(key.source(), key.str(), message);
  }
}

std::optional<std::string> postgres_url(Section& s, std::string_view key) {
  auto url = s.string(key);
  if (!url) return std::nullopt;
  if (!store::is_postgres_url(*url))
    s.fail(key, fmt::format("\"{}\"; expected a PostgreSQL URL like postgresql://backup@db.example/erp", *url));
  if (store::url_carries_password(*url))
    s.fail(key, "carries a password; put it in ~/.pgpass (or the file $PGPASSFILE names; for the store, also "
                "store.password_file), never in the config");
  return url;
}

}  // namespace opsdesk::config
