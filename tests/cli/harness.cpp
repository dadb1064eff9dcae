#include "harness.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace opsdesk::test {

nlohmann::ordered_json Result::json() const {
  try {
    return nlohmann::ordered_json::parse(out);
  } catch (const std::exception& e) {
    FAIL("stdout is not JSON: ", e.what(), "\nstdout: ", out, "\nstderr: ", err);
  }
  return {};
}

Result run_program(const std::vector<std::string>& argv, const std::string& input,
                   const std::map<std::string, std::string>& env, const std::filesystem::path& cwd) {
  std::map<std::string, std::string> vars;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  for (const auto& [k, v] : env) {
    if (v.empty()) vars.erase(k);
    else vars[k] = v;
  }
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : vars) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> cargv;
  for (auto& a : args) cargv.push_back(a.data());
  cargv.push_back(nullptr);

  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) throw std::runtime_error("pipe");
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  std::string dir = cwd.string();
  if (!dir.empty()) posix_spawn_file_actions_addchdir_np(&fa, dir.c_str());
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, cargv[0], &fa, nullptr, cargv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (rc != 0) throw std::runtime_error(std::string("cannot run ") + argv[0] + ": " + std::strerror(rc));

  Result r;
  std::size_t written = 0;
  int in_fd = in[1];
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  bool out_open = true, err_open = true;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3];
    int n = 0;
    if (out_open) fds[n++] = {out[0], POLLIN, 0};
    if (err_open) fds[n++] = {err[0], POLLIN, 0};
    if (in_fd >= 0) fds[n++] = {in_fd, POLLOUT, 0};
    if (poll(fds, static_cast<nfds_t>(n), -1) < 0) continue;
    for (int i = 0; i < n; ++i) {
      if (!fds[i].revents) continue;
      if (fds[i].fd == in_fd) {
        const ssize_t w = write(in_fd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 || written == input.size()) {
          close(in_fd);
          in_fd = -1;
        }
        continue;
      }
      const ssize_t got = read(fds[i].fd, buf, sizeof buf);
      if (got <= 0) {
        if (fds[i].fd == out[0]) out_open = false;
        else err_open = false;
        continue;
      }
      (fds[i].fd == out[0] ? r.out : r.err).append(buf, static_cast<std::size_t>(got));
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out[0]);
  close(err[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

const std::string& pg_server() {
  static const std::string server = [] {
    const char* v = std::getenv("OPSDESK_TEST_PG");
    return std::string(v ? v : "");
  }();
  return server;
}

std::string pg_url(const std::string& server, const std::string& name) {
  const auto q = server.find('?');
  const auto base = server.substr(0, q);
  return base + (base.ends_with("/") ? "" : "/") + name + (q == std::string::npos ? "" : server.substr(q));
}

namespace {

Result psql(const std::string& url, const std::string& statement) {
  return run_program({"psql", "-X", "-q", "-t", "-A", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", statement});
}

}  // namespace

Sandbox::Sandbox() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "opsdesk-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
  dir = tmpl;
  db = dir / "opsdesk.db";
  if (on_postgres()) {
    pg_database = "t_" + dir.filename().string().substr(std::string("opsdesk-test-").size());
    for (auto& c : pg_database) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto r = psql(pg_url(pg_server(), "postgres"), "CREATE DATABASE " + pg_database);
    if (r.code != 0) throw std::runtime_error("cannot create the test database: " + r.err);
    db = pg_url(pg_server(), pg_database);
  }
  config = dir / "config.toml";
  write_config("");
  env = {{"HOME", dir.string()}, {"XDG_CONFIG_HOME", (dir / "xdg-config").string()},
         {"XDG_DATA_HOME", (dir / "xdg-data").string()}, {"OPSDESK_DB", ""}, {"OPSDESK_CONFIG", ""},
         {"OPSDESK_NOW", ""}, {"TZ", "UTC"}, {"NO_COLOR", ""}, {"COLUMNS", ""}};
}

Sandbox::~Sandbox() {
  if (!pg_database.empty()) psql(pg_url(pg_server(), "postgres"), "DROP DATABASE IF EXISTS " + pg_database + " WITH (FORCE)");
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

Result Sandbox::run_env(const std::map<std::string, std::string>& extra, const std::vector<std::string>& args,
                        const std::string& input) const {
  std::vector<std::string> argv = {OPSDESK_BIN, "--db", db.string(), "--config", config.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  auto vars = env;
  vars["OPSDESK_USER"] = actor;
  for (const auto& [k, v] : extra) vars[k] = v;
  return run_program(argv, input, vars, dir);
}

Result Sandbox::run(const std::vector<std::string>& args, const std::string& input) const { return run_env({}, args, input); }

Result Sandbox::run_as(const std::string& who, const std::vector<std::string>& args, const std::string& input) const {
  return run_env({{"OPSDESK_USER", who}}, args, input);
}

Result Sandbox::sql(const std::string& statement) const {
  if (on_postgres()) return psql(db.string(), statement);
  return run_program({SQLITE3_BIN, db.string(), statement}, "", {}, dir);
}

std::string Sandbox::store_bytes() const {
  if (on_postgres()) {
    const auto r = run_program({"pg_dump", "--no-owner", "-d", db.string()});
    if (r.code != 0) throw std::runtime_error("pg_dump: " + r.err);
    std::istringstream lines(r.out);
    std::string out, line;
    while (std::getline(lines, line))  // (a random key each time)
      if (!line.starts_with("\\restrict") && !line.starts_with("\\unrestrict")) out += line + '\n';
    return out;
  }
  std::ifstream f(db, std::ios::binary);
  std::ostringstream bytes;
  bytes << f.rdbuf();
  return bytes.str();
}

void Sandbox::write_config(const std::string& toml) const { write_file(config, toml); }

void Sandbox::write_file(const std::filesystem::path& name, const std::string& content) const {
  std::ofstream f(name.is_absolute() ? name : dir / name, std::ios::binary);
  f << content;
}

std::string new_ticket(const Sandbox& s, const std::vector<std::string>& args) {
  std::vector<std::string> full = {"ticket", "new"};
  full.insert(full.end(), args.begin(), args.end());
  const auto r = s.run(full);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  std::string ref = r.out;
  while (!ref.empty() && (ref.back() == '\n' || ref.back() == ' ')) ref.pop_back();
  return ref;
}

}  // namespace opsdesk::test
