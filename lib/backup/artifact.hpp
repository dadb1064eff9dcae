#pragma once
// A backup artifact on disk: the content compressed with zstd (multithreaded) and, when asked,
// encrypted with a key file (libsodium secretstream, XChaCha20-Poly1305). It is written under
// a temporary name and renamed into place only when complete, with SHA-256 of the content and
// of the artifact computed on the way.
#include <array>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/fs.hpp"
#include "core/hash.hpp"

namespace opsdesk::backup {

// 32 bytes, from a key file holding them raw or as 64 hex digits.
struct Key {
  std::array<unsigned char, 32> bytes{};
};
// Error(config) for a missing file (naming `opsdesk backup key`) or a file that is not a key.
Key load_key(const std::filesystem::path& path);
// A new random key as 64 hex digits and a newline, for a key file.
std::string new_key_text();

// What begins an encrypted artifact; a plain one begins with the zstd frame magic.
inline constexpr std::string_view k_encrypted_magic = "OPSDESK-ENC1\n";

struct ArtifactInfo {
  std::uint64_t content_size = 0;
  std::uint64_t artifact_size = 0;
  std::string content_sha256;
  std::string artifact_sha256;
};

class ArtifactWriter {
 public:
  ArtifactWriter(const std::filesystem::path& path, int level, int threads, std::optional<Key> key);
  ~ArtifactWriter();
  ArtifactWriter(const ArtifactWriter&) = delete;
  ArtifactWriter& operator=(const ArtifactWriter&) = delete;

  void write(std::string_view content);
  // Flush, fsync and rename into place.
  ArtifactInfo finish();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Reads an artifact back, chunk by chunk of content. Error(data) for a corrupt or truncated
// artifact or a wrong key.
class ArtifactReader {
 public:
  ArtifactReader(const std::filesystem::path& path, std::optional<Key> key);
  ~ArtifactReader();
  ArtifactReader(const ArtifactReader&) = delete;
  ArtifactReader& operator=(const ArtifactReader&) = delete;

  // The next piece of content; empty at the end.
  std::string_view next();
  // After the end: sizes and hashes of what was read.
  ArtifactInfo info();

 private:
  struct State;
  std::unique_ptr<State> m_state;
};

// True when the file at `path` starts like an encrypted artifact.
bool looks_encrypted(const std::filesystem::path& path);

}  // namespace opsdesk::backup
