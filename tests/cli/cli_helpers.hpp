#pragma once
// Small helpers for the end-to-end tests: file bytes and modes, umask, JSON lines, and a desk
// filled with the kinds of tickets users have.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness.hpp"

// Lists and optionals print as ["a", "b"] and nullopt in failed checks rather than {?}.
namespace doctest {
template <typename T>
struct StringMaker<std::vector<T>> {
  static String convert(const std::vector<T>& values) {
    String out = "[";
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (i) out += ", ";
      out += toString(values[i]);
    }
    return out + "]";
  }
};
template <typename T>
struct StringMaker<std::optional<T>> {
  static String convert(const std::optional<T>& value) { return value ? toString(*value) : String("nullopt"); }
};
}  // namespace doctest

namespace opsdesk::test {

inline bool has(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

// A file's bytes ("" when it does not exist).
inline std::string file_bytes(const std::filesystem::path& path) {
  std::string out;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return out;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

inline unsigned file_mode(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE_MESSAGE(::stat(path.c_str(), &st) == 0, "no such file: ", path.string());
  return static_cast<unsigned>(st.st_mode & 07777);
}

// The umask the spawned opsdesk inherits.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t mask) : m_old(::umask(mask)) {}
  ~UmaskGuard() { ::umask(m_old); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t m_old;
};

// Each non-empty line of `text` parsed as JSON.
inline std::vector<nlohmann::ordered_json> json_lines(const std::string& text) {
  std::vector<nlohmann::ordered_json> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    const auto line = text.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (!line.empty()) out.push_back(nlohmann::ordered_json::parse(line));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const auto end = text.find('\n', pos);
    out.push_back(text.substr(pos, end == std::string::npos ? std::string::npos : end - pos));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return out;
}

// The "ref" of each object of a JSON array, in order.
inline std::vector<std::string> refs_of(const nlohmann::ordered_json& list) {
  std::vector<std::string> out;
  for (const auto& t : list) out.push_back(t["ref"].get<std::string>());
  return out;
}

// `opsdesk ARGS` that must succeed.
inline Result must(const Sandbox& s, const std::vector<std::string>& args, const std::string& input = "") {
  const auto r = s.run(args, input);
  REQUIRE_MESSAGE(r.code == 0, "opsdesk ", args.front(), " ", (args.size() > 1 ? args[1] : ""), " exited ", r.code,
                  ": ", r.err);
  return r;
}

// The desk's clock for these tests: 2026-11-25T06:30:00Z, a Wednesday.
inline constexpr const char* k_now = "2026-11-25T06:30:00Z";

// Five tickets as users make them, created 3h, 2h, 1h, 30m and 0m before k_now:
//   a  INC urgent erp, assigned to li, pending for the customer, a comment, 1h30m of work
//   b  REQ low office, resolved and closed
//   c  PRB erp; a is linked to it (caused-by)
//   d  CHG medium, category network
//   e  INC high, cancelled
struct FilledDesk {
  std::string a, b, c, d, e;
  explicit FilledDesk(Sandbox& s) {
    s.env["OPSDESK_NOW"] = k_now;
    a = new_ticket(s, {"数据库连接池耗尽", "-p", "urgent", "-s", "erp", "--channel", "phone", "--reporter", "张三", "-d",
                       "第一行\n\"quoted\", with a comma\r\n third line ", "--at", "-3h"});
    must(s, {"account", "add", "li", "--role", "engineer"});
    must(s, {"ticket", "ack", a, "--at", "-2h55m"});
    must(s, {"ticket", "assign", a, "li", "--at", "-2h50m"});
    must(s, {"ticket", "start", a, "--at", "-2h45m"});
    must(s, {"ticket", "pend", a, "--reason", "customer", "--note", "等待客户确认, \"窗口\"", "--at", "-2h40m"});
    must(s, {"ticket", "comment", a, "客户确认，已恢复\n第二行"});
    must(s, {"ticket", "log-work", a, "1h30m", "--note", "重建索引"});
    b = new_ticket(s, {"New laptop, 16\" screen", "-t", "request", "-p", "low", "-s", "office", "--at", "-2h"});
    must(s, {"ticket", "resolve", b, "-r", "done, \"ok\"", "--at", "-1h50m"});
    must(s, {"ticket", "close", b, "--at", "-1h40m"});
    c = new_ticket(s, {"Pool size too small", "-t", "problem", "-s", "erp", "--at", "-1h"});
    must(s, {"ticket", "link", a, "--to", c, "--kind", "caused-by"});
    d = new_ticket(s, {"Raise max_connections", "-t", "change", "--category", "network", "--at", "-30m"});
    e = new_ticket(s, {"duplicate call", "-p", "high"});
    must(s, {"ticket", "cancel", e, "--reason", "duplicate of the first"});
  }
};

}  // namespace opsdesk::test
