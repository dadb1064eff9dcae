#include "backup/artifact.hpp"

#include <sodium.h>
#include <zstd.h>

#include <fmt/format.h>

#include <cstring>
#include <fstream>
#include <thread>
#include <vector>

#include "core/error.hpp"
#include "core/strings.hpp"

namespace opsdesk::backup {

namespace {

using Stream = crypto_secretstream_xchacha20poly1305_state;
constexpr std::size_t k_chunk = 1 << 16;  // plaintext per encrypted chunk

void init_sodium() {
  if (sodium_init() < 0) throw Error(ErrorKind::internal, "libsodium cannot start");
}

std::string hex_value(std::string_view text) {
  std::string out;
  for (const char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) out += c;
  return out;
}

[[noreturn]] void corrupt(const std::filesystem::path& path, std::string_view what) {
  throw Error(ErrorKind::data, fmt::format("{} is damaged: {}", path.string(), what));
}

void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

}  // namespace

Key load_key(const std::filesystem::path& path) {
  std::string text;
  try {
    text = core::read_file(path);
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::not_found)
      throw Error(ErrorKind::config, fmt::format("the key file {} does not exist; make one with `opsdesk backup key "
                                                 "--output {}` and keep a copy somewhere safe",
                                                 path.string(), path.string()));
    throw;
  }
  Key k;
  if (text.size() == 32) {
    std::memcpy(k.bytes.data(), text.data(), 32);
    return k;
  }
  const std::string hex = hex_value(text);
  std::size_t len = 0;
  if (hex.size() != 64 ||
      sodium_hex2bin(k.bytes.data(), k.bytes.size(), hex.data(), hex.size(), nullptr, &len, nullptr) != 0 || len != 32)
    throw Error(ErrorKind::config, fmt::format("{} is not a key file; expected 32 bytes or 64 hex digits", path.string()));
  return k;
}

std::string new_key_text() {
  init_sodium();
  std::array<unsigned char, 32> key{};
  crypto_secretstream_xchacha20poly1305_keygen(key.data());
  std::string hex(65, '\0');
  sodium_bin2hex(hex.data(), hex.size(), key.data(), key.size());
  hex.pop_back();
  sodium_memzero(key.data(), key.size());
  return hex + "\n";
}

