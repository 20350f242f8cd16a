// Server-side limits shared by every cpns gRPC server. CPNS messages are a
// few hundred bytes; anything much larger is refused before it is parsed.
#ifndef CPNS_WIRE_LIMITS_H_
#define CPNS_WIRE_LIMITS_H_

#include <grpcpp/server_builder.h>

namespace cpns::wire {

inline constexpr int kMaxMessageBytes = 16 * 1024;

inline void ApplyServerLimits(grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(kMaxMessageBytes);
  builder.SetMaxSendMessageSize(kMaxMessageBytes);
}

}  // namespace cpns::wire

#endif  // CPNS_WIRE_LIMITS_H_
