#include "pki/x509_builder.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::pki {

// Names `what` and the most recent OpenSSL error; clears the error queue.
absl::Status OpenSslError(const std::string& what) {
  const unsigned long err = ERR_peek_last_error();
  std::string detail = err == 0 ? "no OpenSSL error recorded" : ERR_error_string(err, nullptr);
  ERR_clear_error();
  return absl::InternalError(absl::StrCat(what, " failed: ", detail));
}

namespace {

absl::StatusOr<PkeyPtr> GenerateKey() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) return OpenSslError("EC P-256 key generation");
  return key;
}

// A random, positive 128-bit serial number (top bit set, so always 16 bytes).
absl::Status SetRandomSerial(X509* cert) {
  BnPtr bn(BN_new());
  if (bn == nullptr || BN_rand(bn.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1) {
    return OpenSslError("random serial number");
  }
  if (BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) == nullptr) {
    return OpenSslError("setting the serial number");
  }
  return absl::OkStatus();
}

absl::Status SetNamesAndValidity(X509* cert, const std::string& full_name, X509* issuer,
                                 int validity_days) {
  // X.509 caps a CN at 64 characters; the identity is in the SAN anyway.
  const std::string common_name = full_name.substr(0, 64);
  X509_NAME* subject = X509_get_subject_name(cert);
  if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1) {
    return OpenSslError(absl::StrCat("setting subject CN \"", common_name, "\""));
  }
  X509_NAME* issuer_name = issuer == nullptr ? subject : X509_get_subject_name(issuer);
  if (X509_set_issuer_name(cert, issuer_name) != 1) return OpenSslError("setting the issuer");
  if (X509_gmtime_adj(X509_getm_notBefore(cert), -3600) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert), validity_days, 0, nullptr) == nullptr) {
    return OpenSslError("setting the validity period");
  }
  return absl::OkStatus();
}

absl::Status AddConfExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (ext == nullptr || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError(absl::StrCat("adding extension ", OBJ_nid2sn(nid), "=", value));
  }
  return absl::OkStatus();
}

absl::StatusOr<GeneralNamePtr> MakeGeneralName(const SanEntry& san) {
  GeneralNamePtr name(GENERAL_NAME_new());
  if (san.type == GEN_IPADD) {
    ASN1_OCTET_STRING* ip = a2i_IPADDRESS(san.value.c_str());
    if (name == nullptr || ip == nullptr) {
      ASN1_OCTET_STRING_free(ip);
      return OpenSslError(absl::StrCat("SAN IP address ", san.value));
    }
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, ip);
    return name;
  }
  ASN1_IA5STRING* text = ASN1_IA5STRING_new();
  if (name == nullptr || text == nullptr ||
      ASN1_STRING_set(text, san.value.data(), static_cast<int>(san.value.size())) != 1) {
    ASN1_IA5STRING_free(text);
    return OpenSslError(absl::StrCat("SAN name ", san.value));
  }
  GENERAL_NAME_set0_value(name.get(), san.type, text);
  return name;
}

// Built from GENERAL_NAMEs rather than a config string, so that a ',' in a
// gateway id cannot smuggle in extra names.
absl::Status AddSubjectAltName(X509* cert, const std::vector<SanEntry>& sans) {
  GeneralNamesPtr names(sk_GENERAL_NAME_new_null());
  if (names == nullptr) return OpenSslError("allocating subjectAltName");
  for (const SanEntry& san : sans) {
    CPNS_ASSIGN_OR_RETURN(GeneralNamePtr name, MakeGeneralName(san));
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return OpenSslError("adding SAN");
    name.release();  // owned by `names` now
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_REPLACE) != 1) {
    return OpenSslError("adding subjectAltName");
  }
  return absl::OkStatus();
}

}  // namespace

