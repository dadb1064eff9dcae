#include "account/account.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "account/permissions.hpp"
#include "audit/audit.hpp"
#include "core/error.hpp"
#include "core/strings.hpp"
#include "output/json.hpp"

namespace opsdesk::account {

namespace {

using output::Json;

constexpr std::string_view k_columns =
    "id, name, role, display_name, email, os_user, disabled, leaves_on, created_at, updated_at";

Account read_account(const store::Query& q) {
  Account a;
  a.id = q.int64(0);
  a.name = q.text(1);
  a.role = model::from_name<model::Role>(q.text(2)).value_or(model::Role::viewer);
  a.display_name = q.opt_text(3);
  a.email = q.opt_text(4);
  a.os_user = q.opt_text(5);
  a.disabled = q.int64(6) != 0;
  a.leaves_on = q.opt_int64(7);
  a.created_at = q.int64(8);
  a.updated_at = q.int64(9);
  return a;
}

std::optional<Account> find_by(store::Db& db, std::string_view column, std::string_view value) {
  auto q = db.query(fmt::format("SELECT {} FROM accounts WHERE {} = ?", k_columns, column), value);
  if (!q.next()) return std::nullopt;
  return read_account(q);
}

}  // namespace

Json to_json(const Account& a) {
  auto opt = [](const std::optional<std::string>& s) { return s ? Json(*s) : Json(nullptr); };
  return Json{{"name", a.name},
              {"role", std::string(model::name(a.role))},
              {"display_name", opt(a.display_name)},
              {"email", opt(a.email)},
              {"os_user", opt(a.os_user)},
              {"disabled", a.disabled},
              {"leaves_on", a.leaves_on ? Json(core::format_local(*a.leaves_on).substr(0, 10)) : Json(nullptr)}};
}

namespace {

std::string object_of(std::string_view name) { return fmt::format("account:{}", name); }

void check_name(std::string_view name) {
  const bool ok = !name.empty() && name.size() <= 64 &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                  }) &&
                  name.front() != '-' && name.front() != '.';
  if (!ok)
    throw Error(ErrorKind::data, fmt::format("invalid account name \"{}\"; expected 1-64 lowercase letters, digits, "
                                             "'.', '_' or '-' (like a login name)",
                                             name));
}

void check_text(std::string_view field, const std::optional<std::string>& value) {
  if (value && (!core::is_valid_utf8(*value) || value->size() > 200 || value->find('\0') != std::string::npos))
    throw Error(ErrorKind::data, fmt::format("{} must be valid UTF-8 of at most 200 bytes", field));
}

std::optional<std::string> non_empty(const std::optional<std::string>& v) {
  if (!v || core::trim(*v).empty()) return std::nullopt;
  return std::string(core::trim(*v));
}

void write(store::Db& db, const Account& a) {
  db.run("UPDATE accounts SET role = ?, display_name = ?, email = ?, os_user = ?, disabled = ?, leaves_on = ?, "
         "updated_at = ? WHERE id = ?",
         model::name(a.role), a.display_name, a.email, a.os_user, a.disabled, a.leaves_on, a.updated_at, a.id);
}

std::int64_t insert(store::Db& db, const Account& a) {
  return db
      .one_int("INSERT INTO accounts (name, role, display_name, email, os_user, disabled, leaves_on, created_at, "
               "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
               a.name, model::name(a.role), a.display_name, a.email, a.os_user, a.disabled, a.leaves_on, a.created_at,
               a.updated_at)
      .value();
}

void check_os_user_free(store::Db& db, const std::optional<std::string>& os_user, std::int64_t self) {
  if (!os_user) return;
  if (const auto other = find_by(db, "os_user", *os_user); other && other->id != self)
    throw Error(ErrorKind::failed, fmt::format("login {} already belongs to account {}", *os_user, other->name));
}

