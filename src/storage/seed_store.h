// SeedStore: where the CPNS Server keeps every gateway's 1st seeds, seen
// through small role interfaces, so that each part of the server receives
// only what it uses and a test can fake one role at a time:
//
//   SeedIssuer     issues and reads 1st seeds (the 1st Seed Request)
//   SeedCatalog    what may be shown to an operator (no secret)
//   SeedLifecycle  rotation, retirement, revocation (the operator's)
//   AuditLog       the audit log
//   AuthState      what authentication reads and shares between replicas
//   SchemaAdmin    schema version, seal check, KEK rewrap
//
// SeedStore is all of them: what a backend (SqliteSeedStore, PgSeedStore)
// implements and OpenSeedStore returns.
//
// Implementations are thread-safe and safe to share between processes that
// open the same database: the database's own transactions decide, never a
// lock held in one process. Every successful return of GetOrCreateActive
// happens after the seed is durably committed. No call waits for its
// database past the calling thread's store deadline (store_deadline.h): it
// fails with Unavailable instead.
#ifndef CPNS_STORAGE_SEED_STORE_H_
#define CPNS_STORAGE_SEED_STORE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"
#include "storage/seed_types.h"

namespace cpns::storage {

class SeedIssuer {
 public:
  virtual ~SeedIssuer() = default;

  // The gateway's active seed. If it has none, or NeedsNewSeed says the
  // active one must be replaced (it is then marked rotated), generates 32
  // bytes from the CSPRNG, stores them as the next epoch (1 for a new
  // gateway) with expires_at = now + options.lifetime, records a seed.issue
  // (or seed.rotate) audit event in the same transaction, and commits before
  // returning. Concurrent callers for one gateway, in this process or another
  // on the same database, all get the same seed and epoch.
  // PermissionDenied for a revoked gateway. Unavailable when the database
  // cannot be reached or stays busy.
  virtual absl::StatusOr<StoredSeed> GetOrCreateActive(const GatewayId& gw_id,
                                                       const IssueOptions& options) = 0;
  absl::StatusOr<StoredSeed> GetOrCreateActive(const GatewayId& gw_id) {
    return GetOrCreateActive(gw_id, IssueOptions{});
  }

  // One stored seed, whatever its state. NotFound if there is none.
  virtual absl::StatusOr<StoredSeed> Get(const GatewayId& gw_id, uint32_t seed_epoch) = 0;
};

// Needs no KEK: nothing here opens a seed.
class SeedCatalog {
 public:
  virtual ~SeedCatalog() = default;

  // Gateways (every gateway with a seed or a revocation), ordered by gw_id;
  // only `only` if set (an empty vector if it is unknown).
  virtual absl::StatusOr<std::vector<GatewayRecord>> ListGateways(
      const std::optional<GatewayId>& only) = 0;

  // Every stored seed without its secret, ordered by gw_id then epoch.
  virtual absl::StatusOr<std::vector<SeedRecord>> List() = 0;
};

// Each change and its audit event are committed in one transaction.
class SeedLifecycle {
 public:
  virtual ~SeedLifecycle() = default;

  // Makes a new epoch (max + 1) active, with expires_at = now + lifetime; the
  // previously active one becomes rotated. NotFound if the gateway has no
  // seed yet; PermissionDenied if it is revoked.
  virtual absl::StatusOr<SeedRecord> Rotate(const GatewayId& gw_id, absl::Duration lifetime,
                                            absl::string_view actor) = 0;
  // A rotated epoch becomes retired. NotFound for an unknown epoch;
  // FailedPrecondition if it is the active epoch (rotate first) or revoked.
  // Retiring a retired epoch is OK and changes nothing.
  virtual absl::Status Retire(const GatewayId& gw_id, uint32_t seed_epoch,
                              absl::string_view actor) = 0;
  // One epoch, whatever its state, becomes revoked. If it was active, the
  // gateway's next 1st Seed Request gets a new epoch. NotFound for an
  // unknown epoch.
  virtual absl::Status RevokeEpoch(const GatewayId& gw_id, uint32_t seed_epoch,
                                   absl::string_view reason, absl::string_view actor) = 0;
  // The gateway and all its epochs become revoked; no seed is ever issued to
  // it again. Works for a gateway with no seed yet. Idempotent.
  virtual absl::Status RevokeGateway(const GatewayId& gw_id, absl::string_view reason,
                                     absl::string_view actor) = 0;
  // One EUKey, by the SecondSeedFingerprint of its 2nd seed (32 bytes), is
  // revoked. `gw_id` (may be empty) is recorded for the operator.
  // Idempotent.
  virtual absl::Status RevokeKey(absl::string_view key_fingerprint, absl::string_view gw_id,
                                 absl::string_view reason, absl::string_view actor) = 0;
};

class AuditLog {
 public:
  virtual ~AuditLog() = default;

