// Caller: who made a call to one of the server's services, as the services
// need to know it. The gRPC methods take it from their ServerContext
// (CallerOf) and hand it to the service's logic, which a test can then run
// with a Caller made by hand: no TLS handshake needed to test a refusal.
#ifndef CPNS_SERVER_CALLER_H_
#define CPNS_SERVER_CALLER_H_

#include <grpcpp/server_context.h>

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/core/identifiers.h"

namespace cpns::server {

struct Caller {
  // The gateway named by the caller's verified client certificate, or why
  // it has none (no certificate, or not a gateway's).
  absl::StatusOr<GatewayId> gateway;
  // Its address as gRPC names it ("ipv4:192.0.2.1:5678"); only for logs and
  // the refusal audit.
  std::string peer;
  // How long its store calls may wait (call_deadline.h).
  absl::Time store_deadline;
};

// The caller of the call `context` serves.
Caller CallerOf(const grpc::ServerContext& context);

}  // namespace cpns::server

#endif  // CPNS_SERVER_CALLER_H_
