#include "wire/crl.h"

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "absl/strings/str_cat.h"
#include "core/logging.h"
#include "core/openssl_ptr.h"
#include "core/status_macros.h"
#include "wire/tls_material.h"

namespace cpns::wire {
namespace {

std::string NameText(const X509_NAME* name) {
  char buf[256];
  X509_NAME_oneline(name, buf, sizeof buf);
  return buf;
}

std::string SerialHex(const X509* cert) {
  BnPtr bn(ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  char* hex = bn ? BN_bn2hex(bn.get()) : nullptr;
  std::string out = hex ? hex : "?";
  OPENSSL_free(hex);
  return out;
}

// The CA of `cas` that issued and signed `crl`, or an error naming the file.
absl::Status CheckIssuer(X509_CRL* crl, const std::vector<X509Ptr>& cas, const std::string& path) {
  const std::string issuer = NameText(X509_CRL_get_issuer(crl));
  for (const X509Ptr& ca : cas) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca.get())) != 0) continue;
    const int verified = X509_CRL_verify(crl, X509_get0_pubkey(ca.get()));
    ERR_clear_error();
    if (verified == 1) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrCat("CRL file ", path, ": the CRL of ", issuer,
                                                   " is not signed by that CA's key"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "CRL file ", path, ": the CRL of ", issuer, " is not from a CA of the trusted CA bundle"));
}

void WarnIfStale(X509_CRL* crl, const std::string& path, absl::Time now) {
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  time_t t = absl::ToTimeT(now);
  if (next == nullptr || X509_cmp_time(next, &t) >= 0) return;
  log::Warn("CRL past its nextUpdate, still enforced: publish a fresh one",
            {{"file", path}, {"issuer", NameText(X509_CRL_get_issuer(crl))}});
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CrlSet>> CrlSet::Load(const std::string& path,
                                                           absl::string_view ca_pem,
                                                           absl::Time now) {
  CPNS_ASSIGN_OR_RETURN(std::string pem, ReadPem("CRL", path));
  const std::vector<X509Ptr> cas = Certificates(ca_pem);
  auto set = std::make_shared<CrlSet>();
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  while (bio != nullptr) {
    std::unique_ptr<X509_CRL, CrlFree> crl(
        PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (crl == nullptr) break;
    CPNS_RETURN_IF_ERROR(CheckIssuer(crl.get(), cas, path));
    WarnIfStale(crl.get(), path, now);
    set->crls_.push_back(std::move(crl));
  }
  ERR_clear_error();
  if (set->crls_.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("CRL file ", path, " holds no PEM CRL"));
  }
  return std::shared_ptr<const CrlSet>(std::move(set));
}

absl::Status CrlSet::Check(absl::string_view peer_pem) const {
  if (peer_pem.empty() || crls_.empty()) return absl::OkStatus();
  std::vector<X509Ptr> certs = Certificates(peer_pem);
  if (certs.empty()) return absl::PermissionDeniedError("the peer certificate is not PEM");
  X509* leaf = certs.front().get();
  for (const auto& crl : crls_) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), X509_get_issuer_name(leaf)) != 0) continue;
    X509_REVOKED* entry = nullptr;
    if (X509_CRL_get0_by_cert(crl.get(), &entry, leaf) == 1) {
      return absl::PermissionDeniedError(
          absl::StrCat("certificate serial ", SerialHex(leaf), " is revoked"));
    }
  }
  return absl::OkStatus();
}

std::shared_ptr<const CrlSet> CrlHolder::Get() const {
  absl::MutexLock lock(&mu_);
  return current_;
}

void CrlHolder::Set(std::shared_ptr<const CrlSet> crls) {
  absl::MutexLock lock(&mu_);
  current_ = std::move(crls);
}

namespace {

// Synchronous: a lookup in memory, no I/O on gRPC's handshake path.
class CrlVerifier final : public grpc::experimental::ExternalCertificateVerifier {
 public:
  explicit CrlVerifier(std::shared_ptr<const CrlHolder> holder) : holder_(std::move(holder)) {}

  bool Verify(grpc::experimental::TlsCustomVerificationCheckRequest* request,
              std::function<void(grpc::Status)>, grpc::Status* sync_status) override {
    const grpc::string_ref pem = request->peer_cert();
    const absl::Status s = holder_->Get()->Check(absl::string_view(pem.data(), pem.size()));
    if (s.ok()) {
      *sync_status = grpc::Status::OK;
      return true;
    }
    log::Warn("TLS peer refused", {{"reason", std::string(s.message())}});
    *sync_status = grpc::Status(grpc::StatusCode::PERMISSION_DENIED, std::string(s.message()));
    return true;
  }

  void Cancel(grpc::experimental::TlsCustomVerificationCheckRequest*) override {}

 private:
  const std::shared_ptr<const CrlHolder> holder_;
};

}  // namespace

std::shared_ptr<grpc::experimental::CertificateVerifier> MakeCrlVerifier(
    std::shared_ptr<const CrlHolder> holder) {
  return grpc::experimental::ExternalCertificateVerifier::Create<CrlVerifier>(std::move(holder));
}

}  // namespace cpns::wire
