#include "core/openssl_ptr.h"
#include "wire/peer_identity.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <climits>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cpns::wire {
namespace {


// The most recent OpenSSL error as text; clears the thread's error queue.
std::string TakeOpenSslError() {
  const unsigned long err = ERR_peek_last_error();
  std::string text = err == 0 ? "no OpenSSL error recorded" : ERR_error_string(err, nullptr);
  ERR_clear_error();
  return text;
}

absl::StatusOr<X509Ptr> ParsePem(absl::string_view pem) {
  if (pem.size() > static_cast<size_t>(INT_MAX)) {
    return absl::InvalidArgumentError("certificate PEM is too large");
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return absl::InternalError(absl::StrCat("BIO_new_mem_buf failed: ", TakeOpenSslError()));
  }
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("certificate PEM does not parse: ", TakeOpenSslError()));
  }
  return cert;
}

// Every SAN URI that starts with `prefix`, with the prefix removed.
std::vector<absl::string_view> UriIds(const GENERAL_NAMES* names, absl::string_view prefix) {
  std::vector<absl::string_view> ids;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names, i);
    if (name->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = name->d.uniformResourceIdentifier;
    absl::string_view text(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                          static_cast<size_t>(ASN1_STRING_length(uri)));
    if (absl::StartsWith(text, prefix)) ids.push_back(text.substr(prefix.size()));
  }
  return ids;
}

// The identifier carried by the one SAN URI of `pem` that starts with
// `prefix`, parsed as an Id (GatewayId, EntityId).
template <typename Id>
absl::StatusOr<Id> IdFromCertificatePem(absl::string_view pem, absl::string_view prefix) {
  absl::StatusOr<X509Ptr> cert = ParsePem(pem);
  if (!cert.ok()) return cert.status();
  int critical = 0;
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert->get(), NID_subject_alt_name, &critical, nullptr)));
  if (names == nullptr) {
    // -1: no SAN extension; -2: more than one; otherwise it did not decode.
    ERR_clear_error();
    return absl::PermissionDeniedError(absl::StrCat(
        "certificate has no usable subjectAltName extension, so no ", prefix, " URI"));
  }
  const std::vector<absl::string_view> ids = UriIds(names.get(), prefix);
  if (ids.empty()) {
    return absl::PermissionDeniedError(absl::StrCat("certificate carries no ", prefix, " URI"));
  }
  if (ids.size() > 1) {
    return absl::PermissionDeniedError(absl::StrCat("certificate carries ", ids.size(), " ",
                                                    prefix, " URIs; exactly one is allowed"));
  }
  absl::StatusOr<Id> id = Id::Parse(ids.front());
  if (!id.ok()) {
    return absl::PermissionDeniedError(
        absl::StrCat("certificate ", prefix, " URI is invalid: ", id.status().message()));
  }
  return id;
}

}  // namespace

absl::StatusOr<GatewayId> GatewayIdFromCertificatePem(absl::string_view pem) {
  return IdFromCertificatePem<GatewayId>(pem, kGatewayUriPrefix);
}

absl::StatusOr<EntityId> EntityIdFromCertificatePem(absl::string_view pem) {
  return IdFromCertificatePem<EntityId>(pem, kEntityUriPrefix);
}

}  // namespace cpns::wire
