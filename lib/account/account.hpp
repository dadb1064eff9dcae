#pragma once
// The people of the desk: accounts with a role, how a command's actor is found among them, and
// the staff changes the contract asks to announce three days ahead.
#include <optional>
#include <string>
#include <vector>

#include "core/time.hpp"
#include "desk/session.hpp"
#include "model/vocabulary.hpp"
#include "output/json.hpp"
#include "store/db.hpp"

namespace opsdesk::account {

struct Account {
  std::int64_t id = 0;
  std::string name;
  model::Role role = model::Role::viewer;
  std::optional<std::string> display_name;
  std::optional<std::string> email;
  std::optional<std::string> os_user;
  bool disabled = false;
  std::optional<core::Timestamp> leaves_on;  // a planned departure (local midnight of that day)
  core::Timestamp created_at = 0;
  core::Timestamp updated_at = 0;
};

// The JSON contract of an account (name, role, display_name, email, os_user, disabled, leaves_on).
output::Json to_json(const Account& account);

// Who is acting, as the command line said: a name and where it came from.
struct Identity {
  std::string name;
  enum class Source { flag, environment, login } source = Source::login;
};

struct Actor {
  std::string name;                 // the account's name
  std::optional<model::Role> role;  // empty: a store without accounts, read-only
  bool bootstrapped = false;        // this command made the first account (admin)
};

// Find the actor among the accounts. A login name matches an account's os_user, then its name.
// With `write` in a store without accounts, the actor becomes its first account, an admin
// (audited as account.bootstrap). Error(permission) for an unknown or disabled account.
Actor resolve(store::Db& db, const Identity& who, bool write, core::Timestamp now);

std::optional<Account> find(store::Db& db, std::string_view name);
Account get(store::Db& db, std::string_view name);  // Error(not_found)
std::vector<Account> list(store::Db& db, bool include_disabled);
bool any(store::Db& db);

struct NewAccount {
  std::string name;
  model::Role role = model::Role::engineer;
  std::optional<std::string> display_name;
  std::optional<std::string> email;
  std::optional<std::string> os_user;
};
Account add(const desk::Session& s, const NewAccount& request);

// Engaged fields change; an engaged empty string clears display_name/email/os_user.
struct AccountChanges {
  std::optional<model::Role> role;
  std::optional<std::string> display_name;
  std::optional<std::string> email;
  std::optional<std::string> os_user;
  std::optional<std::optional<core::Timestamp>> leaves_on;  // engaged nullopt: no departure planned
};
Account set(const desk::Session& s, std::string_view name, const AccountChanges& changes);
Account set_disabled(const desk::Session& s, std::string_view name, bool disabled);
// Only an account without history (no audit entries, ticket events or assignments); otherwise
// Error(failed) pointing to `disable`.
void remove(const desk::Session& s, std::string_view name);

void grant(const desk::Session& s, model::Role role, std::string_view permission);
void revoke(const desk::Session& s, model::Role role, std::string_view permission);

// Error(not_found)/Error(failed) unless `name` is an enabled account that may work on tickets.
void check_assignable(store::Db& db, std::string_view name);

}  // namespace opsdesk::account
