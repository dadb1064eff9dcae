#pragma once
// SHA-256 as lowercase hex (libsodium for small inputs, OpenSSL for large ones and streams).
#include <memory>
#include <string>
#include <string_view>

namespace opsdesk::core {

std::string sha256_hex(std::string_view data);

// Incremental SHA-256 for streams and files.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string hex();  // finishes the hash

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

}  // namespace opsdesk::core
