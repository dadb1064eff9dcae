#include "core/hash.hpp"

#include <openssl/evp.h>
#include <sodium/crypto_hash_sha256.h>

#include <array>
#include <stdexcept>

namespace opsdesk::core {

// Streams (backups, files) use OpenSSL: its SHA-256 uses the CPU's SHA extensions where there are any (several GB/s).
struct Sha256::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

namespace {

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char k_digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = k_digits[bytes[i] >> 4];
    out[2 * i + 1] = k_digits[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace

Sha256::Sha256() : m_state(std::make_unique<State>()) {
  m_state->ctx = EVP_MD_CTX_new();
  if (!m_state->ctx || EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 is not available");
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data) { EVP_DigestUpdate(m_state->ctx, data.data(), data.size()); }

std::string Sha256::hex() {
  std::array<unsigned char, 32> out{};
  unsigned int n = 0;
  EVP_DigestFinal_ex(m_state->ctx, out.data(), &n);
  return to_hex(out.data(), out.size());
}

// Small inputs (an audit entry, a service record) go to libsodium's plain SHA-256: OpenSSL's
// first EVP digest of a process loads its config and provider tables, some 5 million
// instructions, more than all the rest of `ticket new`. Large ones still get OpenSSL's speed.
std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, 32> out{};
  if (data.size() <= 256 * 1024) {
    crypto_hash_sha256(out.data(), reinterpret_cast<const unsigned char*>(data.data()), data.size());
  } else {
    unsigned int n = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &n, EVP_sha256(), nullptr);
  }
  return to_hex(out.data(), out.size());
}

}  // namespace opsdesk::core
