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

struct CrlFree {
  void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
};
using CrlPtr = std::unique_ptr<X509_CRL, CrlFree>;
struct StackFree {
  void operator()(STACK_OF(X509) * s) const { sk_X509_pop_free(s, X509_free); }
};
using CertStackPtr = std::unique_ptr<STACK_OF(X509), StackFree>;

// Every CRL of the file's text; a bad block fails naming the file.
absl::StatusOr<std::vector<CrlPtr>> ParseCrls(const std::string& pem, const std::string& path) {
  std::vector<CrlPtr> crls;
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) return absl::InternalError("BIO_new_mem_buf failed");
  ERR_clear_error();
  while (true) {
    CrlPtr crl(PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr));
    if (crl == nullptr) break;
    crls.push_back(std::move(crl));
  }
  if (!PemReadReachedEnd()) {
    return absl::InvalidArgumentError(
        absl::StrCat("CRL file ", path, ": PEM block after CRL ", crls.size(),
                     " is not a whole, valid CRL (truncated, not base64, or not a CRL)"));
  }
  if (crls.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("CRL file ", path, " holds no PEM CRL"));
  }
  return crls;
}

// OK when a CA of `cas` named as the CRL's issuer signed it, or when none
// has that name (kept for the handshake, see crl.h); an error naming the
// file when CAs of that name exist and none of their keys made it.
absl::Status CheckIssuer(X509_CRL* crl, const std::vector<X509Ptr>& cas, const std::string& path) {
  const std::string issuer = NameText(X509_CRL_get_issuer(crl));
  bool named = false;
  for (const X509Ptr& ca : cas) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(ca.get())) != 0) continue;
    named = true;
    const int verified = X509_CRL_verify(crl, X509_get0_pubkey(ca.get()));
    ERR_clear_error();
    if (verified == 1) return absl::OkStatus();
  }
  if (named) {
    return absl::InvalidArgumentError(absl::StrCat("CRL file ", path, ": the CRL of ", issuer,
                                                   " is not signed by that CA's key"));
  }
  log::Warn("CRL of a CA not in the CA bundle: kept for an intermediate CA a peer may present "
            "(its signature is checked then); without effect if that CA was retired",
            {{"file", path}, {"issuer", issuer}});
  return absl::OkStatus();
}

void WarnIfStale(X509_CRL* crl, const std::string& path, absl::Time now) {
  const ASN1_TIME* next = X509_CRL_get0_nextUpdate(crl);
  time_t t = absl::ToTimeT(now);
  if (next == nullptr || X509_cmp_time(next, &t) >= 0) return;
  log::Warn("CRL past its nextUpdate, still enforced: publish a fresh one",
            {{"file", path}, {"issuer", NameText(X509_CRL_get_issuer(crl))}});
}

// Path validation errors that do not refuse a peer: a CA without a CRL, and
// a CRL past its nextUpdate (still applied).
int TolerateMissingOrStaleCrl(int ok, X509_STORE_CTX* ctx) {
  if (ok == 1) return 1;
  const int err = X509_STORE_CTX_get_error(ctx);
  return err == X509_V_ERR_UNABLE_TO_GET_CRL || err == X509_V_ERR_CRL_HAS_EXPIRED ? 1 : 0;
}

absl::StatusOr<StorePtr> NewStore(const std::vector<X509Ptr>& cas) {
  StorePtr store(X509_STORE_new());
  if (store == nullptr) return absl::InternalError("X509_STORE_new failed");
  for (const X509Ptr& ca : cas) X509_STORE_add_cert(store.get(), ca.get());
  ERR_clear_error();  // a CA listed twice is not an error
  X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
  X509_STORE_set_verify_cb(store.get(), TolerateMissingOrStaleCrl);
  return store;
}

// The peer's certificates after its leaf, for path building.
absl::StatusOr<CertStackPtr> Untrusted(std::vector<X509Ptr> rest, absl::string_view chain_pem) {
  CPNS_ASSIGN_OR_RETURN(std::vector<X509Ptr> chain, Certificates(chain_pem, "peer chain"));
  CertStackPtr stack(sk_X509_new_null());
  if (stack == nullptr) return absl::InternalError("sk_X509_new_null failed");
  for (std::vector<X509Ptr>* certs : {&rest, &chain}) {
    for (X509Ptr& cert : *certs) {
      if (sk_X509_push(stack.get(), cert.get()) == 0) return absl::InternalError("sk_X509_push");
      cert.release();  // owned by the stack now
    }
  }
  return stack;
}

