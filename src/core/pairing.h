// Pairing by code (PROTOCOL.md section 11): how a device that knows a
// pairing code and its gateway, which stores only the code's SPAKE2+
// verifier, agree on a key and seal the EUKey Assignment Response under it.
// The pieces both sides compute the same way, so that the gateway
// (src/gateway) and the assignee (src/assignee) share one implementation.
// Thread-safe pure functions.
#ifndef CPNS_CORE_PAIRING_H_
#define CPNS_CORE_PAIRING_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/spake2plus.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::pairing {

// The transcript's Context (RFC 9383 section 3.3), ASCII.
inline constexpr absl::string_view kContext = "CPNS-pairing-v1 SPAKE2+-P256-SHA256-HKDF-HMAC";
// The HKDF info of the key that seals the assignment.
inline constexpr absl::string_view kAssignmentKeyInfo = "CPNS-pairing-v1 assignment key";
inline constexpr size_t kSaltSize = 32;
inline constexpr size_t kSessionIdSize = 16;
// PBKDF2 iterations a gateway asks for when it makes a code, and the bounds
// a device accepts (above the maximum, a hostile gateway could keep a small
// device busy).
inline constexpr uint32_t kDefaultIterations = 100000;
inline constexpr uint32_t kMinIterations = 1000;
inline constexpr uint32_t kMaxIterations = 1000000;

// idProver: "<entity type>\n<entity id>\n<user id>", the type as "PNE" or
// "PNGW" ('\n' cannot occur in an identifier).
std::string ProverIdentity(const Assignee& assignee);
// Context, idProver and idVerifier (the gw_id) of one exchange.
spake2plus::Identities TranscriptIdentities(const Assignee& assignee, const GatewayId& gw_id);

// The prover's w0 and w1 from a pairing code in its canonical form (10
// symbols, NormalizePairingCode): the password is the code's ASCII bytes.
// InvalidArgument for a salt that is not kSaltSize bytes or iterations
// outside [kMinIterations, kMaxIterations].
absl::StatusOr<spake2plus::ProverSecrets> ProverSecretsFromCode(const SecretBytes& canonical_code,
                                                                absl::string_view salt,
                                                                uint32_t iterations);

// HKDF-SHA256(salt = none, IKM = K_shared, info = kAssignmentKeyInfo, 32).
absl::StatusOr<SecretBytes> AssignmentKey(const spake2plus::Keys& keys);
// AES-256-GCM under AssignmentKey, no associated data, in core/aead.h's form
// (nonce 12 || ciphertext || tag 16).
absl::StatusOr<std::string> SealAssignment(const spake2plus::Keys& keys,
                                           const SecretBytes& plaintext);
// DataLoss when the sealed bytes do not open under the keys.
absl::StatusOr<SecretBytes> OpenAssignment(const spake2plus::Keys& keys, absl::string_view sealed);

}  // namespace cpns::pairing

#endif  // CPNS_CORE_PAIRING_H_
