// Backup artifacts: zstd, optionally encrypted; written under a temporary name and renamed
// into place; the reader checks what it reads and refuses damaged files and wrong keys.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "backup/artifact.hpp"
#include "core/hash.hpp"
#include "support/helpers.hpp"

using namespace opsdesk;
using backup::ArtifactInfo;
using backup::ArtifactReader;
using backup::ArtifactWriter;
using backup::Key;
using opsdesk::test::has;
using opsdesk::test::kind;
using opsdesk::test::mode_of;
using opsdesk::test::slurp;
using opsdesk::test::spit;
using opsdesk::test::TempDir;
using opsdesk::test::thrown;

namespace fs = std::filesystem;

TEST_SUITE_BEGIN("backup");

namespace {

const std::string k_empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

std::string random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::string out(n, '\0');
  for (std::size_t i = 0; i < n; i += 8) {
    const auto v = gen();
    for (std::size_t j = 0; j < 8 && i + j < n; ++j) out[i + j] = static_cast<char>((v >> (8 * j)) & 0xff);
  }
  return out;
}

// Text that compresses well, with some variety.
std::string log_lines(std::size_t n) {
  std::string out;
  for (std::size_t i = 0; out.size() < n; ++i) out += "2026-11-25 06:30:" + std::to_string(i % 60) + " INFO request " + std::to_string(i) + " ok\n";
  out.resize(n);
  return out;
}

// An independent SHA-256 of `data`, fed in odd-sized pieces.
std::string sha256_of(std::string_view data) {
  core::Sha256 h;
  for (std::size_t at = 0; at < data.size(); at += 12345) h.update(data.substr(at, 12345));
  return h.hex();
}

Key key_of(unsigned char fill) {
  Key k;
  k.bytes.fill(fill);
  return k;
}

ArtifactInfo write_artifact(const fs::path& path, std::string_view content, std::optional<Key> key = std::nullopt,
                            int threads = 1, std::size_t piece = 1 << 20) {
  ArtifactWriter w(path, 3, threads, key);
  if (content.empty()) w.write(content);
  for (std::size_t at = 0; at < content.size(); at += piece) w.write(content.substr(at, piece));
  return w.finish();
}

struct ReadBack {
  std::string content;
  ArtifactInfo info;
};

ReadBack read_artifact(const fs::path& path, std::optional<Key> key = std::nullopt) {
  ArtifactReader r(path, key);
  ReadBack out;
  for (auto piece = r.next(); !piece.empty(); piece = r.next()) out.content.append(piece);
  out.info = r.info();
  return out;
}

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

void check_round_trip(const fs::path& path, const std::string& content, std::optional<Key> key, int threads,
                      std::size_t piece) {
  const auto written = write_artifact(path, content, key, threads, piece);
  const std::string bytes = slurp(path);
  CHECK(written.content_size == content.size());
  CHECK(written.content_sha256 == sha256_of(content));
  CHECK(written.artifact_size == bytes.size());
  CHECK(written.artifact_sha256 == sha256_of(bytes));
  CHECK(backup::looks_encrypted(path) == key.has_value());
  if (key) CHECK(bytes.starts_with(backup::k_encrypted_magic));
  else CHECK(bytes.starts_with(std::string("\x28\xb5\x2f\xfd", 4)));  // a zstd frame
  const auto back = read_artifact(path, key);
  CHECK(back.content.size() == content.size());
  CHECK(back.content == content);
  CHECK(back.info.content_size == written.content_size);
  CHECK(back.info.content_sha256 == written.content_sha256);
  CHECK(back.info.artifact_size == written.artifact_size);
  CHECK(back.info.artifact_sha256 == written.artifact_sha256);
}

}  // namespace

TEST_CASE("backup::ArtifactWriter round trip") {
  TempDir dir;
  const auto path = dir / "store.db.zst";
  SUBCASE("empty content") {
    const auto info = write_artifact(path, "");
    CHECK(info.content_size == 0);
    CHECK(info.content_sha256 == k_empty_sha256);
    check_round_trip(path, "", std::nullopt, 1, 1);
  }
  SUBCASE("one byte") { check_round_trip(path, "x", std::nullopt, 1, 1); }
  SUBCASE("a NUL byte") { check_round_trip(path, std::string(1, '\0'), std::nullopt, 1, 1); }
  SUBCASE("6 MiB of random bytes in 1 MiB pieces") {
    check_round_trip(path, random_bytes(6u << 20, 1), std::nullopt, 1, 1u << 20);
  }
  SUBCASE("6 MiB of random bytes in odd pieces, two compression threads") {
    check_round_trip(path, random_bytes((6u << 20) + 3, 2), std::nullopt, 2, 100003);
  }
  SUBCASE("17 MiB in one piece: hashed on another thread while compressed") {
    const auto content = log_lines(17u << 20);
    check_round_trip(path, content, std::nullopt, 1, content.size());
    CHECK(fs::file_size(path) < content.size() / 10);  // it did compress
  }
  SUBCASE("the artifact is private") {
    test::UmaskGuard umask(0);
    write_artifact(path, "secret");
    CHECK(mode_of(path) == 0600);
  }
}

