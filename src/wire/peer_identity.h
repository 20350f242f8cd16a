// The identities carried in X.509 certificates (PROTOCOL 2.3, 2.4).
//
// A CPNS gateway certificate has exactly one SAN URI of the form
// "urn:cpns:gw:<gw_id>", where <gw_id> is a valid GatewayId; a device
// certificate exactly one "urn:cpns:entity:<entity_id>". Thread-safe.
#ifndef CPNS_WIRE_PEER_IDENTITY_H_
#define CPNS_WIRE_PEER_IDENTITY_H_

#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "cpns/core/identifiers.h"

namespace cpns::wire {

// Parses a PEM certificate and returns its gateway identity.
// InvalidArgument if the PEM does not parse; PermissionDenied if the
// certificate carries no "urn:cpns:gw:" URI, more than one, or one whose
// id is not a valid GatewayId (the message says which).
absl::StatusOr<GatewayId> GatewayIdFromCertificatePem(absl::string_view pem);

// The same for a device certificate's "urn:cpns:entity:" URI.
absl::StatusOr<EntityId> EntityIdFromCertificatePem(absl::string_view pem);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_PEER_IDENTITY_H_