// Issues a certificate for a fresh key; self-signed when `issuer` is null.
absl::StatusOr<KeyAndCert> Issue(const Profile& profile, const KeyAndCert* issuer,
                                 int validity_days) {
  CPNS_ASSIGN_OR_RETURN(PkeyPtr key, GenerateKey());
  X509Ptr cert(X509_new());
  if (cert == nullptr) return OpenSslError("X509_new");
  X509* issuer_cert = issuer == nullptr ? cert.get() : issuer->cert.get();
  EVP_PKEY* signing_key = issuer == nullptr ? key.get() : issuer->key.get();
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1 ||
      X509_set_pubkey(cert.get(), key.get()) != 1) {
    return OpenSslError("setting version and public key");
  }
  CPNS_RETURN_IF_ERROR(SetRandomSerial(cert.get()));
  CPNS_RETURN_IF_ERROR(SetNamesAndValidity(cert.get(), profile.common_name,
                                           issuer == nullptr ? nullptr : issuer_cert,
                                           validity_days));
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer_cert, cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : profile.extensions) {
    CPNS_RETURN_IF_ERROR(AddConfExtension(cert.get(), &ctx, nid, value));
  }
  if (!profile.sans.empty()) CPNS_RETURN_IF_ERROR(AddSubjectAltName(cert.get(), profile.sans));
  if (X509_sign(cert.get(), signing_key, EVP_sha256()) == 0) {
    return OpenSslError(absl::StrCat("signing the certificate for \"", profile.common_name, "\""));
  }
  return KeyAndCert{std::move(key), std::move(cert)};
}

Profile CaProfile(std::string common_name) {
  return {std::move(common_name),
          {{NID_basic_constraints, "critical,CA:TRUE"},
           {NID_key_usage, "critical,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"}},
          {}};
}

Profile ServerProfile(const std::string& server_name) {
  return LeafProfile(server_name, "serverAuth",
                     {{GEN_DNS, server_name},
                      {GEN_DNS, "localhost"},
                      {GEN_IPADD, "127.0.0.1"},
                      {GEN_IPADD, "::1"}});
}

Profile LeafProfile(std::string common_name, const char* eku, std::vector<SanEntry> sans) {
  return {std::move(common_name),
          {{NID_basic_constraints, "CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature"},
           {NID_ext_key_usage, eku},
           {NID_subject_key_identifier, "hash"},
           {NID_authority_key_identifier, "keyid:always"}},
          std::move(sans)};
}

// Writes <dir>/<base>.crt (0644) and <dir>/<base>.key (PKCS#8, 0600).
absl::Status WritePair(const std::string& dir, const std::string& base, const KeyAndCert& kc) {
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_secmem()));  // cleansed when freed
  if (cert_bio == nullptr || key_bio == nullptr ||
      PEM_write_bio_X509(cert_bio.get(), kc.cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), kc.key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1) {
    return OpenSslError(absl::StrCat("PEM-encoding ", base));
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(cert_bio.get(), &data);
  CPNS_RETURN_IF_ERROR(WriteFileAtomically(absl::StrCat(dir, "/", base, ".crt"),
                                           absl::string_view(data, static_cast<size_t>(len)), 0644));
  len = BIO_get_mem_data(key_bio.get(), &data);
  std::string key_pem(data, static_cast<size_t>(len));
  absl::Status status = WriteFileAtomically(absl::StrCat(dir, "/", base, ".key"), key_pem, 0600);
  WipeString(key_pem);
  return status;
}

absl::StatusOr<KeyAndCert> ReadPair(const std::string& dir, const std::string& base) {
  CPNS_ASSIGN_OR_RETURN(std::string cert_pem, ReadFile(absl::StrCat(dir, "/", base, ".crt")));
  CPNS_ASSIGN_OR_RETURN(SecretBytes key_pem, ReadSecretFile(absl::StrCat(dir, "/", base, ".key")));
  BioPtr cert_bio(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  BioPtr key_bio(BIO_new_mem_buf(key_pem.RevealSecret().data(),
                                 static_cast<int>(key_pem.size())));
  KeyAndCert kc;
  if (cert_bio != nullptr) {
    kc.cert.reset(PEM_read_bio_X509(cert_bio.get(), nullptr, nullptr, nullptr));
  }
  if (key_bio != nullptr) {
    kc.key.reset(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr));
  }
  if (kc.cert == nullptr || kc.key == nullptr) {
    return OpenSslError(absl::StrCat("reading ", dir, "/", base, ".crt and .key"));
  }
  return kc;
}

}  // namespace cpns::pki
