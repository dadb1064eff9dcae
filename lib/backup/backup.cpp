#include "backup/backup.hpp"

#include "core/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <set>

#include "backup/artifact.hpp"
#include "backup/pgdump.hpp"
#include "backup/retention.hpp"
#include "backup/snapshot.hpp"
#include "core/error.hpp"
#include "core/fs.hpp"
#include "core/strings.hpp"
#include "store/postgres.hpp"

extern char** environ;

namespace opsdesk::backup {

namespace fs = std::filesystem;
using output::Json;

namespace {

constexpr std::string_view k_format = "opsdesk-backup-1";
constexpr std::string_view k_columns =
    "id, target, kind, repository, started_at, finished_at, status, error, artifact, size, content_size, "
    "artifact_sha256, content_sha256, encrypted, manifest, verified_at, verified_deep, verify_status, pruned_at";

Backup read(const store::Query& q) {
  Backup b;
  b.id = q.text(0);
  b.target = q.text(1);
  b.kind = q.text(2);
  b.repository = q.text(3);
  b.started_at = q.int64(4);
  b.finished_at = q.int64(5);
  b.status = q.text(6);
  b.error = q.opt_text(7);
  b.artifact = q.opt_text(8).value_or("");
  b.size = q.int64(9);
  b.content_size = q.int64(10);
  b.artifact_sha256 = q.opt_text(11).value_or("");
  b.content_sha256 = q.opt_text(12).value_or("");
  b.encrypted = q.int64(13) != 0;
  b.manifest = q.opt_text(14).value_or("");
  b.verified_at = q.opt_int64(15);
  b.verified_deep = q.int64(16) != 0;
  b.verify_status = q.opt_text(17);
  b.pruned_at = q.opt_int64(18);
  return b;
}

std::string stamp(core::Timestamp t) {
  const auto c = core::to_utc(t);
  return fmt::format("{:04}{:02}{:02}T{:02}{:02}{:02}Z", c.year, c.month, c.day, c.hour, c.minute, c.second);
}

std::optional<Key> key_for(const config::Config& config, const Target& t, bool needed) {
  const std::string file = !t.key_file.empty() ? t.key_file : config.backup.key_file;
  if (file.empty()) {
    if (needed)
      throw Error(ErrorKind::config, fmt::format("target {} says encrypt = true but no key_file is set (in the target or "
                                                 "[backup]); nothing was backed up unencrypted",
                                                 t.name));
    return std::nullopt;
  }
  return load_key(core::expand_home(file));
}

fs::path manifest_path(const fs::path& repo, const std::string& id) { return repo / (id + ".json"); }

Json entries_json(const std::vector<FileEntry>& entries) {
  Json list = Json::array();
  for (const auto& e : entries) {
    Json j{{"path", e.path}, {"type", e.type}, {"mode", fmt::format("{:04o}", e.mode)}, {"mtime", e.mtime}};
    if (e.type == "file") {
      j["size"] = e.size;
      j["sha256"] = e.sha256;
    }
    if (e.type == "symlink") j["link"] = e.link;
    list.push_back(j);
  }
  return list;
}

using core::ScratchDir;

fs::path artifact_path(const Backup& b) { return fs::path(b.repository) / b.artifact; }

// Stream the artifact's content into `sink`; the content's hash must match the manifest.
void read_content(const config::Config& config, const Backup& b, const std::function<void(std::string_view)>& sink) {
  const Target* target = nullptr;
  for (const auto& t : config.backup.targets)
    if (t.name == b.target) target = &t;
  std::optional<Key> key;
  if (b.encrypted) {
    if (!target) throw Error(ErrorKind::config, fmt::format("{} is encrypted and its target {} is not configured any more (its key_file is needed)", b.id, b.target));
    key = key_for(config, *target, true);
  }
  ArtifactReader reader(artifact_path(b), key);
  for (auto chunk = reader.next(); !chunk.empty(); chunk = reader.next()) sink(chunk);
  const auto info = reader.info();
  if (info.content_sha256 != b.content_sha256)
    throw Error(ErrorKind::data, fmt::format("{}: the restored content does not match its manifest (sha256 {}, expected {})",
                                             b.id, info.content_sha256.substr(0, 16), b.content_sha256.substr(0, 16)));
}

bool inside(const fs::path& path, const fs::path& root) {
  const fs::path rel = path.lexically_relative(root);
  return !rel.empty() && *rel.begin() != "..";
}

// A destination the guards allow: in an existing directory reached without symlinks, itself
// not a symlink, not in the backup repository, and inside backup.restore_roots when set.
fs::path checked_destination(const config::Config& config, const Backup& b, const fs::path& to) {
  const fs::path absolute = fs::absolute(to).lexically_normal();
  const fs::path parent = absolute.parent_path();
  std::error_code ec;
  if (!fs::is_directory(parent, ec))
    throw Error(ErrorKind::failed, fmt::format("cannot restore to {}: the directory {} does not exist", to.string(), parent.string()));
  if (fs::canonical(parent, ec) != parent)
    throw Error(ErrorKind::failed, fmt::format("cannot restore to {}: the way there goes through a symlink ({} is {})",
                                               to.string(), parent.string(), fs::canonical(parent, ec).string()));
  struct stat st {};
  if (::lstat(absolute.c_str(), &st) == 0 && S_ISLNK(st.st_mode))
    throw Error(ErrorKind::failed, fmt::format("cannot restore to {}: it is a symlink", to.string()));
  const fs::path repo = fs::weakly_canonical(fs::path(b.repository), ec);
  if (inside(absolute, repo) || absolute == repo)
    throw Error(ErrorKind::failed, fmt::format("cannot restore to {}: it is inside the backup repository {}", to.string(), repo.string()));
  const auto& roots = config.backup.restore_roots;
  if (!roots.empty() && std::none_of(roots.begin(), roots.end(), [&](const std::string& root) {
        return inside(absolute, fs::weakly_canonical(core::expand_home(root), ec));
      }))
    throw Error(ErrorKind::permission, fmt::format("cannot restore to {}: outside backup.restore_roots ({})", to.string(),
                                                   core::join(roots, ", ")));
  return absolute;
}

core::Seconds timeout_of(const config::Config& config, const Backup& b) {
  for (const auto& t : config.backup.targets)
    if (t.name == b.target) return t.timeout.value_or(config.backup.timeout);
  return config.backup.timeout;
}

// The dump of a postgres backup as a file in `dir` for pg_restore (which seeks in it), its
// content hash checked on the way.
fs::path dump_file(const config::Config& config, const Backup& b, const fs::path& dir) {
  const fs::path dump = dir / (b.id + ".pgdump");
  core::AtomicFile file(dump);
  read_content(config, b, [&](std::string_view c) { file.write(c); });
  file.commit();
  return dump;
}

// pg_restore must read the dump's table of contents; `deep` restores it into a scratch database
// on the target's server and compares its tables with the manifest.
std::string verify_postgres(const config::Config& config, const Backup& b, bool deep) {
  const core::Seconds timeout = timeout_of(config, b);
  ScratchDir scratch(b.repository);
  const fs::path dump = dump_file(config, b, scratch.path());
  const auto entries = list_dump(dump, timeout);
  if (!deep) return fmt::format("artifact checksum ok, pg_restore reads its table of contents ({} entries)", entries);
  const auto t = std::find_if(config.backup.targets.begin(), config.backup.targets.end(), [&](const Target& x) { return x.name == b.target; });
  if (t == config.backup.targets.end() || t->kind != "postgres")
    throw Error(ErrorKind::config, fmt::format("the restore drill of {} runs on the server of its target {}, which is not configured "
                                               "as a postgres target any more", b.id, b.target));
  const auto tables = drill_postgres(t->url, dump, timeout);
  const Json manifest = b.manifest.empty() ? Json::object() : Json::parse(b.manifest);
  const std::int64_t recorded = manifest.contains("postgres") ? manifest["postgres"].value("tables", std::int64_t{-1}) : -1;
  if (recorded >= 0 ? tables != recorded : tables == 0)
    throw Error(ErrorKind::data, fmt::format("the restore drill restored {} tables, {} recorded", tables,
                                             recorded >= 0 ? std::to_string(recorded) : "none"));
  return fmt::format("restore drill ok: {} table{} restored into a scratch database on the server of {} (as recorded), "
                     "dropped again",
                     tables, tables == 1 ? "" : "s", store::redact_url(t->url));
}

// A postgres backup restored into the database at `url`, which must be empty unless `replace`.
Restored restore_database(const config::Config& config, const Backup& b, const std::string& url, bool replace) {
  const core::Seconds timeout = timeout_of(config, b);
  const std::string shown = store::redact_url(url);
  const auto existing = relations_in(url, timeout);
  if (existing > 0 && !replace)
    throw Error(ErrorKind::failed, fmt::format("{} is not empty ({} relation{}); restore into an empty database or pass --force "
                                               "(what the backup holds is replaced, other objects stay)",
                                               shown, existing, existing == 1 ? "" : "s"));
  ScratchDir scratch(b.repository);
  restore_postgres(url, dump_file(config, b, scratch.path()), existing > 0, timeout);
  Restored r;
  r.path = shown;
  r.detail = fmt::format("{} restored into {}", b.id, shown);
  return r;
}

}  // namespace

Json to_json(const Backup& b) {
  auto time = [](const std::optional<core::Timestamp>& t) { return t ? Json(core::format_rfc3339(*t)) : Json(nullptr); };
  return Json{{"id", b.id},
              {"target", b.target},
              {"kind", b.kind},
              {"status", b.status},
              {"error", b.error ? Json(*b.error) : Json(nullptr)},
              {"started_at", core::format_rfc3339(b.started_at)},
              {"finished_at", core::format_rfc3339(b.finished_at)},
              {"repository", b.repository},
              {"artifact", b.artifact.empty() ? Json(nullptr) : Json(b.artifact)},
              {"size", b.size},
              {"content_size", b.content_size},
              {"artifact_sha256", b.artifact_sha256.empty() ? Json(nullptr) : Json(b.artifact_sha256)},
              {"content_sha256", b.content_sha256.empty() ? Json(nullptr) : Json(b.content_sha256)},
              {"encrypted", b.encrypted},
              {"verified_at", time(b.verified_at)},
              {"verified_deep", b.verified_deep},
              {"verify_status", b.verify_status ? Json(*b.verify_status) : Json(nullptr)},
              {"pruned_at", time(b.pruned_at)}};
}

fs::path repository_of(const config::Config& config, const Target& t) {
  if (!t.repository.empty()) return core::expand_home(t.repository);
  if (!config.backup.repository.empty()) return core::expand_home(config.backup.repository);
  return core::xdg_data_home() / "opsdesk" / "backups";
}

const Target& find_target(const config::Config& config, std::string_view name) {
  std::vector<std::string> names;
  for (const auto& t : config.backup.targets) {
    if (t.name == name) return t;
    names.push_back(t.name);
  }
  if (names.empty())
    throw Error(ErrorKind::not_found, fmt::format("no backup target {}: none is configured ([[backup.targets]])", name));
  model::throw_unknown("backup target", name, names);
}

RunOutcome take_backup(const config::Config& config, const Target& t, core::Timestamp now, const Progress& progress) {
  const auto started = std::chrono::steady_clock::now();
  RunOutcome out;
  Backup& b = out.backup;
  b.target = t.name;
  b.kind = t.kind;
  b.started_at = now;
  b.encrypted = t.encrypt;
  const fs::path repo = repository_of(config, t);
  b.repository = repo.string();
  b.id = fmt::format("{}-{}", t.name, stamp(now));
  auto elapsed = [&] {
    return static_cast<core::Timestamp>(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started).count());
  };
  try {
    core::make_private_dirs(repo);
    for (int n = 2; fs::exists(manifest_path(repo, b.id)); ++n) b.id = fmt::format("{}-{}-{}", t.name, stamp(now), n);
    const auto key = key_for(config, t, t.encrypt);
    b.artifact = b.id + (t.encrypt ? ".zst.enc" : ".zst");
    const int level = t.compression_level.value_or(config.backup.compression_level);
    ArtifactWriter writer(repo / b.artifact, level, config.backup.threads, t.encrypt ? key : std::nullopt);
    std::optional<std::uint64_t> total;
    std::uint64_t done = 0;
    if (t.kind == "sqlite") {
      std::error_code ec;
      const auto size = fs::file_size(core::expand_home(t.path), ec);
      if (!ec) total = size;
    }
    if (progress) progress(0, total);
    const auto sink = [&](std::string_view chunk) {
      writer.write(chunk);
      done += chunk.size();
      if (progress) progress(done, total);
    };
    Json manifest{{"format", k_format}, {"id", b.id}, {"target", t.name}, {"kind", t.kind}};
    if (!t.system.empty()) manifest["system"] = t.system;
    const core::Seconds timeout = t.timeout.value_or(config.backup.timeout);
    if (t.kind == "sqlite") {
      const auto f = snapshot_sqlite(core::expand_home(t.path), timeout, config.backup.memory_snapshot_limit, repo, sink);
      Json tables = Json::object();
      for (const auto& [name, rows] : f.row_counts) tables[name] = rows;
      manifest["sqlite"] = Json{{"source", t.path}, {"page_count", f.page_count}, {"page_size", f.page_size},
                                {"schema_sha256", f.schema_sha256}, {"row_counts", tables}};
    } else if (t.kind == "files") {
      std::vector<std::string> paths;
      for (const auto& p : t.paths) paths.push_back(core::expand_home(p).string());
      manifest["files"] = Json{{"paths", t.paths}, {"exclude", t.exclude}, {"entries", entries_json(write_tar(paths, t.exclude, sink))}};
    } else if (t.kind == "postgres") {
      const auto facts = dump_postgres(t.url, timeout, sink);
      manifest["postgres"] = Json{{"database", store::redact_url(t.url)}, {"server_version", facts.server_version},
                                  {"tables", facts.tables}};
    } else {
      core::run_checked(t.argv, std::chrono::seconds(timeout), sink);
      manifest["command"] = Json{{"argv", t.argv}};
    }
    const auto info = writer.finish();
    // Fail closed: an encrypted target's artifact must begin as an encrypted one.
    if (t.encrypt && !looks_encrypted(repo / b.artifact)) {
      fs::remove(repo / b.artifact);
      throw Error(ErrorKind::internal, fmt::format("{} was written without encryption; it was removed", b.artifact));
    }
    b.size = static_cast<std::int64_t>(info.artifact_size);
    b.content_size = static_cast<std::int64_t>(info.content_size);
    b.artifact_sha256 = info.artifact_sha256;
    b.content_sha256 = info.content_sha256;
    b.finished_at = now + elapsed();
    b.status = "ok";
    manifest["created_at"] = core::format_rfc3339(b.started_at);
    manifest["finished_at"] = core::format_rfc3339(b.finished_at);
    manifest["opsdesk_version"] = OPSDESK_VERSION;
    manifest["artifact"] = Json{{"file", b.artifact}, {"size", b.size}, {"sha256", b.artifact_sha256},
                                {"compression", "zstd"}, {"level", level}, {"encrypted", t.encrypt}};
    manifest["content"] = Json{{"size", b.content_size}, {"sha256", b.content_sha256}};
    b.manifest = output::dump_compact(manifest);
    // The manifest last: until it exists the backup does not.
    try {
      core::write_file_atomic(manifest_path(repo, b.id), manifest.dump(2) + "\n");
    } catch (...) {
      std::error_code ec;
      fs::remove(repo / b.artifact, ec);
      throw;
    }
  } catch (const Error& e) {
    b.status = "failed";
    b.error = e.what();
    b.artifact.clear();
    b.size = b.content_size = 0;
    b.manifest.clear();
    b.finished_at = now + elapsed();
    b.id = fmt::format("{}-failed-{}", b.id, b.finished_at);  // the planned id stays free for a run that succeeds
    out.failure = e.kind();
  }
  return out;
}

