#include "gateway/auth_relay.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "core/logging.h"
#include "wire/status.h"

namespace cpns::gateway {

void AuthRelay::SetDeadline(const grpc::ServerContext& caller, grpc::ClientContext& upstream) const {
  const absl::Time deadline =
      std::min(absl::FromChrono(caller.deadline()), absl::Now() + upstream_timeout_);
  upstream.set_deadline(absl::ToChronoTime(deadline));
}

grpc::Status AuthRelay::Admit(const grpc::ServerContext& caller, const char* method) {
  // The peer as the EUKey service names it, so both share one budget.
  const PeerInfo peer{.address = peers_.Name(caller.peer())};
  const absl::Status admitted = admission_.AdmitRelayed(peer);
  if (admitted.ok()) return grpc::Status::OK;
  log::Warn("relayed request refused", {{"rpc", method},
                                        {"peer", peer.address},
                                        {"result", RefusalReason(admitted)},
                                        {"error", admitted}});
  return wire::ToGrpcStatus(admitted);
}

grpc::Status AuthRelay::GetChallenge(grpc::ServerContext* context,
                                     const cpns::v1::ChallengeRequest* request,
                                     cpns::v1::ChallengeResponse* response) {
  if (grpc::Status s = Admit(*context, "GetChallenge"); !s.ok()) return s;
  grpc::ClientContext upstream;
  SetDeadline(*context, upstream);
  return stub_->GetChallenge(&upstream, *request, response);
}

grpc::Status AuthRelay::Authenticate(grpc::ServerContext* context,
                                     const cpns::v1::AuthenticateRequest* request,
                                     cpns::v1::AuthenticateResponse* response) {
  if (grpc::Status s = Admit(*context, "Authenticate"); !s.ok()) return s;
  grpc::ClientContext upstream;
  SetDeadline(*context, upstream);
  return stub_->Authenticate(&upstream, *request, response);
}

}  // namespace cpns::gateway
