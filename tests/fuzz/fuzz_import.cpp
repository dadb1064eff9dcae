// Fuzz target: ticket import (JSONL and CSV) into a real store, rolled back after each input.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <unistd.h>

#include "config/config.hpp"
#include "core/error.hpp"
#include "desk/session.hpp"
#include "store/db.hpp"
#include "store/store.hpp"
#include "ticket/transfer.hpp"

namespace {

struct Desk {
  std::filesystem::path dir;
  opsdesk::config::Config config;
  std::unique_ptr<opsdesk::store::Db> db;
  Desk() {
    std::string pattern = (std::filesystem::temp_directory_path() / "opsdesk-fuzz-XXXXXX").string();
    dir = ::mkdtemp(pattern.data());
    db = opsdesk::store::open_store({dir / "fuzz.db", true, std::chrono::milliseconds(1000)});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Desk desk;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  opsdesk::store::Transaction tx(*desk.db, true);  // rolled back: every input meets the same empty store
  const opsdesk::desk::Session s{*desk.db, desk.config, "fuzz", 1795600000, std::nullopt};
  for (const auto format : {opsdesk::ticket::TransferFormat::jsonl, opsdesk::ticket::TransferFormat::csv}) {
    try {
      (void)opsdesk::ticket::import_tickets(s, text, "fuzz", format);
    } catch (const opsdesk::Error& e) {
      if (e.kind() == opsdesk::ErrorKind::internal) __builtin_trap();  // a bug, not bad input
    }
  }
  return 0;
}