void record_backup(const desk::Session& s, const Backup& b) {
  s.db.run("INSERT INTO backups (id, target, kind, repository, started_at, finished_at, status, error, artifact, size, "
           "content_size, artifact_sha256, content_sha256, encrypted, manifest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
           "?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
           b.id, b.target, b.kind, b.repository,
           b.started_at, b.finished_at, b.status, b.error, b.artifact.empty() ? std::nullopt : std::optional(b.artifact),
           b.size, b.content_size, b.artifact_sha256.empty() ? std::nullopt : std::optional(b.artifact_sha256),
           b.content_sha256.empty() ? std::nullopt : std::optional(b.content_sha256), b.encrypted,
           b.manifest.empty() ? std::nullopt : std::optional(b.manifest));
  s.audit("backup.run", fmt::format("backup:{}", b.id), std::nullopt,
          output::dump_compact(Json{{"target", b.target}, {"status", b.status}, {"size", b.size},
                                    {"error", b.error ? Json(*b.error) : Json(nullptr)}}));
}

std::vector<Backup> list(store::Db& db, const ListFilter& f) {
  std::string sql = fmt::format("SELECT {} FROM backups WHERE 1 = 1", k_columns);
  std::vector<store::Param> params;
  if (f.target) {
    sql += " AND target = ?";
    params.emplace_back(*f.target);
  }
  if (!f.include_failed) sql += " AND status = 'ok'";
  if (!f.include_pruned) sql += " AND pruned_at IS NULL";
  std::vector<Backup> out;
  auto q = db.query_with(sql + " ORDER BY started_at, id", params);
  while (q.next()) out.push_back(read(q));
  return out;
}

