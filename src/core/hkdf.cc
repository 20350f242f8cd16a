#include "core/hkdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <memory>

#include "core/openssl_ptr.h"

namespace cpns {

absl::StatusOr<SecretBytes> HkdfSha256NoSalt(const SecretBytes& ikm, absl::string_view info,
                                             size_t size) {
  using KdfPtr = std::unique_ptr<EVP_KDF, OpenSslFree<EVP_KDF_free>>;
  using KdfCtxPtr = std::unique_ptr<EVP_KDF_CTX, OpenSslFree<EVP_KDF_CTX_free>>;
  KdfPtr kdf(EVP_KDF_fetch(nullptr, OSSL_KDF_NAME_HKDF, nullptr));
  KdfCtxPtr ctx(kdf == nullptr ? nullptr : EVP_KDF_CTX_new(kdf.get()));
  char digest[] = "SHA256";
  // No OSSL_KDF_PARAM_SALT: OpenSSL then extracts with an empty HMAC key,
  // which HMAC pads to the same block as RFC 5869's HashLen zero bytes.
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                        const_cast<char*>(ikm.RevealSecret().data()), ikm.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  SecretBytes out(size);
  if (ctx == nullptr || EVP_KDF_derive(ctx.get(), out.MutableSecretData(), size, params) != 1) {
    return absl::InternalError("HKDF-SHA256 failed in OpenSSL");
  }
  return out;
}

}  // namespace cpns
