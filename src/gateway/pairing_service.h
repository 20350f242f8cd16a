// PairingServiceImpl: the gateway's side of pairing by code (PROTOCOL.md
// section 11), the SPAKE2+ verifier.
//
// StartPairing: checks admission (pairing mode, rates, the peer's failed
// attempts), looks up the verifier of the code pending for the entity and
// user, or uses decoy parameters (pairing_decoy.h) when there is none or the
// owner does not allow that user or entity type, so that the answer does not
// tell which devices have codes pending or who is allowed; draws y and
// answers the salt, the iterations and shareV, keeping the exchange in
// PairingSessions.
//
// FinishPairing: takes the session (once), computes the keys from shareP and
// checks confirmP in constant time. A failure counts against the code (the
// failed_pairings_per_code-th spends it) and against the peer, and is
// PERMISSION_DENIED with one message for every cause. On success: the 1st
// seed (UNAVAILABLE leaves the code unused), the code marked used, the key
// derived, sealed under the exchange's assignment key and then recorded
// (KeyIssuer: the record is the last step that can fail), and answered as
// confirmV and the sealed EUKey Assignment Response; if any of that fails,
// nothing left and the code is put back.
//
// Thread-safe.
#ifndef CPNS_GATEWAY_PAIRING_SERVICE_H_
#define CPNS_GATEWAY_PAIRING_SERVICE_H_

#include <string>

#include "cpns/core/clock.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "gateway/admission.h"
#include "gateway/key_issuer.h"
#include "gateway/pairing_sessions.h"
#include "gateway/state_db.h"
#include "wire/unix_peers.h"

namespace cpns::gateway {

class PairingServiceImpl final : public cpns::v1::PairingService::Service {
 public:
  // All references must outlive the service. `decoy_key`: the state's
  // PairingDecoyKey().
  PairingServiceImpl(KeyIssuer& issuer, Admission& admission, GatewayStateDb& state,
                     const wire::UnixPeers& peers, GatewayId gw_id, SecretBytes decoy_key,
                     const Clock& clock, PairingSessionLimits limits = {})
      : issuer_(issuer), admission_(admission), state_(state), peers_(peers),
        gw_id_(std::move(gw_id)), decoy_key_(std::move(decoy_key)), sessions_(limits, clock) {}

  grpc::Status StartPairing(grpc::ServerContext* context,
                            const cpns::v1::StartPairingRequest* request,
                            cpns::v1::StartPairingResponse* response) override;
  grpc::Status FinishPairing(grpc::ServerContext* context,
                             const cpns::v1::FinishPairingRequest* request,
                             cpns::v1::FinishPairingResponse* response) override;

  size_t sessions_in_progress() const { return sessions_.size(); }

 private:
  absl::Status Start(const cpns::v1::StartPairingRequest& request, const PeerInfo& peer,
                     cpns::v1::StartPairingResponse& response);
  absl::Status Finish(const cpns::v1::FinishPairingRequest& request, absl::Time deadline,
                      const PeerInfo& peer, cpns::v1::FinishPairingResponse& response,
                      absl::Time start);
  // A failed confirmation: counted against the code and the peer.
  absl::Status Failed(const PairingSession& session, const PeerInfo& peer);
  // After the confirmation: the key, issued, recorded and sealed.
  absl::Status IssueSealed(const PairingSession& session, const spake2plus::Keys& keys,
                           absl::Time deadline, const PeerInfo& peer,
                           cpns::v1::FinishPairingResponse& response, absl::Time start);
  // The key issued, recorded and sealed under the exchange's keys.
  absl::StatusOr<std::string> SealedAssignment(const PairingSession& session,
                                               const spake2plus::Keys& keys, const FirstSeed& seed,
                                               const PeerInfo& peer, absl::Time start);
  // Logs and counts a refusal; the gRPC status to answer.
  grpc::Status Refused(absl::string_view what, const absl::Status& status, const PeerInfo& peer,
                       absl::Time start);

  KeyIssuer& issuer_;
  Admission& admission_;
  GatewayStateDb& state_;
  const wire::UnixPeers& peers_;
  const GatewayId gw_id_;
  const SecretBytes decoy_key_;
  PairingSessions sessions_;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_PAIRING_SERVICE_H_
