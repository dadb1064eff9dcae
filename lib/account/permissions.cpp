#include "account/permissions.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::account {

const std::vector<PermissionInfo>& permissions() {
  static const std::vector<PermissionInfo> k_permissions = {
      {"account.manage", "add, change, disable and remove accounts; grant and revoke permissions"},
      {"audit.read", "read and verify the audit log"},
      {"backup.restore", "restore a backup"},
      {"backup.run", "take, verify and prune backups"},
      {"change.approve", "approve or reject changes"},
      {"dbtune.analyze", "analyse a target database"},
      {"dbtune.apply", "apply, undo and clean up database tuning"},
      {"downtime.manage", "plan and remove downtime windows"},
      {"inspect.run", "run inspections and record their results"},
      {"kb.write", "write knowledge-base articles"},
      {"release.approve", "approve releases"},
      {"report.generate", "write and record service reports"},
      {"sla.extend.approve", "approve or reject SLA extensions"},
      {"sla.extend.request", "ask for an SLA extension"},
      {"ticket.close", "close and cancel tickets"},
      {"ticket.comment", "comment on tickets"},
      {"ticket.create", "open tickets"},
      {"ticket.import", "import tickets"},
      {"ticket.read", "list, show and export tickets"},
      {"ticket.sign", "sign service records"},
      {"ticket.survey", "answer satisfaction surveys"},
      {"ticket.update", "work on tickets: acknowledge, assign, change, resolve, log work, link"},
  };
  return k_permissions;
}

void check_permission_name(std::string_view permission) {
  const auto& all = permissions();
  if (std::any_of(all.begin(), all.end(), [&](const auto& p) { return p.name == permission; })) return;
  std::vector<std::string> names;
  for (const auto& p : all) names.emplace_back(p.name);
  model::throw_unknown("permission", permission, names);
}

bool role_has(store::Db& db, model::Role role, std::string_view permission) {
  return db.one_int("SELECT 1 FROM role_permissions WHERE role = ? AND permission = ?", model::name(role), permission)
      .has_value();
}

std::vector<std::string> role_permissions(store::Db& db, model::Role role) {
  std::vector<std::string> out;
  auto q = db.query("SELECT permission FROM role_permissions WHERE role = ? ORDER BY permission", model::name(role));
  while (q.next()) out.push_back(q.text(0));
  return out;
}

std::vector<model::Role> roles_with(store::Db& db, std::string_view permission) {
  std::vector<model::Role> out;
  for (const auto role : {model::Role::admin, model::Role::manager, model::Role::engineer, model::Role::customer,
                          model::Role::viewer})
    if (role_has(db, role, permission)) out.push_back(role);
  return out;
}

void require(const desk::Session& s, std::string_view permission) {
  if (permission.empty()) return;  // any known account (resolve already refused strangers)
  if (!s.role) {
    if (permission.ends_with(".read")) return;  // nobody is set up yet; reading harms nothing
    throw Error(ErrorKind::permission,
                fmt::format("{} has no account in this store; ask an admin to add it", s.actor));
  }
  if (role_has(s.db, *s.role, permission)) return;
  std::vector<std::string> holders;
  for (const auto role : roles_with(s.db, permission)) holders.emplace_back(model::name(role));
  std::string description;
  for (const auto& p : permissions())
    if (p.name == permission) description = fmt::format(" ({})", p.description);
  throw Error(ErrorKind::permission,
              fmt::format("{} ({}) may not {}{}; roles that may: {}", s.actor, model::name(*s.role), permission,
                          description, holders.empty() ? "none" : core::join(holders, ", ")));
}

}  // namespace opsdesk::account
