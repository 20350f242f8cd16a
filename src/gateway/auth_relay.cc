#include "gateway/auth_relay.h"

#include <algorithm>

#include "absl/time/clock.h"

namespace cpns::gateway {

void AuthRelay::SetDeadline(const grpc::ServerContext& caller, grpc::ClientContext& upstream) const {
  const absl::Time deadline =
      std::min(absl::FromChrono(caller.deadline()), absl::Now() + upstream_timeout_);
  upstream.set_deadline(absl::ToChronoTime(deadline));
}

grpc::Status AuthRelay::GetChallenge(grpc::ServerContext* context,
                                     const cpns::v1::ChallengeRequest* request,
                                     cpns::v1::ChallengeResponse* response) {
  grpc::ClientContext upstream;
  SetDeadline(*context, upstream);
  return stub_->GetChallenge(&upstream, *request, response);
}

grpc::Status AuthRelay::Authenticate(grpc::ServerContext* context,
                                     const cpns::v1::AuthenticateRequest* request,
                                     cpns::v1::AuthenticateResponse* response) {
  grpc::ClientContext upstream;
  SetDeadline(*context, upstream);
  return stub_->Authenticate(&upstream, *request, response);
}

}  // namespace cpns::gateway
