#include "gateway/eukey_service.h"

#include "core/logging.h"
#include "core/status_macros.h"
#include "wire/messages.h"
#include "wire/redact.h"
#include "wire/status.h"
#include "wire/tls.h"

namespace cpns::gateway {

PeerInfo PeerOf(grpc::ServerContext& context, const wire::UnixPeers& peers) {
  PeerInfo peer{.address = peers.Name(context.peer())};
  if (std::shared_ptr<const grpc::AuthContext> auth = context.auth_context(); auth != nullptr) {
    peer.certified_entity = wire::PeerEntityId(*auth);
  }
  return peer;
}

grpc::Status EUKeyServiceImpl::AssignEUKey(grpc::ServerContext* context,
                                           const cpns::v1::EUKeyAssignmentRequest* request,
                                           cpns::v1::EUKeyAssignmentResponse* response) {
  const absl::Time start = absl::Now();  // for duration_ms in the log
  const PeerInfo peer = PeerOf(*context, peers_);
  absl::Status status =
      Assign(*request, absl::FromChrono(context->deadline()), peer, *response, start);
  // A cpns 0.1 device's pairing code arrives in the retired field 4, kept
  // by protobuf as an unknown field: overwritten, never read. The request is
  // the server's to change (const only by the generated signature).
  wire::WipeSensitiveFields(*const_cast<cpns::v1::EUKeyAssignmentRequest*>(request));
  if (!status.ok()) {
    issuer_.Refused("EUKey Assignment Request", status, peer, start);
    return wire::ToGrpcStatus(status);
  }
  issuer_.CountIssued();
  return grpc::Status::OK;
}

absl::Status EUKeyServiceImpl::Assign(const cpns::v1::EUKeyAssignmentRequest& request,
                                      absl::Time deadline, const PeerInfo& peer,
                                      cpns::v1::EUKeyAssignmentResponse& response,
                                      absl::Time start) {
  CPNS_ASSIGN_OR_RETURN(Assignee assignee, wire::ParseAssignmentRequest(request));  // step 1
  // Who may get a key: decided before any secret is touched.
  CPNS_ASSIGN_OR_RETURN(std::string admitted_by, admission_.Admit(assignee, peer));
  CPNS_ASSIGN_OR_RETURN(FirstSeed seed, issuer_.Seed(deadline));  // steps 2-5
  return issuer_.Issue(assignee, seed, admitted_by, peer, response, start);
}

}  // namespace cpns::gateway
