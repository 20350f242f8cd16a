#include "server/caller.h"

#include "server/call_deadline.h"
#include "wire/tls.h"

namespace cpns::server {

Caller CallerOf(const grpc::ServerContext& context) {
  return Caller{.gateway = wire::PeerGatewayId(*context.auth_context()),
                .peer = context.peer(),
                .store_deadline = StoreDeadlineOf(context)};
}

}  // namespace cpns::server