TEST_CASE("backup::ArtifactWriter round trip, encrypted") {
  TempDir dir;
  const auto path = dir / "store.db.zst.enc";
  const Key key = key_of(0x42);
  SUBCASE("empty content") { check_round_trip(path, "", key, 1, 1); }
  SUBCASE("one byte") { check_round_trip(path, "x", key, 1, 1); }
  SUBCASE("5 MiB of random bytes: many 64 KiB chunks") { check_round_trip(path, random_bytes(5u << 20, 3), key, 1, 1u << 20); }
  SUBCASE("exactly one chunk of random bytes") { check_round_trip(path, random_bytes(1 << 16, 4), key, 1, 1 << 16); }
  SUBCASE("17 MiB in one piece, two threads") {
    const auto content = log_lines(17u << 20);
    check_round_trip(path, content, key, 2, content.size());
  }
  SUBCASE("the same content under two keys differs, and neither shows it") {
    const auto content = log_lines(100000);
    write_artifact(path, content, key);
    write_artifact(dir / "other.enc", content, key_of(0x43));
    const auto a = slurp(path);
    const auto b = slurp(dir / "other.enc");
    CHECK(a != b);
    CHECK_FALSE(has(a, "INFO request"));
    // Same key twice: a fresh nonce each time.
    write_artifact(dir / "again.enc", content, key);
    CHECK(slurp(dir / "again.enc") != a);
    CHECK(read_artifact(dir / "again.enc", key).content == content);
  }
}

TEST_CASE("backup::ArtifactReader, a wrong or missing key") {
  TempDir dir;
  const auto path = dir / "a.enc";
  const auto content = random_bytes(200000, 5);
  write_artifact(path, content, key_of(1));
  SUBCASE("a wrong key") {
    const auto e = thrown([&] { read_artifact(path, key_of(2)); });
    CHECK(kind(e) == "data");
    CHECK(std::string(e.what()) == path.string() + " cannot be decrypted: wrong key, or the artifact was altered");
  }
  SUBCASE("no key") {
    const auto e = thrown([&] { read_artifact(path); });
    CHECK(kind(e) == "config");
    CHECK(has(e.what(), "is encrypted; give the target's key_file"));
  }
  SUBCASE("a key for a plain artifact is not needed and does no harm") {
    write_artifact(dir / "plain", "hello");
    CHECK(read_artifact(dir / "plain", key_of(9)).content == "hello");
  }
  SUBCASE("a missing artifact") {
    CHECK(kind(thrown([&] { read_artifact(dir / "nope"); })) == "not_found");
  }
}

TEST_CASE("backup::ArtifactReader, a truncated artifact") {
  TempDir dir;
  const auto content = random_bytes(300000, 6);
  const auto read_cut = [&](const fs::path& full, std::size_t keep, std::optional<Key> key) {
    const auto cut = dir / "cut";
    spit(cut, slurp(full).substr(0, keep));
    return thrown([&] { read_artifact(cut, key); });
  };
  SUBCASE("plain") {
    const auto path = dir / "a.zst";
    const auto info = write_artifact(path, content);
    for (const std::size_t keep : {std::size_t{0}, std::size_t{3}, std::size_t{100}, std::size_t{150000},
                                   static_cast<std::size_t>(info.artifact_size - 4),
                                   static_cast<std::size_t>(info.artifact_size - 1)}) {
      CAPTURE(keep);
      const auto e = read_cut(path, keep, std::nullopt);
      CHECK(kind(e) == "data");
      CHECK(has(e.what(), "is damaged"));
    }
  }
  SUBCASE("encrypted") {
    const auto path = dir / "a.enc";
    const auto key = key_of(7);
    const auto info = write_artifact(path, content, key);
    const std::size_t header = backup::k_encrypted_magic.size() + 24;
    const std::size_t first_chunk_end = header + 4 + (1 << 16) + 17;
    for (const std::size_t keep : {backup::k_encrypted_magic.size() + 5, header, header + 2, header + 100,
                                   first_chunk_end, static_cast<std::size_t>(info.artifact_size - 1)}) {
      CAPTURE(keep);
      const auto e = read_cut(path, keep, key);
      CHECK(kind(e) == "data");
      CHECK((has(e.what(), "truncated") || has(e.what(), "cut short")));
    }
  }
  SUBCASE("encrypted, with bytes added after its end") {
    const auto path = dir / "a.enc";
    write_artifact(path, content, key_of(7));
    spit(dir / "longer", slurp(path) + "x");
    const auto e = thrown([&] { read_artifact(dir / "longer", key_of(7)); });
    CHECK(kind(e) == "data");
    CHECK(has(e.what(), "data after the end of the encrypted stream"));
  }
}

