// Conversions between cpns.v1 messages and validated core types.
// Validation of everything that arrives on the wire happens here. Thread-safe.
#ifndef CPNS_WIRE_MESSAGES_H_
#define CPNS_WIRE_MESSAGES_H_

#include "absl/status/statusor.h"
#include "cpns/core/identifiers.h"
#include "cpns/v1/cpns.pb.h"

namespace cpns::wire {

cpns::v1::EntityType ToProto(EntityType type);
// InvalidArgument for ENTITY_TYPE_UNSPECIFIED or an unknown value.
absl::StatusOr<EntityType> FromProto(cpns::v1::EntityType type);

// Validates every field of an EUKey Assignment Request; InvalidArgument
// naming the first bad field.
absl::StatusOr<Assignee> ParseAssignmentRequest(const cpns::v1::EUKeyAssignmentRequest& request);

cpns::v1::EUKeyAssignmentRequest MakeAssignmentRequest(const Assignee& assignee);

// The same for the identity a pairing starts with.
absl::StatusOr<Assignee> ParseStartPairingRequest(const cpns::v1::StartPairingRequest& request);
cpns::v1::StartPairingRequest MakeStartPairingRequest(const Assignee& assignee);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_MESSAGES_H_
