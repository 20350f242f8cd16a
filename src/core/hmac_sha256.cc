// The low-level SHA-256 functions are deprecated in OpenSSL 3.0 in favour of
// EVP, but kept; see hmac_sha256.h for why this file uses them.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/hmac_sha256.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

namespace cpns {
namespace {

constexpr size_t kBlockSize = SHA256_CBLOCK;  // HMAC's B
static_assert(kHmacSha256Size == SHA256_DIGEST_LENGTH);

// Cleanses a value of ours on every path out of a scope.
template <typename T>
class Cleansed {
 public:
  Cleansed() = default;
  Cleansed(const Cleansed&) = delete;
  Cleansed& operator=(const Cleansed&) = delete;
  ~Cleansed() { OPENSSL_cleanse(&value, sizeof(value)); }
  T value;
};

// The SHA-256 state after absorbing K0 xor `pad` (RFC 2104): a key longer
// than a block is hashed first, a shorter one padded with zeros.
void Absorb(absl::string_view key, uint8_t pad, SHA256_CTX& state) {
  Cleansed<std::array<uint8_t, kBlockSize>> block;
  block.value.fill(0);
  if (key.size() > kBlockSize) {
    // The low-level functions, as for the message: SHA256() goes through
    // EVP in OpenSSL 3 and can fail (it returns NULL), which would leave an
    // all-zero key here.
    Cleansed<SHA256_CTX> hash;
    SHA256_Init(&hash.value);
    SHA256_Update(&hash.value, key.data(), key.size());
    SHA256_Final(block.value.data(), &hash.value);
  } else {
    std::memcpy(block.value.data(), key.data(), key.size());
  }
  for (uint8_t& b : block.value) b ^= pad;
  SHA256_Init(&state);
  SHA256_Update(&state, block.value.data(), block.value.size());
}

// Continues a copy of `inner` with `message` and a copy of `outer` with the
// inner hash; the copies are cleansed.
void Finish(const SHA256_CTX& inner, const SHA256_CTX& outer, absl::string_view message,
            HmacSha256Out& out) {
  Cleansed<SHA256_CTX> state;
  Cleansed<HmacSha256Out> inner_hash;
  state.value = inner;
  SHA256_Update(&state.value, message.data(), message.size());
  SHA256_Final(inner_hash.value.data(), &state.value);
  state.value = outer;
  SHA256_Update(&state.value, inner_hash.value.data(), inner_hash.value.size());
  SHA256_Final(out.data(), &state.value);
}

}  // namespace

struct HmacSha256Key::States {
  ~States() {
    OPENSSL_cleanse(&inner, sizeof(inner));
    OPENSSL_cleanse(&outer, sizeof(outer));
  }
  SHA256_CTX inner;
  SHA256_CTX outer;
};

void HmacSha256(absl::string_view key, absl::string_view message, HmacSha256Out& out) {
  Cleansed<SHA256_CTX> inner, outer;
  Absorb(key, 0x36, inner.value);
  Absorb(key, 0x5c, outer.value);
  Finish(inner.value, outer.value, message, out);
}

HmacSha256Key::HmacSha256Key(absl::string_view key) : states_(std::make_unique<States>()) {
  Absorb(key, 0x36, states_->inner);
  Absorb(key, 0x5c, states_->outer);
}

HmacSha256Key::~HmacSha256Key() = default;

void HmacSha256Key::Mac(absl::string_view message, HmacSha256Out& out) const {
  Finish(states_->inner, states_->outer, message, out);
}

}  // namespace cpns
