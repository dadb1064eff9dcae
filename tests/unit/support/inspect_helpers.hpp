#pragma once
// Helpers for the inspection tests: a check as the config would give it, loopback servers on
// their own threads, child processes that end with the test, and free ports.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "config/config.hpp"
#include "core/range.hpp"

extern char** environ;

namespace opsdesk::test {

// A check of `type` with the defaults the config reader gives (and no retry delay).
inline config::Config::Check make_check(std::string name, std::string type) {
  static const std::map<std::string, std::string> k_metric = {
      {"disk", "free_percent"}, {"load", "load1"},     {"memory", "available_percent"}, {"process", "count"},
      {"tcp", "time"},          {"http", "time"},      {"certificate", "days"},         {"file_age", "age"},
      {"sqlite", "size"},       {"postgres", "lag"},   {"backup_freshness", "age"}};
  config::Config::Check c;
  c.name = std::move(name);
  c.type = std::move(type);
  if (const auto it = k_metric.find(c.type); it != k_metric.end()) c.metric = it->second;
  c.timeout = 5;
  c.retry_delay = 0;
  return c;
}

// A range that must parse.
inline std::optional<core::Range> range(const char* text) {
  auto r = core::parse_range(text);
  REQUIRE_MESSAGE(r.has_value(), "not a range: ", text);
  return r;
}

inline double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// A port nobody listened on a moment ago (bind port 0, read it, close).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

// A loopback port that refuses connections for as long as this lives: bound,
// so no parallel test can take it, but never listening.
struct ClosedPort {
  int fd = -1;
  int port = 0;
  ClosedPort() {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
  }
  ~ClosedPort() { ::close(fd); }
  ClosedPort(const ClosedPort&) = delete;
  ClosedPort& operator=(const ClosedPort&) = delete;
};

// True once something accepts connections on 127.0.0.1:`port`.
inline bool wait_for_port(int port, std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// Read from `fd` until `until` appears, the peer closes or `limit` passes.
inline std::string read_until(int fd, std::string_view until, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  char buf[4096];
  while (got.find(until) == std::string::npos) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) break;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    got.append(buf, static_cast<std::size_t>(n));
  }
  return got;
}

inline void send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

// A TCP listener on 127.0.0.1 (a port of its own) that hands each connection to `serve` on
// its thread. Without `serve` it listens but never accepts: the kernel completes the
// handshake and nothing is ever said.
class Listener {
 public:
  explicit Listener(std::function<void(int)> serve = {}) : m_serve(std::move(serve)) {
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(m_fd >= 0);
    const int one = 1;
    ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(m_fd, 16) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    port = ntohs(a.sin_port);
    if (m_serve) m_thread = std::thread([this] { loop(); });
  }
  ~Listener() {
    m_stop = true;
    if (m_thread.joinable()) m_thread.join();
    ::close(m_fd);
  }
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  int port = 0;
  std::atomic<int> accepted{0};

 private:
  void loop() {
    while (!m_stop) {
      pollfd p{m_fd, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int c = ::accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (c < 0) continue;
      ++accepted;
      m_serve(c);
      ::close(c);
    }
  }

  std::function<void(int)> m_serve;
  int m_fd = -1;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

// A tiny HTTP/1.0 server: /ok (200, a body and an X-Opsdesk-Test header), /missing (404),
// /moved (302), /echo (200, the request as the body). It keeps the last request it read.
class HttpServer {
 public:
  HttpServer()
      : m_listener([this](int fd) {
          const std::string request = read_until(fd, "\r\n\r\n");
          {
            std::lock_guard lock(m_mutex);
            m_last = request;
          }
          const auto path_start = request.find(' ') + 1;
          const std::string path = request.substr(path_start, request.find(' ', path_start) - path_start);
          std::string status = "200 OK", headers, body;
          if (path == "/ok") {
            body = "<html>hello from the loopback</html>";
            headers = "X-Opsdesk-Test: yes\r\nContent-Type: text/html\r\n";
          } else if (path == "/missing") {
            status = "404 Not Found";
            body = "no such page";
          } else if (path == "/moved") {
            status = "302 Found";
            headers = "Location: http://127.0.0.1/ok\r\n";
          } else if (path == "/echo") {
            body = request;
          } else {
            status = "500 Internal Server Error";
          }
          send_all(fd, "HTTP/1.0 " + status + "\r\n" + headers + "Content-Length: " + std::to_string(body.size()) +
                           "\r\nConnection: close\r\n\r\n" + body);
        }) {}

  int port() const { return m_listener.port; }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port()) + path; }
  std::string last_request() {
    std::lock_guard lock(m_mutex);
    return m_last;
  }

 private:
  std::mutex m_mutex;
  std::string m_last;
  Listener m_listener;
};

// A child process (its output to /dev/null) killed and reaped when the object goes.
class Child {
 public:
  explicit Child(const std::vector<std::string>& args) {
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    const int rc = ::posix_spawnp(&m_pid, argv[0], &fa, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    REQUIRE_MESSAGE(rc == 0, "cannot start ", args[0]);
    // posix_spawn returns while the kernel is still finishing the exec: /proc/PID/cmdline can
    // read empty for a moment. Wait until it shows the new program's arguments.
    const std::string cmdline = "/proc/" + std::to_string(m_pid) + "/cmdline";
    for (int i = 0; i < 1000; ++i) {
      std::ifstream in(cmdline, std::ios::binary);
      if (in.peek() != std::ifstream::traits_type::eof()) break;
      ::usleep(1000);
    }
  }
  ~Child() { stop(); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void stop() {
    if (m_pid <= 0) return;
    ::kill(m_pid, SIGKILL);
    ::waitpid(m_pid, nullptr, 0);
    m_pid = -1;
  }
  pid_t pid() const { return m_pid; }

 private:
  pid_t m_pid = -1;
};

// Run a program to its end (its output to /dev/null); its exit code.
inline int run_quietly(const std::vector<std::string>& args) {
  std::vector<std::string> copy = args;
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace opsdesk::test
