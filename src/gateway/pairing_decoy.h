// What the gateway's pairing decoy key (GatewayStateDb::PairingDecoyKey)
// derives for one prover identity (PROTOCOL.md 11.3): the salt of its codes
// and the decoy verifier shown when it has no code pending. The salt is the
// same for every code of an identity and for its decoy, so that the
// parameters of a start say nothing about whether a code is pending, made,
// used or spent. Thread-safe pure functions.
#ifndef CPNS_GATEWAY_PAIRING_DECOY_H_
#define CPNS_GATEWAY_PAIRING_DECOY_H_

#include <string>

#include "absl/status/statusor.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"
#include "gateway/state_db.h"

namespace cpns::gateway {

// HMAC-SHA-256(key, "salt" || "\n" || idProver): 32 bytes.
std::string PairingSalt(const SecretBytes& key, const Assignee& assignee);

// The decoy: PairingSalt, the default iteration count, w0 and L from
// HMAC-SHA-256(key, "w0" or "w1" || "\n" || idProver) reduced mod n. No one
// knows its w1, so no confirmation matches it.
absl::StatusOr<PairingVerifier> DecoyVerifier(const SecretBytes& key, const Assignee& assignee);

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_PAIRING_DECOY_H_
