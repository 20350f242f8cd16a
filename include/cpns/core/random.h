// Randomness for secrets: always OpenSSL's CSPRNG (RAND_priv_bytes).
// There is no way to substitute it; tests get determinism from known-answer
// vectors of the derivations instead. Thread-safe.
#ifndef CPNS_CORE_RANDOM_H_
#define CPNS_CORE_RANDOM_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "cpns/core/secret_bytes.h"

namespace cpns {

// `size` bytes from the CSPRNG; Internal if the CSPRNG cannot be seeded.
absl::StatusOr<SecretBytes> SecureRandomBytes(size_t size);

// `size` bytes from the same CSPRNG, for nonces on a hot path: drawn through
// a per-thread buffer refilled 512 bytes at a time, which costs
// about as much as one small draw. Buffered bytes are never handed out twice
// (not across fork() either: a forked child refills) and are cleansed as
// they are handed out and at thread exit. Not for long-term keys, which
// should not wait in a buffer: use SecureRandomBytes. Sizes above
// kMaxNonceSize are drawn directly.
inline constexpr size_t kMaxNonceSize = 64;
absl::StatusOr<SecretBytes> SecureRandomNonce(size_t size);

}  // namespace cpns

#endif  // CPNS_CORE_RANDOM_H_
