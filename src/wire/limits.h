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

// gRPC's synchronous server lets a handler thread that finds more than
// MAX_POLLERS threads waiting for calls end, and starts a new one when a call
// leaves none waiting. At its default (2), a client that sends its next call
// before the last handler has wound down makes the server end one thread and
// start another on most calls (a thread start per call at 4 callers). Up to
// kIdleHandlerThreads idle threads are kept instead (parked in epoll, a
// stack each); the threads stay within the quota of kMaxHandlerThreads.
inline constexpr int kIdleHandlerThreads = 8;

// At least this many wait at all times (gRPC's default: 1): a handler that
// runs long (a store look-up and a commit) otherwise made gRPC hand the
// polling to another thread on nearly every call.
inline constexpr int kWaitingHandlerThreads = 2;

// Both daemons' servers.
inline void KeepIdleHandlerThreads(grpc::ServerBuilder& builder) {
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MIN_POLLERS,
                              kWaitingHandlerThreads);
  builder.SetSyncServerOption(grpc::ServerBuilder::SyncServerOption::MAX_POLLERS,
                              kIdleHandlerThreads);
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