bool looks_encrypted(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(k_encrypted_magic.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  return in.gcount() == static_cast<std::streamsize>(head.size()) && head == k_encrypted_magic;
}

struct ArtifactWriter::State {
  core::AtomicFile file;
  ZSTD_CCtx* zstd = nullptr;
  std::optional<Key> key;
  Stream stream{};
  std::string plain;  // compressed bytes waiting to be encrypted
  core::Sha256 content_hash, artifact_hash;
  ArtifactInfo info;
  std::vector<char> out = std::vector<char>(ZSTD_CStreamOutSize());

  explicit State(const std::filesystem::path& path) : file(path) {}
  ~State() { ZSTD_freeCCtx(zstd); }

  void emit(std::string_view bytes) {
    artifact_hash.update(bytes);
    info.artifact_size += bytes.size();
    file.write(bytes);
  }

  void encrypt(bool final) {
    while (plain.size() >= k_chunk || (final && !plain.empty())) {
      const std::size_t n = std::min(plain.size(), k_chunk);
      seal(std::string_view(plain).substr(0, n), final && n == plain.size());
      plain.erase(0, n);
    }
    if (final && plain.empty() && !sealed_final) seal({}, true);
  }

  void seal(std::string_view chunk, bool final) {
    std::string cipher(chunk.size() + crypto_secretstream_xchacha20poly1305_ABYTES, '\0');
    unsigned long long len = 0;
    crypto_secretstream_xchacha20poly1305_push(&stream, reinterpret_cast<unsigned char*>(cipher.data()), &len,
                                               reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size(), nullptr,
                                               0, final ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
    std::string framed;
    put_u32(framed, static_cast<std::uint32_t>(len));
    framed.append(cipher.data(), static_cast<std::size_t>(len));
    emit(framed);
    sealed_final = sealed_final || final;
  }

  void compressed(std::string_view bytes) {
    if (!key) {
      emit(bytes);
      return;
    }
    plain.append(bytes);
    encrypt(false);
  }

  void compress(std::string_view input, ZSTD_EndDirective mode) {
    ZSTD_inBuffer in{input.data(), input.size(), 0};
    while (true) {
      ZSTD_outBuffer o{out.data(), out.size(), 0};
      const std::size_t left = ZSTD_compressStream2(zstd, &o, &in, mode);
      if (ZSTD_isError(left)) throw Error(ErrorKind::internal, fmt::format("zstd: {}", ZSTD_getErrorName(left)));
      if (o.pos) compressed({out.data(), o.pos});
      const bool done = mode == ZSTD_e_end ? left == 0 : in.pos == in.size;
      if (done) break;
    }
  }

  bool sealed_final = false;
};

ArtifactWriter::ArtifactWriter(const std::filesystem::path& path, int level, int threads, std::optional<Key> key)
    : m_state(std::make_unique<State>(path)) {
  m_state->zstd = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(m_state->zstd, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(m_state->zstd, ZSTD_c_checksumFlag, 1);
  // Workers compress in the background while this thread reads and hashes the next input.
  if (threads != 1)
    ZSTD_CCtx_setParameter(m_state->zstd, ZSTD_c_nbWorkers,
                           threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency()));
  if (key) {
    init_sodium();
    m_state->key = key;
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&m_state->stream, header, key->bytes.data());
    m_state->emit(k_encrypted_magic);
    m_state->emit({reinterpret_cast<const char*>(header), sizeof header});
  }
}

ArtifactWriter::~ArtifactWriter() = default;

void ArtifactWriter::write(std::string_view content) {
  m_state->info.content_size += content.size();
  if (content.size() < (16u << 20)) {
    m_state->content_hash.update(content);
    m_state->compress(content, ZSTD_e_continue);
    return;
  }
  // A large piece (a whole snapshot): hash it on another thread while zstd compresses it.
  std::thread hashing([&] { m_state->content_hash.update(content); });
  try {
    constexpr std::size_t k_feed = 8u << 20;
    for (std::size_t at = 0; at < content.size(); at += k_feed)
      m_state->compress(content.substr(at, std::min(k_feed, content.size() - at)), ZSTD_e_continue);
  } catch (...) {
    hashing.join();
    throw;
  }
  hashing.join();
}

ArtifactInfo ArtifactWriter::finish() {
  m_state->compress({}, ZSTD_e_end);
  if (m_state->key) m_state->encrypt(true);
  m_state->file.commit();
  m_state->info.content_sha256 = m_state->content_hash.hex();
  m_state->info.artifact_sha256 = m_state->artifact_hash.hex();
  return m_state->info;
}

struct ArtifactReader::State {
  std::filesystem::path path;
  std::ifstream in;
  std::optional<Key> key;
  Stream stream{};
  bool encrypted = false;
  bool final_seen = false;
  ZSTD_DCtx* zstd = nullptr;
  std::string compressed;  // waiting to be decompressed
  std::size_t compressed_pos = 0;
  bool input_done = false;
  bool frame_done = false;  // an artifact holds at least one whole zstd frame
  std::vector<char> out = std::vector<char>(ZSTD_DStreamOutSize());
  core::Sha256 content_hash, artifact_hash;
  ArtifactInfo info;

  ~State() { ZSTD_freeDCtx(zstd); }

  bool read_raw(char* buf, std::size_t n) {
    in.read(buf, static_cast<std::streamsize>(n));
    const auto got = static_cast<std::size_t>(in.gcount());
    artifact_hash.update({buf, got});
    info.artifact_size += got;
    return got == n;
  }

  // More compressed bytes into `compressed`; false at the end of the artifact.
  bool refill() {
    if (!encrypted) {
      std::vector<char> buf(1 << 17);
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      const auto got = static_cast<std::size_t>(in.gcount());
      if (got == 0) return false;
      artifact_hash.update({buf.data(), got});
      info.artifact_size += got;
      compressed.append(buf.data(), got);
      return true;
    }
    if (final_seen) {
      char extra;
      if (read_raw(&extra, 1)) corrupt(path, "data after the end of the encrypted stream");
      return false;
    }
    char len_bytes[4];
    if (!read_raw(len_bytes, 4)) corrupt(path, "the encrypted stream ends early (truncated)");
    std::uint32_t len = 0;
    for (int i = 3; i >= 0; --i) len = (len << 8) | static_cast<unsigned char>(len_bytes[i]);
    if (len < crypto_secretstream_xchacha20poly1305_ABYTES || len > k_chunk + crypto_secretstream_xchacha20poly1305_ABYTES)
      corrupt(path, "a chunk of impossible length");
    std::string cipher(len, '\0');
    if (!read_raw(cipher.data(), len)) corrupt(path, "the encrypted stream ends early (truncated)");
    std::string plain(len - crypto_secretstream_xchacha20poly1305_ABYTES, '\0');
    unsigned long long plain_len = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(&stream, reinterpret_cast<unsigned char*>(plain.data()), &plain_len, &tag,
                                                   reinterpret_cast<const unsigned char*>(cipher.data()), cipher.size(),
                                                   nullptr, 0) != 0)
      throw Error(ErrorKind::data, fmt::format("{} cannot be decrypted: wrong key, or the artifact was altered", path.string()));
    compressed.append(plain.data(), static_cast<std::size_t>(plain_len));
    final_seen = tag == crypto_secretstream_xchacha20poly1305_TAG_FINAL;
    return true;
  }
};