// Keep at least one enabled admin who can manage accounts, so nobody is locked out.
void keep_an_admin(store::Db& db, const Account& changed) {
  const auto admins = db.one_int(
      "SELECT count(*) FROM accounts a JOIN role_permissions p ON p.role = a.role AND p.permission = 'account.manage' "
      "WHERE a.disabled = 0 AND a.id != ?",
      changed.id);
  const bool still = !changed.disabled && role_has(db, changed.role, "account.manage");
  if (!still && admins.value_or(0) == 0)
    throw Error(ErrorKind::failed, fmt::format("{} is the last account that can manage accounts; add another admin first",
                                               changed.name));
}

void audit_change(const desk::Session& s, std::string_view action, const Account& before, const Account& after) {
  const Json b = to_json(before);
  const Json a = to_json(after);
  Json db = Json::object();
  Json da = Json::object();
  for (const auto& item : a.items()) {
    if (b[item.key()] != item.value()) {
      db[item.key()] = b[item.key()];
      da[item.key()] = item.value();
    }
  }
  s.audit(action, object_of(after.name), output::dump_compact(db), output::dump_compact(da));
}

}  // namespace

std::optional<Account> find(store::Db& db, std::string_view name) { return find_by(db, "name", name); }

Account get(store::Db& db, std::string_view name) {
  if (auto a = find(db, name)) return *a;
  throw Error(ErrorKind::not_found, fmt::format("no account {}; `opsdesk account list` shows them", name));
}

bool any(store::Db& db) { return db.one_int("SELECT 1 FROM accounts LIMIT 1").has_value(); }

std::vector<Account> list(store::Db& db, bool include_disabled) {
  std::vector<Account> out;
  auto q = db.query(fmt::format("SELECT {} FROM accounts {} ORDER BY name", k_columns,
                                include_disabled ? "" : "WHERE disabled = 0"));
  while (q.next()) out.push_back(read_account(q));
  return out;
}

Actor resolve(store::Db& db, const Identity& who, bool write, core::Timestamp now) {
  std::optional<Account> found;
  if (who.source == Identity::Source::login) found = find_by(db, "os_user", who.name);
  if (!found) found = find(db, who.name);
  if (found) {
    if (found->disabled)
      throw Error(ErrorKind::permission, fmt::format("account {} is disabled; an admin can enable it", found->name));
    return {found->name, found->role, false};
  }
  if (any(db)) {
    const char* how = who.source == Identity::Source::flag          ? "--as"
                      : who.source == Identity::Source::environment ? "OPSDESK_USER"
                                                                    : "your login name";
    throw Error(ErrorKind::permission,
                fmt::format("{} ({}) has no account in this store; ask an admin to run `opsdesk account add {} --role ...`",
                            who.name, how, who.name));
  }
  if (!write) return {who.name, std::nullopt, false};
  check_name(who.name);
  Account a;
  a.name = who.name;
  a.role = model::Role::admin;
  if (who.source == Identity::Source::login) a.os_user = who.name;
  a.created_at = a.updated_at = now;
  a.id = insert(db, a);
  audit::append(db, now, a.name, "account.bootstrap", object_of(a.name), std::nullopt,
                output::dump_compact(to_json(a)));
  return {a.name, a.role, true};
}

Account add(const desk::Session& s, const NewAccount& r) {
  require(s, "account.manage");
  check_name(r.name);
  check_text("display name", r.display_name);
  check_text("email", r.email);
  if (find(s.db, r.name)) throw Error(ErrorKind::failed, fmt::format("account {} already exists", r.name));
  Account a;
  a.name = r.name;
  a.role = r.role;
  a.display_name = non_empty(r.display_name);
  a.email = non_empty(r.email);
  a.os_user = non_empty(r.os_user);
  check_os_user_free(s.db, a.os_user, 0);
  a.created_at = a.updated_at = s.now;
  a.id = insert(s.db, a);
  s.audit("account.add", object_of(a.name), std::nullopt, output::dump_compact(to_json(a)));
  return a;
}

