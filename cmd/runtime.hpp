#pragma once
// What every command callback shares: global options, the config, the terminal, and the one
// way to open the store — read-only, or writing inside one transaction with the actor checked.
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include "account/account.hpp"
#include "config/config.hpp"
#include "desk/session.hpp"
#include "output/json.hpp"
#include "output/terminal.hpp"
#include "store/store.hpp"
#include "store/db.hpp"

namespace opsdesk::cli {

struct Globals {
  std::string db;
  std::string config;
  std::string as;
  bool no_color = false;
  bool color = false;
};

class Runtime {
 public:
  Globals globals;
  int exit_code = 0;
  // The words of the command line, for building only the commands it names.
  std::vector<std::string> words;
  // Build every command's options whatever the command line names (completion, man pages).
  bool whole_tree = false;

  const config::Config& config();
  const output::Terminal& term();
  core::Timestamp now();
  std::filesystem::path store_path();
  // How to open the store: where (a file or a PostgreSQL URL), for writing or not, how long to wait.
  store::StoreOptions store_options(bool write);
  // Who acts: --as > $OPSDESK_USER > the login name.
  account::Identity identity();

  // Parse a typed time/duration option (Error(usage) naming `option` when malformed).
  core::Timestamp parse_time(const std::string& value, std::string_view option);
  std::optional<core::Timestamp> parse_time_opt(const std::string& value, std::string_view option);

  // Run `body` in one write transaction, after checking that the actor holds `permission`,
  // and commit; the result is returned after the commit so nothing is printed for work that
  // did not land.
  template <typename F>
  auto write(std::string_view permission, F&& body) {
    Writer w(*this, permission);
    if constexpr (std::is_void_v<decltype(body(w.session()))>) {
      body(w.session());
      w.commit();
    } else {
      auto result = body(w.session());
      w.commit();
      return result;
    }
  }

  // Run `body` on a read-only store inside one read transaction (one consistent snapshot),
  // after checking that the actor holds `permission`.
  template <typename F>
  auto read(std::string_view permission, F&& body) {
    Reader r(*this, permission);
    return body(r.session());
  }

  std::ostream& out() { return std::cout; }
  // A note for the human on stderr (not data).
  void note(const std::string& text);

 private:
  // Counts the readers and writers alive on the connection, so it is never
  // swapped from under one of them.
  struct DbUse {
    explicit DbUse(Runtime& owner) : rt(owner) { ++rt.m_db_users; }
    ~DbUse() { --rt.m_db_users; }
    DbUse(const DbUse&) = delete;
    DbUse& operator=(const DbUse&) = delete;
    Runtime& rt;
  };
  class Writer {
   public:
    Writer(Runtime& rt, std::string_view permission);
    ~Writer();
    desk::Session& session() { return *m_session; }
    void commit();

   private:
    DbUse m_use;
    std::unique_ptr<store::Transaction> m_tx;
    std::unique_ptr<desk::Session> m_session;
  };
  class Reader {
   public:
    Reader(Runtime& rt, std::string_view permission);
    ~Reader();
    desk::Session& session() { return *m_session; }

   private:
    DbUse m_use;
    std::unique_ptr<store::Transaction> m_tx;
    std::unique_ptr<desk::Session> m_session;
  };

  // The store connection, opened once per process (a writer serves reads too).
  store::Db& connection(bool write);
  std::unique_ptr<store::Db> m_db;
  bool m_db_writes = false;
  int m_db_users = 0;  // readers and writers alive on m_db

  std::optional<config::Config> m_config;
  std::optional<output::Terminal> m_term;
  std::optional<core::Timestamp> m_now;
};

}  // namespace opsdesk::cli