  // Appends to the audit log (event.id and event.at are assigned).
  virtual absl::Status AppendAudit(const AuditEvent& event) = 0;
  virtual absl::StatusOr<std::vector<AuditEvent>> ListAudit(const AuditQuery& query) = 0;
  // Deletes the audit events recorded before `before` and, in the same
  // transaction, records an audit.prune event by `actor` saying how many
  // were removed. Returns that number.
  virtual absl::StatusOr<int64_t> PruneAudit(absl::Time before, absl::string_view actor) = 0;
};

// A challenge an authentication spends (AuthState::ConsumeChallenges).
struct ChallengeUse {
  std::string id;
  absl::Time expires_at;
};

class AuthState {
 public:
  virtual ~AuthState() = default;

  // One stored seed with the revocation facts authentication needs, in one
  // read: is the gateway revoked, is the key whose SecondSeedFingerprint is
  // `key_fingerprint` revoked. NotFound if there is no such seed.
  virtual absl::StatusOr<AuthRecord> LookupForAuth(const GatewayId& gw_id, uint32_t seed_epoch,
                                                   absl::string_view key_fingerprint) = 0;

  // A 32-byte server-wide secret shared by every replica (e.g. the key that
  // authenticates challenges), created from the CSPRNG on first use and
  // stored sealed under the primary KEK.
  virtual absl::StatusOr<SecretBytes> GetOrCreateServerSecret(absl::string_view name) = 0;

  // The name under which the challenge key is kept (a server secret, above)
  // for `base`. Challenges are accepted once because ConsumeChallenge
  // records them; a store whose records are not synced to disk before it
  // returns (they survive a crash of the program, not of the operating
  // system) names a key per boot of its host instead, so that no challenge
  // made before such a crash verifies after it. By default: `base`, and the
  // records are synced.
  virtual std::string ChallengeKeyName(absl::string_view base) { return std::string(base); }

  // Records that a challenge was used. AlreadyExists if it was used before
  // (a replay), on any replica. Records past `expires_at` may be forgotten.
  virtual absl::Status ConsumeChallenge(absl::string_view challenge_id, absl::Time expires_at) = 0;

  // Records several challenges as used, as ConsumeChallenge does each, so
  // that concurrent authentications share one commit. Returns, in order,
  // whether each was fresh (false: used before, on any replica, or earlier
  // in `uses`). When it returns, every fresh one is committed; on error
  // none may be taken as recorded. This default makes one call per use, for
  // stores without a cheaper way.
  virtual absl::StatusOr<std::vector<bool>> ConsumeChallenges(std::span<const ChallengeUse> uses) {
    std::vector<bool> fresh;
    for (const ChallengeUse& use : uses) {
      absl::Status s = ConsumeChallenge(use.id, use.expires_at);
      if (!s.ok() && !absl::IsAlreadyExists(s)) return s;
      fresh.push_back(s.ok());
    }
    return fresh;
  }
};

class SchemaAdmin {
 public:
  virtual ~SchemaAdmin() = default;

  // The schema version the database is at (0 for an empty database).
  virtual absl::StatusOr<int> SchemaVersion() = 0;

  // Opens every sealed 1st seed and server secret with the store's KEKs and
  // reports the ones that do not open. Changes nothing. FailedPrecondition
  // for a store opened without KEKs.
  virtual absl::StatusOr<SealCheck> CheckSealed() = 0;

  // Re-seals every seed and server secret not sealed under the key ring's
  // primary KEK, one row per transaction, so servers keep serving meanwhile.
  // Returns how many rows were re-sealed. FailedPrecondition for a row whose
  // KEK is not held.
  virtual absl::StatusOr<int> RewrapToPrimary() = 0;
};

// The whole store: every role, for what needs them all (OpenSeedStore, the
// admin commands). Adds nothing.
class SeedStore : public SeedIssuer,
                  public SeedCatalog,
                  public SeedLifecycle,
                  public AuditLog,
                  public AuthState,
                  public SchemaAdmin {};

// How a store opens its database.
struct StoreOptions {
  // The KEKs; nullptr opens the store for metadata only (List, SchemaVersion):
  // calls that need seed bytes then fail with FailedPrecondition.
  const class KeyRing* keys = nullptr;
  // Apply pending migrations at open. Without it, a database older than this
  // program is refused with FailedPrecondition ("run cpns-server migrate").
  // A database newer than this program is always refused.
  bool migrate = false;
  // SQLite: create the file if it does not exist.
  bool create_if_missing = true;
  // Open for writing even without KEKs (admin changes that need no seed
  // bytes: retire, revoke, audit). Without keys, migrate or this, a SQLite
  // file is opened read-only.
  bool writable = false;
};

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_SEED_STORE_H_