std::optional<Backup> find(store::Db& db, std::string_view id) {
  auto q = db.query(fmt::format("SELECT {} FROM backups WHERE id = ?", k_columns), id);
  if (!q.next()) return std::nullopt;
  return read(q);
}

Backup get(store::Db& db, std::string_view id) {
  if (auto b = find(db, id)) return *b;
  throw Error(ErrorKind::not_found, fmt::format("no backup {}; `opsdesk backup list` shows them", id));
}

std::vector<Backup> rescan(const desk::Session& s) {
  std::set<fs::path> repos;
  for (const auto& t : s.config.backup.targets) repos.insert(repository_of(s.config, t));
  std::vector<Backup> found;
  for (const auto& repo : repos) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(repo, ec)) {
      if (entry.path().extension() != ".json" || entry.path().filename().string().starts_with(".")) continue;
      Json m;
      try {
        m = Json::parse(core::read_file(entry.path()));
      } catch (...) {
        continue;  // not a manifest
      }
      if (m.value("format", "") != k_format) continue;
      Backup b;
      b.id = m.value("id", "");
      b.target = m.value("target", "");
      b.kind = m.value("kind", "");
      b.repository = repo.string();
      b.started_at = core::try_parse_time(m.value("created_at", ""), 0).value_or(0);
      b.finished_at = core::try_parse_time(m.value("finished_at", ""), 0).value_or(b.started_at);
      b.status = "ok";
      const auto& art = m["artifact"];
      b.artifact = art.value("file", "");
      b.size = art.value("size", std::int64_t{0});
      b.artifact_sha256 = art.value("sha256", "");
      b.encrypted = art.value("encrypted", false);
      b.content_size = m["content"].value("size", std::int64_t{0});
      b.content_sha256 = m["content"].value("sha256", "");
      b.manifest = output::dump_compact(m);
      if (b.id.empty() || !fs::exists(repo / b.artifact)) continue;
      if (!find(s.db, b.id)) record_backup(s, b);
      found.push_back(b);
    }
  }
  // Indexed backups whose files are gone are no longer restorable.
  for (const auto& b : list(s.db, {})) {
    if (!fs::exists(artifact_path(b)) || !fs::exists(manifest_path(b.repository, b.id))) {
      s.db.run("UPDATE backups SET pruned_at = ?, verify_status = 'missing' WHERE id = ?", s.now, b.id);
      s.audit("backup.missing", fmt::format("backup:{}", b.id), std::nullopt, "{}");
    }
  }
  return found;
}

