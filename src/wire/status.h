// The one place where absl::Status and grpc::Status meet. Thread-safe.
#ifndef CPNS_WIRE_STATUS_H_
#define CPNS_WIRE_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace cpns::wire {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

// "UNAVAILABLE", "INVALID_ARGUMENT", ... as gRPC names status codes.
const char* GrpcCodeName(grpc::StatusCode code);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_STATUS_H_