ArtifactReader::ArtifactReader(const std::filesystem::path& path, std::optional<Key> key)
    : m_state(std::make_unique<State>()) {
  auto& s = *m_state;
  s.path = path;
  s.in.open(path, std::ios::binary);
  if (!s.in) throw Error(ErrorKind::not_found, fmt::format("the artifact {} is missing", path.string()));
  s.encrypted = looks_encrypted(path);
  s.key = key;
  if (s.encrypted) {
    if (!key) throw Error(ErrorKind::config, fmt::format("{} is encrypted; give the target's key_file", path.string()));
    init_sodium();
    std::string magic(k_encrypted_magic.size(), '\0');
    s.read_raw(magic.data(), magic.size());
    unsigned char header[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    if (!s.read_raw(reinterpret_cast<char*>(header), sizeof header)) corrupt(path, "the encryption header is cut short");
    if (crypto_secretstream_xchacha20poly1305_init_pull(&s.stream, header, key->bytes.data()) != 0)
      corrupt(path, "the encryption header is not valid");
  }
  s.zstd = ZSTD_createDCtx();
}

ArtifactReader::~ArtifactReader() = default;

std::string_view ArtifactReader::next() {
  auto& s = *m_state;
  while (true) {
    if (s.compressed_pos == s.compressed.size()) {
      s.compressed.clear();
      s.compressed_pos = 0;
      if (s.input_done || !s.refill()) {
        s.input_done = true;
        if (s.encrypted && !s.final_seen) corrupt(s.path, "the encrypted stream ends early (truncated)");
        if (!s.frame_done) corrupt(s.path, "the compressed stream ends early (truncated)");
        return {};
      }
    }
    ZSTD_inBuffer in{s.compressed.data(), s.compressed.size(), s.compressed_pos};
    ZSTD_outBuffer o{s.out.data(), s.out.size(), 0};
    const std::size_t rc = ZSTD_decompressStream(s.zstd, &o, &in);
    if (ZSTD_isError(rc)) corrupt(s.path, fmt::format("zstd: {}", ZSTD_getErrorName(rc)));
    s.compressed_pos = in.pos;
    s.frame_done = rc == 0;
    if (o.pos > 0) {
      const std::string_view chunk(s.out.data(), o.pos);
      s.content_hash.update(chunk);
      s.info.content_size += chunk.size();
      return chunk;
    }
  }
}

ArtifactInfo ArtifactReader::info() {
  m_state->info.content_sha256 = m_state->content_hash.hex();
  m_state->info.artifact_sha256 = m_state->artifact_hash.hex();
  return m_state->info;
}

}  // namespace opsdesk::backup
