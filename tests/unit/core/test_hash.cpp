#include <doctest/doctest.h>

#include <string>

#include "core/hash.hpp"

using namespace opsdesk::core;
using namespace std::string_literals;

TEST_SUITE_BEGIN("core");

namespace {
const std::string k_empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const std::string k_abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
// FIPS 180-2, the two-block message.
const std::string k_448_bits_text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
const std::string k_448_bits = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
const std::string k_million_a = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
}  // namespace

TEST_CASE("core::sha256_hex, known vectors") {
  CHECK(sha256_hex("") == k_empty);
  CHECK(sha256_hex("abc") == k_abc);
  CHECK(sha256_hex(k_448_bits_text) == k_448_bits);
  CHECK(sha256_hex(std::string(1000000, 'a')) == k_million_a);
  SUBCASE("a NUL byte is data, not the end") {
    CHECK(sha256_hex("\0"s) == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
    CHECK(sha256_hex("abc\0"s) != k_abc);
  }
  SUBCASE("the same digest on both sides of the small-input cut-over") {
    for (const std::size_t n : {std::size_t{256 * 1024 - 1}, std::size_t{256 * 1024}, std::size_t{256 * 1024 + 1}}) {
      CAPTURE(n);
      const std::string text(n, 'q');
      Sha256 streamed;
      streamed.update(text);
      CHECK(sha256_hex(text) == streamed.hex());
    }
  }
  SUBCASE("64 lowercase hex digits") {
    const auto h = sha256_hex("opsdesk");
    CHECK(h.size() == 64);
    CHECK(h.find_first_not_of("0123456789abcdef") == std::string::npos);
  }
}

TEST_CASE("core::Sha256, incremental equals one-shot") {
  SUBCASE("no update is the empty message") {
    Sha256 h;
    CHECK(h.hex() == k_empty);
  }
  SUBCASE("one piece") {
    Sha256 h;
    h.update("abc");
    CHECK(h.hex() == k_abc);
  }
  SUBCASE("split at every position, with empty pieces") {
    for (std::size_t cut = 0; cut <= k_448_bits_text.size(); ++cut) {
      CAPTURE(cut);
      Sha256 h;
      h.update("");
      h.update(std::string_view(k_448_bits_text).substr(0, cut));
      h.update("");
      h.update(std::string_view(k_448_bits_text).substr(cut));
      CHECK(h.hex() == k_448_bits);
    }
  }
  SUBCASE("byte by byte, across many blocks") {
    const std::string text = "数据库连接池耗尽\n" + std::string(300, 'x') + "\0tail"s;
    Sha256 h;
    for (const char c : text) h.update(std::string_view(&c, 1));
    CHECK(h.hex() == sha256_hex(text));
  }
  SUBCASE("a million a's in uneven chunks") {
    Sha256 h;
    const std::string chunk(999, 'a');
    std::size_t left = 1000000;
    while (left > 0) {
      const std::size_t n = std::min(left, chunk.size());
      h.update(std::string_view(chunk).substr(0, n));
      left -= n;
    }
    CHECK(h.hex() == k_million_a);
  }
}

TEST_SUITE_END();
