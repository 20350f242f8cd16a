// The rules of the seed lifecycle and the wording of its refusals and audit
// events, written once for both store backends. Thread-safe functions.
#ifndef CPNS_STORAGE_STORE_RULES_H_
#define CPNS_STORAGE_STORE_RULES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "storage/seed_store.h"

namespace cpns::storage {

// DataLoss if a stored gw_id does not parse (someone edited the database).
absl::StatusOr<GatewayId> StoredGatewayId(absl::string_view text);

// The refusals both backends give, worded once.
absl::Status GatewayRevokedError(const GatewayId& gw_id);
absl::Status UnknownEpochError(const GatewayId& gw_id, uint32_t seed_epoch);
// Rotate of a gateway that has no seed yet.
absl::Status NoSeedYetError(const GatewayId& gw_id);

// InvalidArgument unless a new seed's lifetime is at least a second and at
// most a century: a zero lifetime would make every request issue a new epoch,
// and a huge one would overflow expires_at.
absl::Status CheckLifetime(absl::Duration lifetime);
// InvalidArgument for a negative limit (the backends would disagree on it).
absl::Status CheckAuditQuery(const AuditQuery& query);

// Why GetOrCreateActive issues a new seed: the first one, or the active one
// (`active`, may be null) has expired or was renewed at the gateway's request.
std::string IssueReason(const StoredSeed* active, absl::Time now);
// The audit event of a newly issued seed: seed.rotate if an active epoch was
// replaced (`rotated`), else seed.issue.
AuditEvent IssueAuditEvent(const StoredSeed& seed, bool rotated, absl::string_view actor,
                           absl::string_view why);

// A revoked gateway as stored.
struct RevokedGateway {
  GatewayId gw_id;
  absl::Time revoked_at;
  std::string reason;
};
// Groups seeds (ordered by gw_id, epoch) and revocations into gateways,
// ordered by gw_id.
std::vector<GatewayRecord> MergeGateways(std::vector<SeedRecord> seeds,
                                         std::vector<RevokedGateway> revoked);

// OK if an epoch in `state` may be retired; FailedPrecondition (active:
// rotate first; revoked) otherwise.
absl::Status CheckRetirable(const GatewayId& gw_id, uint32_t seed_epoch, SeedState state);

// InvalidArgument unless `fingerprint` is 32 bytes (a SecondSeedFingerprint).
absl::Status CheckKeyFingerprint(absl::string_view fingerprint);

// An audit event about one gateway (and epoch, 0 if none).
AuditEvent GatewayAuditEvent(absl::string_view actor, absl::string_view action,
                             const GatewayId& gw_id, uint32_t seed_epoch, std::string detail);

// Audit details of revocations.
std::string RevocationDetail(absl::string_view previous_state, absl::string_view reason);
std::string GatewayRevocationDetail(bool newly, int epochs_revoked, absl::string_view reason);
AuditEvent KeyRevocationEvent(absl::string_view fingerprint, absl::string_view gw_id, bool newly,
                              absl::string_view reason, absl::string_view actor);

// The audit event of a retention run: `removed` events before `before`.
AuditEvent PruneAuditEvent(absl::Time before, int64_t removed, absl::string_view actor);

// CheckSealed's lines for a row that does not open (names the row and the
// KEK, never a secret).
std::string SeedSealFault(const SeedRecord& record, const absl::Status& why);
std::string ServerSecretSealFault(absl::string_view name, absl::string_view kek_id,
                                  const absl::Status& why);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_STORE_RULES_H_
