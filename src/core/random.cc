#include "cpns/core/random.h"

#include <openssl/rand.h>

namespace cpns {

absl::StatusOr<SecretBytes> SecureRandomBytes(size_t size) {
  SecretBytes out(size);
  if (size > 0 && RAND_priv_bytes(out.MutableSecretData(), static_cast<int>(size)) != 1) {
    return absl::InternalError("OpenSSL CSPRNG (RAND_priv_bytes) failed");
  }
  return out;
}

}  // namespace cpns
