// The store deadline of one gRPC call: its caller's deadline less a margin,
// capped when the caller gave none (storage/store_deadline.h), so that a
// database that stopped answering gets the caller a quick UNAVAILABLE rather
// than DEADLINE_EXCEEDED or a hang.
#ifndef CPNS_SERVER_CALL_DEADLINE_H_
#define CPNS_SERVER_CALL_DEADLINE_H_

#include <grpcpp/server_context.h>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "storage/store_deadline.h"

namespace cpns::server {

// Without a client deadline gRPC reports the end of time, which
// StoreDeadlineFor caps.
inline absl::Time StoreDeadlineOf(const grpc::ServerContext& context) {
  return storage::StoreDeadlineFor(absl::FromChrono(context.deadline()), absl::Now());
}

}  // namespace cpns::server

#endif  // CPNS_SERVER_CALL_DEADLINE_H_