TEST_CASE("backup::ArtifactReader, a flipped byte") {
  TempDir dir;
  const auto flip_and_read = [&](const fs::path& full, std::size_t at, std::optional<Key> key) {
    std::string bytes = slurp(full);
    REQUIRE(at < bytes.size());
    bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
    spit(dir / "flipped", bytes);
    return thrown([&] { read_artifact(dir / "flipped", key); });
  };
  SUBCASE("plain: random content (stored blocks, caught by the frame checksum) and text") {
    for (const auto& content : {random_bytes(400000, 8), log_lines(400000)}) {
      const auto path = dir / "a.zst";
      const auto info = write_artifact(path, content);
      for (const std::size_t at : {std::size_t{0}, std::size_t{20}, static_cast<std::size_t>(info.artifact_size / 2),
                                   static_cast<std::size_t>(info.artifact_size - 2)}) {
        CAPTURE(at);
        CHECK(kind(flip_and_read(path, at, std::nullopt)) == "data");
      }
    }
  }
  SUBCASE("encrypted") {
    const auto path = dir / "a.enc";
    const auto key = key_of(3);
    const auto info = write_artifact(path, random_bytes(400000, 9), key);
    const std::size_t header = backup::k_encrypted_magic.size();
    for (const std::size_t at : {header + 3, header + 24, header + 24 + 4 + 10,
                                 static_cast<std::size_t>(info.artifact_size / 2),
                                 static_cast<std::size_t>(info.artifact_size - 1)}) {
      CAPTURE(at);
      CHECK(kind(flip_and_read(path, at, key)) == "data");
    }
  }
}

TEST_CASE("backup::ArtifactWriter, only a finished artifact has its name") {
  TempDir dir;
  const auto path = dir / "store.db.zst";
  SUBCASE("while writing, only a hidden temporary file; after finish(), only the artifact") {
    ArtifactWriter w(path, 3, 1, key_of(5));
    w.write(random_bytes(3u << 20, 10));
    auto during = listing(dir.path);
    REQUIRE(during.size() == 1);
    CHECK(during[0].starts_with(".store.db.zst.tmp-"));
    CHECK_FALSE(fs::exists(path));
    w.finish();
    CHECK(listing(dir.path) == std::vector<std::string>{"store.db.zst"});
  }
  SUBCASE("a writer dropped before finish() leaves nothing") {
    {
      ArtifactWriter w(path, 3, 2, std::nullopt);
      w.write(log_lines(5u << 20));
    }
    CHECK(listing(dir.path).empty());
  }
  SUBCASE("finish() replaces an older artifact of that name whole") {
    write_artifact(path, "old");
    ArtifactWriter w(path, 3, 1, std::nullopt);
    w.write("new content");
    CHECK(read_artifact(path).content == "old");
    w.finish();
    CHECK(read_artifact(path).content == "new content");
    CHECK(listing(dir.path) == std::vector<std::string>{"store.db.zst"});
  }
}

TEST_CASE("backup::load_key") {
  TempDir dir;
  SUBCASE("64 hex digits, as new_key_text makes them") {
    const auto text = backup::new_key_text();
    REQUIRE(text.size() == 65);
    CHECK(text.back() == '\n');
    CHECK(text.find_first_not_of("0123456789abcdef\n") == std::string::npos);
    CHECK(backup::new_key_text() != text);
    spit(dir / "key", text);
    const auto k = backup::load_key(dir / "key");
    CHECK(static_cast<int>(k.bytes[0]) == std::stoi(text.substr(0, 2), nullptr, 16));
    CHECK(static_cast<int>(k.bytes[31]) == std::stoi(text.substr(62, 2), nullptr, 16));
    // The key it loads opens what it wrote.
    write_artifact(dir / "a.enc", "payload", k);
    CHECK(read_artifact(dir / "a.enc", backup::load_key(dir / "key")).content == "payload");
  }
  SUBCASE("32 raw bytes") {
    spit(dir / "key", std::string(32, '\x07'));
    CHECK(backup::load_key(dir / "key").bytes == key_of(7).bytes);
  }
  SUBCASE("hex with spaces and upper case") {
    spit(dir / "key", "  " + std::string(32, 'A') + "\n" + std::string(32, 'a') + "  \n");
    CHECK(backup::load_key(dir / "key").bytes == key_of(0xaa).bytes);
  }
  SUBCASE("not a key") {
    for (const auto& bad : std::vector<std::string>{"", "abc", std::string(63, 'a'), std::string(64, 'g'), std::string(33, 'x')}) {
      CAPTURE(bad);
      spit(dir / "key", bad);
      const auto e = thrown([&] { backup::load_key(dir / "key"); });
      CHECK(kind(e) == "config");
      CHECK(has(e.what(), "is not a key file; expected 32 bytes or 64 hex digits"));
    }
  }
  SUBCASE("a missing key file says how to make one") {
    const auto e = thrown([&] { backup::load_key(dir / "missing.key"); });
    CHECK(kind(e) == "config");
    CHECK(has(e.what(), "does not exist; make one with `opsdesk backup key --output"));
  }
}

TEST_SUITE_END();
