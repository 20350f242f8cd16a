// Certificate revocation lists a daemon enforces on its TLS peers (the
// server on gateways, a gateway on devices), and the gRPC verifier that
// enforces the current set. Thread-safe.
//
// A CrlSet is self-contained: it holds the CA bundle it was loaded with and
// the CRLs, and checks a peer's whole chain (leaf, the intermediates the
// peer sent, up to a CA of that bundle) with OpenSSL's own path validation
// and CRL checks (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL). So a
// CRL of an intermediate CA refuses the leaves it revoked, and a root's CRL
// refuses a revoked intermediate with every leaf below it. A CA without a
// CRL in the set is allowed (no CRL is no revocation).
//
// Which CRLs are taken at load:
//  - a CRL whose issuer is a CA of the bundle must be signed by that CA's
//    key (one of them, when a re-keyed CA shares its name); else the load
//    fails;
//  - a CRL whose issuer is no CA of the bundle is kept, with a warning: it
//    may be the CRL of an intermediate CA that only arrives in a peer's
//    chain, so its signature is checked at the handshake against that CA
//    (a CRL that does not verify then refuses the peer). A CRL of a CA that
//    left the bundle thus has no effect, and retiring a CA does not need
//    its CRL removed in the same reload.
// The handshake has already verified the chain; this check never admits a
// peer gRPC refused.
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
#include "core/mutex.h"
#include "absl/time/time.h"
#include "core/openssl_ptr.h"

namespace cpns::wire {

class CrlSet {
 public:
  // No CA bundle and no CRL: nothing is refused.
  CrlSet() = default;

  // The CA bundle `ca_pem` without CRLs: Check refuses only a chain that
  // does not verify to it. InvalidArgument for a bad certificate block.
  static absl::StatusOr<std::shared_ptr<const CrlSet>> ForBundle(absl::string_view ca_pem);

  // Every CRL of the PEM file `path` (one or more) with the CA bundle
  // `ca_pem`. InvalidArgument naming the file when it holds no CRL, a block
  // that is not a whole, valid CRL, or a CRL of a CA of the bundle not
  // signed by that CA's key; ReadPem's errors for the file. A CRL past its
  // nextUpdate at `now` is still enforced (revocations do not expire), with
  // a warning logged; at the handshake too.
  static absl::StatusOr<std::shared_ptr<const CrlSet>> Load(const std::string& path,
                                                            absl::string_view ca_pem,
                                                            absl::Time now);

  // `peer_pem`: the peer's certificate (its first one is the leaf);
  // `peer_chain_pem`: the other certificates it sent (gRPC's full chain; may
  // repeat the leaf, may be empty). OK for a set without CA bundle, when
  // `peer_pem` is empty (the peer sent no certificate), or when the chain
  // verifies to a CA of the bundle and no CRL revokes any of its
  // certificates; PermissionDenied naming the revoked certificate's serial
  // (hex) otherwise, or why the chain did not verify.
  absl::Status Check(absl::string_view peer_pem, absl::string_view peer_chain_pem = {}) const;

  size_t size() const { return crl_count_; }

 private:
  StorePtr store_;  // the CA bundle and the CRLs; read-only once loaded; null: no check
  size_t crl_count_ = 0;
};

// The CRL set in force; swapped whole on reload. Thread-safe.
class CrlHolder {
 public:
  CrlHolder() : current_(std::make_shared<const CrlSet>()) {}
  std::shared_ptr<const CrlSet> Get() const ABSL_LOCKS_EXCLUDED(mu_);
  void Set(std::shared_ptr<const CrlSet> crls) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  mutable Mutex mu_;
  std::shared_ptr<const CrlSet> current_ ABSL_GUARDED_BY(mu_);
};

// A server-side verifier refusing, after the handshake's own checks, a peer
// whose chain the holder's current set refuses (CrlSet::Check on the peer's
// certificate and full chain); logs the reason with the refused serial.
std::shared_ptr<grpc::experimental::CertificateVerifier> MakeCrlVerifier(
    std::shared_ptr<const CrlHolder> holder);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_CRL_H_
