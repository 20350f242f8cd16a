#include "wire/tls_material.h"

#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::wire {
namespace {

BioPtr MemoryBio(absl::string_view pem) {
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

absl::Status NotPem(absl::string_view what, const std::string& path) {
  return absl::InvalidArgumentError(absl::StrCat(what, " file ", path, " is not PEM"));
}

// The key file under `rule`, as text.
absl::StatusOr<std::string> ReadKeyPem(const std::string& path, KeyFileRule rule) {
  if (rule == KeyFileRule::kAnyMode) return ReadPem("private key", path);
  if (path.empty()) return absl::InvalidArgumentError("private key file is not set");
  absl::StatusOr<SecretBytes> key = ReadSecretFile(path);
  if (!key.ok()) return WithContext("private key", key.status());
  std::string pem(key->RevealSecret());
  if (!absl::StrContains(pem, "-----BEGIN ")) {
    WipeString(pem);
    return NotPem("private key", path);
  }
  return pem;
}

// Never prompts on a terminal for the passphrase of an encrypted key.
int NoPassphrase(char*, int, int, void*) { return 0; }

// The key in `key_pem` is the private key of the first certificate of `cert_pem`.
absl::Status CheckKeyPair(const std::string& cert_path, const std::string& cert_pem,
                          const std::string& key_path, const std::string& key_pem) {
  CPNS_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs,
                        Certificates(cert_pem, absl::StrCat("certificate file ", cert_path)));
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate file ", cert_path, " holds no PEM certificate"));
  }
  BioPtr bio = MemoryBio(key_pem);
  PkeyPtr key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr) : nullptr);
  ERR_clear_error();
  if (key == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        "private key file ", key_path, " holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(certs.front().get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("certificate ", cert_path, " and private key ",
                                                   key_path, " do not match (the key is not "
                                                   "the certificate's)"));
  }
  return absl::OkStatus();
}

}  // namespace

Identity::~Identity() { WipeString(private_key); }

absl::StatusOr<std::string> ReadPem(absl::string_view what, const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError(absl::StrCat(what, " file is not set"));
  absl::StatusOr<std::string> pem = ReadFile(path);
  if (!pem.ok()) return WithContext(what, pem.status());
  if (!absl::StrContains(*pem, "-----BEGIN ")) {
    WipeString(*pem);
    return NotPem(what, path);
  }
  return pem;
}

absl::StatusOr<std::string> ReadCaBundle(absl::string_view what, const std::string& path) {
  CPNS_ASSIGN_OR_RETURN(std::string pem, ReadPem(what, path));
  CPNS_ASSIGN_OR_RETURN(std::vector<X509Ptr> certs,
                        Certificates(pem, absl::StrCat(what, " file ", path)));
  if (certs.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " file ", path, " holds no PEM certificate"));
  }
  return pem;
}

bool PemReadReachedEnd() {
  const unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

absl::StatusOr<std::vector<X509Ptr>> Certificates(absl::string_view pem,
                                                  absl::string_view source) {
  std::vector<X509Ptr> certs;
  if (pem.empty()) return certs;
  BioPtr bio = MemoryBio(pem);
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  ERR_clear_error();
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) break;
    certs.push_back(std::move(cert));
  }
  if (!PemReadReachedEnd()) {
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": PEM block after certificate ", certs.size(),
        " is not a whole, valid certificate (truncated, not base64, or not X.509)"));
  }
  return certs;
}

absl::StatusOr<Identity> ReadIdentity(const std::string& cert_file, const std::string& key_file,
                                      KeyFileRule rule) {
  Identity identity;
  CPNS_ASSIGN_OR_RETURN(identity.cert_chain, ReadPem("certificate", cert_file));
  CPNS_ASSIGN_OR_RETURN(identity.private_key, ReadKeyPem(key_file, rule));
  CPNS_RETURN_IF_ERROR(
      CheckKeyPair(cert_file, identity.cert_chain, key_file, identity.private_key));
  return identity;
}

}  // namespace cpns::wire