absl::Status Refusal(X509_STORE_CTX* ctx) {
  const int err = X509_STORE_CTX_get_error(ctx);
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  const std::string serial = cert == nullptr ? "?" : SerialHex(cert);
  if (err == X509_V_ERR_CERT_REVOKED) {
    const int depth = X509_STORE_CTX_get_error_depth(ctx);
    return absl::PermissionDeniedError(absl::StrCat(
        "certificate serial ", serial, depth == 0 ? "" : " (a CA of the peer's chain)",
        " is revoked"));
  }
  return absl::PermissionDeniedError(
      absl::StrCat("the peer's chain does not pass the CA bundle and its CRLs at certificate ",
                   "serial ", serial, ": ", X509_verify_cert_error_string(err)));
}

}  // namespace

absl::StatusOr<std::shared_ptr<const CrlSet>> CrlSet::ForBundle(absl::string_view ca_pem) {
  CPNS_ASSIGN_OR_RETURN(std::vector<X509Ptr> cas, Certificates(ca_pem, "CA bundle"));
  auto set = std::make_shared<CrlSet>();
  CPNS_ASSIGN_OR_RETURN(set->store_, NewStore(cas));
  return std::shared_ptr<const CrlSet>(std::move(set));
}

absl::StatusOr<std::shared_ptr<const CrlSet>> CrlSet::Load(const std::string& path,
                                                           absl::string_view ca_pem,
                                                           absl::Time now) {
  CPNS_ASSIGN_OR_RETURN(std::string pem, ReadPem("CRL", path));
  CPNS_ASSIGN_OR_RETURN(std::vector<X509Ptr> cas, Certificates(ca_pem, "CA bundle"));
  CPNS_ASSIGN_OR_RETURN(std::vector<CrlPtr> crls, ParseCrls(pem, path));
  auto set = std::make_shared<CrlSet>();
  CPNS_ASSIGN_OR_RETURN(set->store_, NewStore(cas));
  for (const CrlPtr& crl : crls) {
    CPNS_RETURN_IF_ERROR(CheckIssuer(crl.get(), cas, path));
    WarnIfStale(crl.get(), path, now);
    if (X509_STORE_add_crl(set->store_.get(), crl.get()) != 1) ERR_clear_error();  // a duplicate
  }
  set->crl_count_ = crls.size();
  return std::shared_ptr<const CrlSet>(std::move(set));
}

absl::Status CrlSet::Check(absl::string_view peer_pem, absl::string_view peer_chain_pem) const {
  if (peer_pem.empty() || store_ == nullptr) return absl::OkStatus();
  absl::StatusOr<std::vector<X509Ptr>> certs = Certificates(peer_pem, "peer certificate");
  if (!certs.ok() || certs->empty()) {
    return absl::PermissionDeniedError("the peer certificate is not PEM");
  }
  X509Ptr leaf = std::move(certs->front());
  certs->erase(certs->begin());
  absl::StatusOr<CertStackPtr> untrusted = Untrusted(std::move(*certs), peer_chain_pem);
  if (!untrusted.ok()) return absl::PermissionDeniedError(untrusted.status().message());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (ctx == nullptr ||
      X509_STORE_CTX_init(ctx.get(), store_.get(), leaf.get(), untrusted->get()) != 1) {
    ERR_clear_error();
    return absl::InternalError("X509_STORE_CTX_init failed");
  }
  const int verified = X509_verify_cert(ctx.get());
  ERR_clear_error();
  if (verified == 1) return absl::OkStatus();
  return Refusal(ctx.get());
}

std::shared_ptr<const CrlSet> CrlHolder::Get() const {
  MutexLock lock(&mu_);
  return current_;
}

void CrlHolder::Set(std::shared_ptr<const CrlSet> crls) {
  MutexLock lock(&mu_);
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
    const grpc::string_ref chain = request->peer_cert_full_chain();
    const absl::Status s = holder_->Get()->Check(absl::string_view(pem.data(), pem.size()),
                                                 absl::string_view(chain.data(), chain.size()));
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
