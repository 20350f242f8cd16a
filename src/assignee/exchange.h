// The two ways an assignee asks its gateway for a key, over one channel.
// Private to the assignee role (eukey_client.cc, pairing_client.cc).
#ifndef CPNS_ASSIGNEE_EXCHANGE_H_
#define CPNS_ASSIGNEE_EXCHANGE_H_

#include <grpcpp/channel.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/assignee/eukey_client.h"
#include "cpns/v1/cpns.pb.h"

namespace cpns::assignee {

// An EUKey Assignment Response checked against what was asked: sizes, epoch,
// gw_id, and the echoed identity. DataLoss saying what is malformed.
absl::StatusOr<EUKeyAssignment> ValidateAssignment(const Assignee& asked,
                                                   const cpns::v1::EUKeyAssignmentResponse& r);

// Pairing by code (PROTOCOL.md section 11), the SPAKE2+ prover: StartPairing,
// then FinishPairing, within `timeout` for both. The gateway's status as is
// (PERMISSION_DENIED for a code it does not accept, ...); InvalidArgument for
// a code that is not shaped like one (before anything is sent); DataLoss for
// a gateway answer that is malformed; Unauthenticated when the gateway's
// confirmation or the sealed response does not check out (not the gateway
// that holds the code's verifier, or a message changed on the way).
absl::StatusOr<EUKeyAssignment> PairWithCode(const std::shared_ptr<grpc::Channel>& channel,
                                             const Assignee& assignee, absl::Duration timeout,
                                             const SecretBytes& typed_code);

}  // namespace cpns::assignee

#endif  // CPNS_ASSIGNEE_EXCHANGE_H_
