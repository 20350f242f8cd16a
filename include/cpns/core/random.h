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

}  // namespace cpns

#endif  // CPNS_CORE_RANDOM_H_