Verification verify(const config::Config& config, const Backup& b, bool deep, bool quick) {
  Verification v{b.id, false, deep, ""};
  try {
    if (!fs::exists(manifest_path(b.repository, b.id))) throw Error(ErrorKind::data, "its manifest is missing");
    const std::string sum = [&] {
      std::ifstream in(artifact_path(b), std::ios::binary);
      if (!in) throw Error(ErrorKind::data, fmt::format("its artifact {} is missing", artifact_path(b).string()));
      core::Sha256 h;
      std::vector<char> buf(1 << 20);
      while (in) {
        in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
        if (in.gcount() > 0) h.update({buf.data(), static_cast<std::size_t>(in.gcount())});
      }
      return h.hex();
    }();
    if (sum != b.artifact_sha256)
      throw Error(ErrorKind::data, fmt::format("the artifact's SHA-256 is {} but {} was recorded", sum.substr(0, 16), b.artifact_sha256.substr(0, 16)));
    if (b.kind == "postgres") {
      v.detail = verify_postgres(config, b, deep);
      v.ok = true;
      return v;
    }
    if (!deep) {
      v.ok = true;
      v.detail = "artifact checksum ok";
      return v;
    }
    const Json manifest = b.manifest.empty() ? Json::object() : Json::parse(b.manifest);
    ScratchDir drill(b.repository);
    if (b.kind == "sqlite") {
      const fs::path db = drill.path() / "restored.db";
      {
        core::AtomicFile file(db);
        read_content(config, b, [&](std::string_view c) { file.write(c); });
        file.commit();
      }
      const auto problems = integrity_problems(db, quick);
      if (!problems.empty())
        throw Error(ErrorKind::data, fmt::format("{} of the restored database: {}", quick ? "quick_check" : "integrity_check", problems.front()));
      const auto facts = sqlite_facts(db);
      const Json expected = manifest.contains("sqlite") ? manifest["sqlite"]["row_counts"] : Json::object();
      for (const auto& [table, rows] : facts.row_counts) {
        if (!expected.contains(table) || expected[table] != Json(rows))
          throw Error(ErrorKind::data, fmt::format("table {} has {} rows restored, {} recorded", table, rows,
                                                   expected.contains(table) ? output::dump_compact(expected[table]) : "none"));
      }
      if (facts.row_counts.size() != expected.size())
        throw Error(ErrorKind::data, "the restored database has other tables than recorded");
      v.detail = fmt::format("restore drill ok: {} ok, {} table{} with the recorded row counts",
                             quick ? "quick_check" : "integrity_check", facts.row_counts.size(),
                             facts.row_counts.size() == 1 ? "" : "s");
    } else if (b.kind == "files") {
      // The archive is extracted as it streams out of the artifact.
      std::string pending;
      ArtifactReader reader(artifact_path(b), b.encrypted ? key_for(config, find_target(config, b.target), true) : std::nullopt);
      const auto extracted = extract_tar([&] { return reader.next(); }, drill.path());
      if (reader.info().content_sha256 != b.content_sha256) throw Error(ErrorKind::data, "the restored archive does not match its manifest");
      std::map<std::string, std::string> hashes;
      for (const auto& e : extracted)
        if (e.type == "file") hashes[e.path] = e.sha256;
      std::size_t files = 0;
      for (const auto& e : manifest["files"]["entries"]) {
        if (e.value("type", "") != "file") continue;
        ++files;
        const auto it = hashes.find(e.value("path", ""));
        if (it == hashes.end()) throw Error(ErrorKind::data, fmt::format("{} is missing from the restored files", e.value("path", "")));
        if (it->second != e.value("sha256", "")) throw Error(ErrorKind::data, fmt::format("{} restored with other content", it->first));
      }
      v.detail = fmt::format("restore drill ok: {} file{} with the recorded SHA-256", files, files == 1 ? "" : "s");
    } else {
      read_content(config, b, [](std::string_view) {});
      v.detail = "restore drill ok: the dump decompresses to its recorded SHA-256";
    }
    v.ok = true;
  } catch (const Error& e) {
    v.ok = false;
    v.detail = e.what();
  }
  return v;
}

