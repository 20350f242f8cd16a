#include "core/pairing.h"

#include "absl/strings/str_cat.h"
#include "core/aead.h"
#include "core/hkdf.h"
#include "core/pairing_code.h"
#include "core/status_macros.h"

namespace cpns::pairing {

std::string ProverIdentity(const Assignee& assignee) {
  return absl::StrCat(EntityTypeName(assignee.entity_type), "\n", assignee.entity_id.value(), "\n",
                      assignee.user_id.value());
}

spake2plus::Identities TranscriptIdentities(const Assignee& assignee, const GatewayId& gw_id) {
  return spake2plus::Identities{std::string(kContext), ProverIdentity(assignee), gw_id.value()};
}

absl::StatusOr<spake2plus::ProverSecrets> ProverSecretsFromCode(const SecretBytes& canonical_code,
                                                                absl::string_view salt,
                                                                uint32_t iterations) {
  if (canonical_code.size() != static_cast<size_t>(kPairingCodeSymbols)) {
    return absl::InvalidArgumentError(
        absl::StrCat("pairing: a canonical pairing code has ", kPairingCodeSymbols, " symbols"));
  }
  if (salt.size() != kSaltSize) {
    return absl::InvalidArgumentError(absl::StrCat("pairing: PBKDF2 salt must be ", kSaltSize,
                                                   " bytes (got ", salt.size(), ")"));
  }
  // A device accepts no more than kMaxIterations, so that a hostile gateway
  // cannot keep it busy; no fewer than kMinIterations, so that a careless one
  // does not make a stolen verifier cheap to attack.
  if (iterations < kMinIterations || iterations > kMaxIterations) {
    return absl::InvalidArgumentError(absl::StrCat("pairing: PBKDF2 iterations ", iterations,
                                                   " outside [", kMinIterations, ", ",
                                                   kMaxIterations, "]"));
  }
  return spake2plus::DeriveProverSecrets(canonical_code, salt, iterations);
}

absl::StatusOr<SecretBytes> AssignmentKey(const spake2plus::Keys& keys) {
  if (keys.k_shared.size() != spake2plus::kSharedKeySize) {
    return absl::InvalidArgumentError("pairing: K_shared must be 32 bytes");
  }
  return HkdfSha256NoSalt(keys.k_shared, kAssignmentKeyInfo, kAeadKeySize);
}

absl::StatusOr<std::string> SealAssignment(const spake2plus::Keys& keys,
                                           const SecretBytes& plaintext) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes key, AssignmentKey(keys));
  return AeadSeal(key, plaintext, "");
}

absl::StatusOr<SecretBytes> OpenAssignment(const spake2plus::Keys& keys, absl::string_view sealed) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes key, AssignmentKey(keys));
  return AeadOpen(key, sealed, "");
}

}  // namespace cpns::pairing
