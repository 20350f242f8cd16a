// HKDF-SHA256 (RFC 5869) on OpenSSL 3's EVP_KDF "HKDF", for the SPAKE2+ key
// schedule and the pairing keys derived from it. Private to cpns. Thread-safe.
#ifndef CPNS_CORE_HKDF_H_
#define CPNS_CORE_HKDF_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cpns/core/secret_bytes.h"

namespace cpns {

// HKDF-SHA256(salt = none, i.e. 32 zero bytes; IKM = ikm; info; `size` bytes).
// InternalError only if OpenSSL fails (or size > 255 * 32).
absl::StatusOr<SecretBytes> HkdfSha256NoSalt(const SecretBytes& ikm, absl::string_view info,
                                             size_t size);

}  // namespace cpns

#endif  // CPNS_CORE_HKDF_H_
