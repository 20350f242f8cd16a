#include "core/digest.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace cpns {

std::string LabeledSha256(absl::string_view label, absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, label.data(), label.size()) == 1 &&
                  EVP_DigestUpdate(ctx, data.data(), data.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  // SHA-256 in OpenSSL fails only when it cannot allocate: treat as fatal.
  if (!ok || len != 32) std::abort();
  return std::string(reinterpret_cast<const char*>(digest), len);
}

}  // namespace cpns