void record_verification(const desk::Session& s, const Backup& b, const Verification& v) {
  const std::string status = v.ok ? "ok" : "corrupt";
  s.db.run("UPDATE backups SET verified_at = ?, verified_deep = ?, verify_status = ? WHERE id = ?", s.now, v.ok && v.deep,
           status, b.id);
  if (v.ok && v.deep) {
    s.db.run("INSERT INTO backup_targets (target, last_verified_id, last_verified_created_at, last_verified_at) "
             "VALUES (?, ?, ?, ?) ON CONFLICT (target) DO UPDATE SET last_verified_id = excluded.last_verified_id, "
             "last_verified_created_at = excluded.last_verified_created_at, last_verified_at = excluded.last_verified_at "
             "WHERE excluded.last_verified_created_at >= coalesce(backup_targets.last_verified_created_at, 0)",
             b.target, b.id, b.started_at, s.now);
  }
  s.audit("backup.verify", fmt::format("backup:{}", b.id), std::nullopt,
          output::dump_compact(Json{{"deep", v.deep}, {"ok", v.ok}, {"detail", v.detail}}));
}

Restored restore(const config::Config& config, const Backup& b, const RestoreOptions& o, core::Timestamp now,
                 const std::function<void(const Backup&)>& record_safety) {
  if (b.status != "ok" || b.pruned_at) throw Error(ErrorKind::failed, fmt::format("{} cannot be restored: it is {}", b.id, b.pruned_at ? "pruned" : b.status));
  Restored r;
  if (o.in_place) {
    if (b.kind != "sqlite" && b.kind != "postgres") throw Error(ErrorKind::usage, "--in-place is for sqlite and postgres targets");
    const Target& t = find_target(config, b.target);
    // First a backup of what is there now, so that the restore can itself be undone.
    auto safety = take_backup(config, t, now);
    if (safety.failure) throw Error(*safety.failure, fmt::format("the safety backup before restoring failed, nothing restored: {}", *safety.backup.error));
    record_safety(safety.backup);
    if (b.kind == "postgres") {
      r = restore_database(config, b, t.url, true);
      r.safety_backup = safety.backup.id;
      r.detail = fmt::format("{} restored over {} (a safety backup {} was taken first)", b.id, r.path.string(), *r.safety_backup);
      return r;
    }
    r.safety_backup = safety.backup.id;
    const fs::path live = core::expand_home(t.path);
    ScratchDir temp(live.parent_path());
    const fs::path copy = temp.path() / "restored.db";
    {
      core::AtomicFile file(copy);
      read_content(config, b, [&](std::string_view c) { file.write(c); });
      file.commit();
    }
    // Through SQLite's own backup API, so the live database's locks and WAL are respected.
    copy_sqlite(copy, live, t.timeout.value_or(config.backup.timeout));
    r.path = live;
    r.detail = fmt::format("{} restored over {} (a safety backup {} was taken first)", b.id, live.string(), *r.safety_backup);
    return r;
  }
  if (o.to.empty()) throw Error(ErrorKind::usage, "give --to PATH (or --in-place for a sqlite or postgres target)");
  // A database is no path: restore_roots and the file guards are for files.
  const std::string to = o.to.string();
  if (b.kind == "postgres") {
    if (!store::is_postgres_url(to))
      throw Error(ErrorKind::usage, fmt::format("{} is a postgres backup: restore it --to postgresql://USER@HOST/DATABASE (an empty "
                                                "database), not to {}", b.id, to));
    if (store::url_carries_password(to))
      throw Error(ErrorKind::usage, fmt::format("--to {} carries a password; put it in ~/.pgpass (or $PGPASSFILE) instead",
                                                store::redact_url(to)));
    return restore_database(config, b, to, o.force);
  }
  if (store::is_postgres_url(to))
    throw Error(ErrorKind::usage, fmt::format("{} is a {} backup; only postgres backups are restored into a database", b.id, b.kind));
  const fs::path dest = checked_destination(config, b, o.to);
  std::error_code ec;
  const bool exists = fs::exists(fs::symlink_status(dest, ec));
  if (b.kind == "files") {
    if (exists && !(fs::is_directory(dest, ec) && fs::is_empty(dest, ec)) && !o.force)
      throw Error(ErrorKind::failed, fmt::format("{} exists and is not empty; restore elsewhere or pass --force", dest.string()));
    ScratchDir temp(dest.parent_path());
    ArtifactReader reader(artifact_path(b), b.encrypted ? key_for(config, find_target(config, b.target), true) : std::nullopt);
    const auto entries = extract_tar([&] { return reader.next(); }, temp.path());
    if (reader.info().content_sha256 != b.content_sha256) throw Error(ErrorKind::data, fmt::format("{}: the archive does not match its manifest", b.id));
    ::chmod(temp.path().c_str(), 0700);
    if (exists) {
      const fs::path old = dest.parent_path() / ("." + dest.filename().string() + ".replaced-" + std::to_string(now));
      fs::rename(dest, old);
      fs::rename(temp.release(), dest);
      fs::remove_all(old, ec);
    } else {
      fs::rename(temp.release(), dest);
    }
    r.path = dest;
    r.detail = fmt::format("{} entries of {} restored into {}", entries.size(), b.id, dest.string());
    return r;
  }
  if (exists && !o.force) throw Error(ErrorKind::failed, fmt::format("{} exists; restore elsewhere or pass --force", dest.string()));
  if (exists && fs::is_directory(dest, ec)) throw Error(ErrorKind::failed, fmt::format("{} is a directory", dest.string()));
  core::AtomicFile file(dest);
  read_content(config, b, [&](std::string_view c) { file.write(c); });
  file.commit();
  r.path = dest;
  r.detail = fmt::format("{} restored to {}", b.id, dest.string());
  return r;
}

