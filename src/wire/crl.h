// Certificate revocation lists a daemon enforces on its TLS peers (the
// server on gateways, a gateway on devices), and the gRPC verifier that
// enforces the current set. Thread-safe.
//
// The handshake has already verified the peer's chain against the CA bundle;
// the CRLs then refuse a leaf its CA revoked. Only CRLs signed by a CA of
// that same bundle are taken, so a CRL cannot be planted by anyone but a CA
// the daemon already trusts.
#ifndef CPNS_WIRE_CRL_H_
#define CPNS_WIRE_CRL_H_

#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/security/tls_certificate_verifier.h>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cpns::wire {

class CrlSet {
 public:
  // No CRL: nothing is refused.
  CrlSet() = default;

  // Every CRL of the PEM file `path` (one or more). InvalidArgument naming
  // the file when it holds none, or a CRL whose issuer is no CA of `ca_pem`
  // or whose signature that CA did not make; ReadPem's errors for the file.
  // A CRL past its nextUpdate at `now` is still enforced (revocations do not
  // expire), with a warning logged.
  static absl::StatusOr<std::shared_ptr<const CrlSet>> Load(const std::string& path,
                                                            absl::string_view ca_pem,
                                                            absl::Time now);

  // OK when `peer_pem` is empty (the peer sent no certificate) or its first
  // certificate is revoked by no CRL of its issuer; PermissionDenied naming
  // the revoked serial (hex) otherwise, or for a certificate that is not PEM.
  absl::Status Check(absl::string_view peer_pem) const;

  size_t size() const { return crls_.size(); }

 private:
  struct CrlFree {
    void operator()(X509_CRL* crl) const { X509_CRL_free(crl); }
  };
  std::vector<std::unique_ptr<X509_CRL, CrlFree>> crls_;
};

// The CRL set in force; swapped whole on reload. Thread-safe.
class CrlHolder {
 public:
  CrlHolder() : current_(std::make_shared<const CrlSet>()) {}
  std::shared_ptr<const CrlSet> Get() const ABSL_LOCKS_EXCLUDED(mu_);
  void Set(std::shared_ptr<const CrlSet> crls) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const CrlSet> current_ ABSL_GUARDED_BY(mu_);
};

// A server-side verifier refusing, after the handshake's own checks, a peer
// whose certificate the holder's current CRLs revoke; logs the refused
// serial.
std::shared_ptr<grpc::experimental::CertificateVerifier> MakeCrlVerifier(
    std::shared_ptr<const CrlHolder> holder);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_CRL_H_
