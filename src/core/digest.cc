// On OpenSSL's SHA-256 functions, as core/hmac_sha256.cc is: the state lives
// on the stack, where an EVP digest context is allocated and freed per hash
// (a key fingerprint is taken on every authentication).
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/digest.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace cpns {

std::string LabeledSha256(absl::string_view label, absl::string_view data) {
  SHA256_CTX state;
  SHA256_Init(&state);
  SHA256_Update(&state, label.data(), label.size());
  SHA256_Update(&state, data.data(), data.size());
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  SHA256_Final(reinterpret_cast<unsigned char*>(digest.data()), &state);
  // The state has absorbed the data, which may be a secret (a 2nd seed).
  OPENSSL_cleanse(&state, sizeof(state));
  return digest;
}

}  // namespace cpns