void record_restore(const desk::Session& s, const Backup& b, const Restored& r) {
  s.db.run("INSERT INTO backup_restores (backup_id, to_path, at, actor, in_place, safety_backup) VALUES (?, ?, ?, ?, ?, ?)",
           b.id, r.path.string(), s.now, s.actor, r.safety_backup.has_value(), r.safety_backup);
  s.audit("backup.restore", fmt::format("backup:{}", b.id), std::nullopt,
          output::dump_compact(Json{{"to", r.path.string()}, {"safety_backup", r.safety_backup ? Json(*r.safety_backup) : Json(nullptr)}}));
}

std::vector<PruneDecision> plan_prune(store::Db& db, const config::Config& config, const std::optional<std::string>& only,
                                      core::Timestamp now) {
  std::vector<PruneDecision> plan;
  const auto verified = [&] {
    std::map<std::string, std::string> ids;
    auto q = db.query("SELECT target, last_verified_id FROM backup_targets WHERE last_verified_id IS NOT NULL");
    while (q.next()) ids[q.text(0)] = q.text(1);
    return ids;
  }();
  std::set<std::string> targets;
  for (const auto& b : list(db, {})) targets.insert(b.target);
  if (only) targets = {*only};
  for (const auto& name : targets) {
    const Target* t = nullptr;
    for (const auto& x : config.backup.targets)
      if (x.name == name) t = &x;
    const auto& policy = t && t->retention ? *t->retention : config.backup.retention;
    ListFilter f;
    f.target = name;
    const auto backups = list(db, f);
    std::vector<core::Timestamp> times;
    std::vector<bool> protect;
    for (const auto& b : backups) {
      times.push_back(b.started_at);
      protect.push_back(verified.contains(name) && verified.at(name) == b.id);
    }
    for (const auto& d : apply_retention(times, protect, policy, now)) plan.push_back({backups[d.index], d.keep, d.reasons});
  }
  std::sort(plan.begin(), plan.end(), [](const PruneDecision& a, const PruneDecision& b) {
    return a.backup.target != b.backup.target ? a.backup.target < b.backup.target : a.backup.started_at > b.backup.started_at;
  });
  return plan;
}

void prune(const desk::Session& s, const std::vector<PruneDecision>& plan) {
  for (const auto& d : plan) {
    if (d.keep) continue;
    std::error_code ec;
    fs::remove(manifest_path(d.backup.repository, d.backup.id), ec);  // the manifest first: unlisted at once
    fs::remove(artifact_path(d.backup), ec);
    s.db.run("UPDATE backups SET pruned_at = ? WHERE id = ?", s.now, d.backup.id);
    s.audit("backup.prune", fmt::format("backup:{}", d.backup.id), std::nullopt,
            output::dump_compact(Json{{"target", d.backup.target}, {"started_at", core::format_rfc3339(d.backup.started_at)}}));
  }
}

std::map<std::string, core::Timestamp> last_verified(store::Db& db) {
  std::map<std::string, core::Timestamp> out;
  auto q = db.query("SELECT target, last_verified_created_at FROM backup_targets WHERE last_verified_created_at IS NOT NULL");
  while (q.next()) out[q.text(0)] = q.int64(1);
  return out;
}

}  // namespace opsdesk::backup
