// AES-256-GCM sealing of small secrets (the server's 1st seeds at rest).
//
// Sealed form: nonce (12 bytes, CSPRNG) || ciphertext || tag (16 bytes).
// Thread-safe pure functions.
#ifndef CPNS_SRC_CORE_AEAD_H_
#define CPNS_SRC_CORE_AEAD_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cpns/core/secret_bytes.h"

namespace cpns {

inline constexpr size_t kAeadKeySize = 32;
inline constexpr size_t kAeadNonceSize = 12;
inline constexpr size_t kAeadTagSize = 16;

// InvalidArgument for a key that is not 32 bytes.
absl::StatusOr<std::string> AeadSeal(const SecretBytes& key, const SecretBytes& plaintext,
                                     absl::string_view associated_data);

// DataLoss when the sealed bytes are truncated or fail authentication (wrong
// key, tampered bytes, or associated data that differs from sealing time).
absl::StatusOr<SecretBytes> AeadOpen(const SecretBytes& key, absl::string_view sealed,
                                     absl::string_view associated_data);

}  // namespace cpns

#endif  // CPNS_SRC_CORE_AEAD_H_
