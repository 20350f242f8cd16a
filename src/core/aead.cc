#include "core/aead.h"

#include <openssl/evp.h>

#include <memory>

#include "core/status_macros.h"
#include "cpns/core/random.h"

namespace cpns {
namespace {

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* U(absl::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

absl::StatusOr<std::string> AeadSeal(const SecretBytes& key, const SecretBytes& plaintext,
                                     absl::string_view aad) {
  if (key.size() != kAeadKeySize) return absl::InvalidArgumentError("AES-256-GCM key must be 32 bytes");
  CPNS_ASSIGN_OR_RETURN(SecretBytes nonce, SecureRandomBytes(kAeadNonceSize));
  std::string out(kAeadNonceSize + plaintext.size() + kAeadTagSize, '\0');
  std::copy_n(nonce.RevealSecret().data(), kAeadNonceSize, out.begin());
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  unsigned char* ct = reinterpret_cast<unsigned char*>(out.data()) + kAeadNonceSize;
  if (ctx == nullptr ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key.RevealSecret()),
                         U(nonce.RevealSecret())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), ct, &len, U(plaintext.RevealSecret()),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), ct + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kAeadTagSize,
                          ct + plaintext.size()) != 1) {
    return absl::InternalError("AES-256-GCM sealing failed in OpenSSL");
  }
  return out;
}

absl::StatusOr<SecretBytes> AeadOpen(const SecretBytes& key, absl::string_view sealed,
                                     absl::string_view aad) {
  if (key.size() != kAeadKeySize) return absl::InvalidArgumentError("AES-256-GCM key must be 32 bytes");
  if (sealed.size() < kAeadNonceSize + kAeadTagSize) {
    return absl::DataLossError("sealed value is too short for AES-256-GCM");
  }
  const size_t ct_len = sealed.size() - kAeadNonceSize - kAeadTagSize;
  SecretBytes plain(ct_len);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  std::string tag(sealed.substr(kAeadNonceSize + ct_len));
  int len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, U(key.RevealSecret()),
                         U(sealed.substr(0, kAeadNonceSize))) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, U(aad), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), plain.MutableSecretData(), &len,
                        U(sealed.substr(kAeadNonceSize, ct_len)), static_cast<int>(ct_len)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kAeadTagSize, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), plain.MutableSecretData() + len, &len) == 1;
  if (!ok) {
    return absl::DataLossError(
        "AES-256-GCM authentication failed: wrong key, tampered value, or a value that belongs "
        "to another gateway or epoch");
  }
  return plain;
}

}  // namespace cpns
