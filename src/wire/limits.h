// What every cpns gRPC server shares: message limits (CPNS messages are a few
// hundred bytes; anything much larger is refused before it is parsed) and
// the graceful stop.
#ifndef CPNS_WIRE_LIMITS_H_
#define CPNS_WIRE_LIMITS_H_

#include <grpcpp/server.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/server_builder.h>

#include <memory>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace cpns::wire {

inline constexpr int kMaxMessageBytes = 16 * 1024;

// At most this many handler threads, and streams per connection: a flood of
// requests queues instead of exhausting memory.
inline constexpr int kMaxHandlerThreads = 64;
inline constexpr int kMaxStreamsPerConnection = 32;

inline void ApplyServerLimits(grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
  grpc::ResourceQuota quota("cpns");
  quota.SetMaxThreads(kMaxHandlerThreads);
  builder.SetResourceQuota(quota);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, kMaxStreamsPerConnection);
}

// Stops accepting calls, gives those in flight `grace` to finish, waits, and
// releases the server. A no-op for a server already stopped.
inline void StopServer(std::unique_ptr<grpc::Server>& server, absl::Duration grace) {
  if (server == nullptr) return;
  server->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  server->Wait();
  server.reset();
}

}  // namespace cpns::wire

#endif  // CPNS_WIRE_LIMITS_H_
