// The development PKI's rotation and revocation: a second server certificate
// and CRLs (pki/dev_pki.h).
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "cpns/core/identifiers.h"
#include "pki/dev_pki.h"
#include "pki/x509_builder.h"

namespace cpns::pki {
namespace {

struct CrlFree {
  void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
struct TimeFree {
  void operator()(ASN1_TIME* t) const { ASN1_TIME_free(t); }
};
using TimePtr = std::unique_ptr<ASN1_TIME, TimeFree>;

absl::Status Revoke(X509_CRL* crl, const std::string& cert_file, const ASN1_TIME* when) {
  CPNS_ASSIGN_OR_RETURN(std::string pem, ReadFile(cert_file));
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  X509_REVOKED* entry = X509_REVOKED_new();
  if (cert == nullptr || entry == nullptr ||
      X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert.get())) != 1 ||
      X509_REVOKED_set_revocationDate(entry, const_cast<ASN1_TIME*>(when)) != 1 ||
      X509_CRL_add0_revoked(crl, entry) != 1) {
    X509_REVOKED_free(entry);
    return OpenSslError(absl::StrCat("revoking the certificate of ", cert_file));
  }
  return absl::OkStatus();
}

// RFC 5280 5.2.1: a CRL names its CA's key, which tells apart the CRLs of
// two CAs of one name (a re-keyed CA during a rollover).
absl::Status AddAuthorityKeyId(X509_CRL* crl, X509* ca) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, ca, nullptr, nullptr, crl, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, NID_authority_key_identifier, "keyid:always"));
  if (ext == nullptr || X509_CRL_add_ext(crl, ext.get(), -1) != 1) {
    return OpenSslError("adding the CRL's authorityKeyIdentifier");
  }
  return absl::OkStatus();
}

// A signed CRL of `ca` revoking the certificates of `revoked`.
absl::StatusOr<CrlPtr> MakeCrl(const KeyAndCert& ca, const std::vector<std::string>& revoked,
                               int next_update_days) {
  CrlPtr crl(X509_CRL_new());
  const time_t now = std::time(nullptr);
  TimePtr last(ASN1_TIME_adj(nullptr, now, std::min(next_update_days, 0) - 1, 0));
  TimePtr next(ASN1_TIME_adj(nullptr, now, next_update_days, 0));
  if (crl == nullptr || last == nullptr || next == nullptr ||
      X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.cert.get())) != 1 ||
      X509_CRL_set1_lastUpdate(crl.get(), last.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1) {
    return OpenSslError("making the CRL");
  }
  for (const std::string& file : revoked) CPNS_RETURN_IF_ERROR(Revoke(crl.get(), file, last.get()));
  CPNS_RETURN_IF_ERROR(AddAuthorityKeyId(crl.get(), ca.cert.get()));
  if (X509_CRL_sort(crl.get()) != 1 || X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) == 0) {
    return OpenSslError("signing the CRL");
  }
  return crl;
}

}  // namespace

absl::Status IssueServerCertificate(const std::string& dir, const std::string& server_name,
                                    const std::string& base, int validity_days) {
  if (server_name.empty()) return absl::InvalidArgumentError("the server name is empty");
  if (base.empty() || base.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("\"", base, "\" is not a file base name"));
  }
  CPNS_ASSIGN_OR_RETURN(KeyAndCert ca, ReadPair(dir, "ca"));
  CPNS_ASSIGN_OR_RETURN(KeyAndCert server, Issue(ServerProfile(server_name), &ca, validity_days));
  return WritePair(dir, base, server);
}

absl::Status IssueIntermediateDeviceCa(const std::string& dir, const std::string& parent,
                                       const std::string& base,
                                       const std::vector<std::string>& device_ids,
                                       int validity_days) {
  for (const std::string* name : {&parent, &base}) {
    if (name->empty() || name->find('/') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("\"", *name, "\" is not a file base name"));
    }
  }
  CPNS_ASSIGN_OR_RETURN(KeyAndCert root, ReadPair(dir, parent));
  Profile profile = CaProfile(absl::StrCat("cpns dev intermediate CA ", base));
  profile.extensions.push_back({NID_authority_key_identifier, "keyid:always"});
  CPNS_ASSIGN_OR_RETURN(KeyAndCert ca, Issue(profile, &root, validity_days));
  CPNS_RETURN_IF_ERROR(WritePair(dir, base, ca));
  CPNS_ASSIGN_OR_RETURN(std::string ca_pem, ReadFile(absl::StrCat(dir, "/", base, ".crt")));
  for (const std::string& id : device_ids) {
    if (id.empty() || id.find('/') != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("\"", id, "\" is not a device id"));
    }
    const Profile device = LeafProfile(absl::StrCat("cpns device ", id), "clientAuth",
                                       {{GEN_URI, absl::StrCat(kEntityUriPrefix, id)}});
    CPNS_ASSIGN_OR_RETURN(KeyAndCert device_kc, Issue(device, &ca, validity_days));
    const std::string name = absl::StrCat("device-", id);
    CPNS_RETURN_IF_ERROR(WritePair(dir, name, device_kc));
    const std::string crt = absl::StrCat(dir, "/", name, ".crt");
    CPNS_ASSIGN_OR_RETURN(std::string leaf_pem, ReadFile(crt));
    CPNS_RETURN_IF_ERROR(WriteFileAtomically(crt, leaf_pem + ca_pem, 0644));
  }
  return absl::OkStatus();
}

absl::Status WriteDevelopmentCrl(const std::string& dir, const std::string& ca,
                                 const std::vector<std::string>& revoked, const std::string& out,
                                 int next_update_days) {
  CPNS_ASSIGN_OR_RETURN(KeyAndCert issuer, ReadPair(dir, ca));
  CPNS_ASSIGN_OR_RETURN(CrlPtr crl, MakeCrl(issuer, revoked, next_update_days));
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (bio == nullptr || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1) {
    return OpenSslError("PEM-encoding the CRL");
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return WriteFileAtomically(out, absl::string_view(data, static_cast<size_t>(len)), 0644);
}

}  // namespace cpns::pki