Account set(const desk::Session& s, std::string_view name, const AccountChanges& c) {
  require(s, "account.manage");
  const Account before = get(s.db, name);
  Account a = before;
  if (c.role) a.role = *c.role;
  if (c.display_name) {
    check_text("display name", c.display_name);
    a.display_name = non_empty(c.display_name);
  }
  if (c.email) {
    check_text("email", c.email);
    a.email = non_empty(c.email);
  }
  if (c.os_user) {
    a.os_user = non_empty(c.os_user);
    check_os_user_free(s.db, a.os_user, a.id);
  }
  if (c.leaves_on) a.leaves_on = *c.leaves_on;
  keep_an_admin(s.db, a);
  a.updated_at = s.now;
  write(s.db, a);
  audit_change(s, "account.set", before, a);
  return a;
}

Account set_disabled(const desk::Session& s, std::string_view name, bool disabled) {
  require(s, "account.manage");
  const Account before = get(s.db, name);
  if (before.disabled == disabled) return before;
  Account a = before;
  a.disabled = disabled;
  keep_an_admin(s.db, a);
  a.updated_at = s.now;
  write(s.db, a);
  audit_change(s, disabled ? "account.disable" : "account.enable", before, a);
  return a;
}

void remove(const desk::Session& s, std::string_view name) {
  require(s, "account.manage");
  const Account a = get(s.db, name);
  const auto audited = s.db.one_int("SELECT count(*) FROM audit WHERE actor = ?", a.name).value_or(0);
  const auto events = s.db.one_int("SELECT count(*) FROM ticket_events WHERE actor = ?", a.name).value_or(0);
  const auto assigned = s.db.one_int("SELECT count(*) FROM tickets WHERE assignee = ?", a.name).value_or(0);
  if (audited + events + assigned > 0)
    throw Error(ErrorKind::failed,
                fmt::format("account {} has history ({} audit entries, {} ticket events, {} assigned tickets) and "
                            "is kept as evidence; disable it instead: opsdesk account disable {}",
                            a.name, audited, events, assigned, a.name));
  Account gone = a;
  gone.disabled = true;
  keep_an_admin(s.db, gone);
  s.db.run("DELETE FROM accounts WHERE id = ?", a.id);
  s.audit("account.remove", object_of(a.name), output::dump_compact(to_json(a)), std::nullopt);
}

void grant(const desk::Session& s, model::Role role, std::string_view permission) {
  require(s, "account.manage");
  check_permission_name(permission);
  if (role_has(s.db, role, permission))
    throw Error(ErrorKind::failed, fmt::format("{} already has {}", model::name(role), permission));
  s.db.run("INSERT INTO role_permissions (role, permission) VALUES (?, ?)", model::name(role), permission);
  s.audit("role.grant", fmt::format("role:{}", model::name(role)), std::nullopt, output::dump_compact(Json{{"permission", permission}}));
}

void revoke(const desk::Session& s, model::Role role, std::string_view permission) {
  require(s, "account.manage");
  check_permission_name(permission);
  if (!role_has(s.db, role, permission))
    throw Error(ErrorKind::failed, fmt::format("{} does not have {}", model::name(role), permission));
  // Checked before anything changes, so a refusal leaves nothing to roll back.
  if (permission == "account.manage" &&
      !s.db.one_int("SELECT 1 FROM accounts a JOIN role_permissions p ON p.role = a.role AND "
                    "p.permission = 'account.manage' WHERE a.disabled = 0 AND a.role != ? LIMIT 1",
                    model::name(role)))
    throw Error(ErrorKind::failed, "revoking account.manage from every enabled account would lock everyone out");
  s.db.run("DELETE FROM role_permissions WHERE role = ? AND permission = ?", model::name(role), permission);
  s.audit("role.revoke", fmt::format("role:{}", model::name(role)), output::dump_compact(Json{{"permission", permission}}), std::nullopt);
}

void check_assignable(store::Db& db, std::string_view name) {
  const Account a = get(db, name);
  if (a.disabled) throw Error(ErrorKind::failed, fmt::format("account {} is disabled; assign someone else", a.name));
  if (!role_has(db, a.role, "ticket.update"))
    throw Error(ErrorKind::failed, fmt::format("cannot assign to {}: role {} does not work on tickets (ticket.update)",
                                               a.name, model::name(a.role)));
}

}  // namespace opsdesk::account
