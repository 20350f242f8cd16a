// EUKeyServiceImpl: steps 1, 2, 6 and 7 of the flow, gateway side, for
// devices admitted by certificate or openly (admission.h). A gateway that
// admits by pairing code refuses AssignEUKey: its devices pair through
// PairingService (pairing_service.h).
//
// Thread-safe. Validates the request (INVALID_ARGUMENT naming the field),
// passes it to admission, and has the KeyIssuer derive, record and log the
// key (key_issuer.h).
#ifndef CPNS_GATEWAY_EUKEY_SERVICE_H_
#define CPNS_GATEWAY_EUKEY_SERVICE_H_

#include "cpns/v1/cpns.grpc.pb.h"
#include "gateway/admission.h"
#include "gateway/key_issuer.h"
#include "wire/unix_peers.h"

namespace cpns::gateway {

// The requester of a call on `context`: the gRPC peer (a Unix socket's
// connection named after its user by `peers`) and its device certificate.
PeerInfo PeerOf(grpc::ServerContext& context, const wire::UnixPeers& peers);

class EUKeyServiceImpl final : public cpns::v1::EUKeyService::Service {
 public:
  // All must outlive the service. Every request passes `admission` first.
  EUKeyServiceImpl(KeyIssuer& issuer, Admission& admission, const wire::UnixPeers& peers)
      : issuer_(issuer), admission_(admission), peers_(peers) {}

  grpc::Status AssignEUKey(grpc::ServerContext* context,
                           const cpns::v1::EUKeyAssignmentRequest* request,
                           cpns::v1::EUKeyAssignmentResponse* response) override;

 private:
  absl::Status Assign(const cpns::v1::EUKeyAssignmentRequest& request, absl::Time deadline,
                      const PeerInfo& peer, cpns::v1::EUKeyAssignmentResponse& response,
                      absl::Time start);  // `start`: when the call came, for the log

  KeyIssuer& issuer_;
  Admission& admission_;
  const wire::UnixPeers& peers_;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_EUKEY_SERVICE_H_
