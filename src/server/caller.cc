#include "server/caller.h"

#include "server/call_deadline.h"
#include "wire/tls.h"

namespace cpns::server {
namespace {

absl::StatusOr<GatewayId> CertifiedGateway(const grpc::ServerContext& context) {
  // A context that serves no call (a test's) has no auth context at all.
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr) {
    return absl::UnauthenticatedError("the peer presented no verified client certificate");
  }
  return wire::PeerGatewayId(*auth);
}

}  // namespace

Caller CallerOf(const grpc::ServerContext& context) {
  return Caller{.gateway = CertifiedGateway(context),
                .peer = context.peer(),
                .store_deadline = StoreDeadlineOf(context)};
}

}  // namespace cpns::server
