// HMAC-SHA-256 (RFC 2104) for the KDF, with the per-call costs of OpenSSL's
// one-shot HMAC() taken out: no algorithm fetch and no heap allocation per
// call, and a key used many times can be prepared once (HmacSha256Key) so
// that each MAC starts from copies of its padded inner and outer states.
// Private to cpns (core/kdf.cc and server/challenge.cc use it). Thread-safe.
//
// Built on OpenSSL's SHA-256 block functions (SHA256_Init/Update/Final): the
// same code (SHA-NI or AVX2) that the default provider runs underneath EVP,
// but on a state that lives on our stack. OpenSSL 3.0's EVP digest contexts
// allocate and free their state on every init and copy, which cost more than
// the hashing of a KDF input. The known-answer vectors (RFC 5448 and
// tests/vectors) check this construction; docs/PROTOCOL.md is unchanged.
//
// Zeroization: the padded key blocks and hash states of a call live on the
// stack and are cleansed (OPENSSL_cleanse) before it returns; an
// HmacSha256Key cleanses its two keyed states when destroyed.
#ifndef CPNS_CORE_HMAC_SHA256_H_
#define CPNS_CORE_HMAC_SHA256_H_

#include <array>
#include <cstdint>
#include <memory>

#include "absl/strings/string_view.h"

namespace cpns {

inline constexpr size_t kHmacSha256Size = 32;
using HmacSha256Out = std::array<uint8_t, kHmacSha256Size>;

// HMAC-SHA-256(key, message) into `out`.
void HmacSha256(absl::string_view key, absl::string_view message, HmacSha256Out& out);

// A key prepared once: its inner and outer padded states. Immutable, so Mac
// may be called from many threads at once. Holds key material (see above);
// it has no way to be printed.
class HmacSha256Key {
 public:
  explicit HmacSha256Key(absl::string_view key);
  ~HmacSha256Key();
  HmacSha256Key(const HmacSha256Key&) = delete;
  HmacSha256Key& operator=(const HmacSha256Key&) = delete;

  // HMAC-SHA-256(key, message) into `out`.
  void Mac(absl::string_view message, HmacSha256Out& out) const;

 private:
  struct States;  // SHA-256 states after (K0 xor ipad) and after (K0 xor opad)
  std::unique_ptr<States> states_;
};

}  // namespace cpns

#endif  // CPNS_CORE_HMAC_SHA256_H_
