// SeedStore: where the CPNS Server keeps every gateway's 1st seeds.
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
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::storage {

// The life of one epoch of a gateway's 1st seed:
//   active  -> rotated   (a newer epoch became active; keys still authenticate)
//   rotated -> retired   (keys under it no longer authenticate)
//   any     -> revoked   (withdrawn; keys under it no longer authenticate)
// At most one epoch per gateway is active. Expiry (expires_at) is separate
// from the state: an expired epoch authenticates nothing whatever its state.
enum class SeedState { kActive, kRotated, kRetired, kRevoked };

// A seed's lifetime when nobody says otherwise.
inline constexpr absl::Duration kDefaultSeedLifetime = absl::Hours(24 * 365);

// A 1st seed with its secret bytes. Only the server's request path sees this.
struct StoredSeed {
  GatewayId gw_id;
  uint32_t seed_epoch;
  SecretBytes first_seed;
  absl::Time created_at;
  absl::Time expires_at;
  SeedState state = SeedState::kActive;
};

// What may be shown to an operator: everything but the secret.
struct SeedRecord {
  GatewayId gw_id;
  uint32_t seed_epoch;
  absl::Time created_at;
  SeedState state;
  std::string kek_id;  // the KEK that sealed it (a public key id)
  absl::Time expires_at;
};

// A gateway as the operator sees it: its seeds and whether it is revoked.
struct GatewayRecord {
  GatewayId gw_id;
  std::vector<SeedRecord> seeds;  // by epoch
  std::optional<absl::Time> revoked_at;
  std::string revoke_reason;
  // The active epoch, if any.
  const SeedRecord* active() const;
};

// One line of the audit log. Never holds secret bytes.
struct AuditEvent {
  int64_t id = 0;           // assigned by the store; increasing
  absl::Time at;            // assigned by the store (its clock)
  std::string actor;        // who: "gw:<id>", "admin:<user>@<host>", "peer:<address>"
  std::string action;       // what: see kAudit* below
  std::string gw_id;        // the gateway concerned; empty if none
  uint32_t seed_epoch = 0;  // the epoch concerned; 0 if none
  std::string detail;       // free text (reasons, identities), never secrets
  int64_t count = 1;        // how many events this row stands for (an aggregate: > 1)
};

inline constexpr char kAuditSeedIssue[] = "seed.issue";
inline constexpr char kAuditSeedRotate[] = "seed.rotate";
inline constexpr char kAuditSeedRetire[] = "seed.retire";
inline constexpr char kAuditSeedRevoke[] = "seed.revoke";
inline constexpr char kAuditGatewayRevoke[] = "gateway.revoke";
inline constexpr char kAuditKeyRevoke[] = "key.revoke";
inline constexpr char kAuditAuthRefused[] = "auth.refused";
inline constexpr char kAuditPrune[] = "audit.prune";

struct AuditQuery {
  int64_t after_id = 0;  // only events with a larger id
  int limit = 1000;      // at most this many, oldest first
  std::string gw_id;     // only this gateway's, if set
  std::string action;    // only this action, if set
};

// How GetOrCreateActive issues a new seed.
struct IssueOptions {
  // Lifetime of a seed this call creates.
  absl::Duration lifetime = kDefaultSeedLifetime;
  // The caller holds this epoch and asks for a newer one (0: it does not).
  // Granted when it is the active epoch and at least kRenewMinFraction of its
  // lifetime has passed; otherwise the active seed is returned.
  uint32_t renew_epoch = 0;
  // Who asks, for the audit log ("gw:<id>").
  std::string actor;
};

// What CheckSealed found.
struct SealCheck {
  int64_t checked = 0;              // sealed rows tried (1st seeds and server secrets)
  std::vector<std::string> faults;  // one line per row that does not open; never a secret
};

// A renewal is granted once this fraction of the active seed's lifetime has
// passed, so a gateway cannot make the server mint epochs in a loop.
inline constexpr double kRenewMinFraction = 0.25;

// What authentication needs to know about one (gateway, epoch, key).
struct AuthRecord {
  StoredSeed seed;
  bool gateway_revoked = false;
  bool key_revoked = false;
};

// Whether GetOrCreateActive must replace `active` by a new epoch at `now`:
// it has expired, or its holder asks to renew it and it is old enough.
bool NeedsNewSeed(const StoredSeed& active, uint32_t renew_epoch, absl::Time now);

class SeedStore {
 public:
  virtual ~SeedStore() = default;

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

  // One stored seed with the revocation facts authentication needs, in one
  // read: is the gateway revoked, is the key whose SecondSeedFingerprint is
  // `key_fingerprint` revoked. NotFound if there is no such seed.
  virtual absl::StatusOr<AuthRecord> LookupForAuth(const GatewayId& gw_id, uint32_t seed_epoch,
                                                   absl::string_view key_fingerprint) = 0;

  // Gateways (every gateway with a seed or a revocation), ordered by gw_id;
  // only `only` if set (an empty vector if it is unknown). Needs no KEK.
  virtual absl::StatusOr<std::vector<GatewayRecord>> ListGateways(
      const std::optional<GatewayId>& only) = 0;

  // Makes a new epoch (max + 1) active, with expires_at = now + lifetime; the
  // previously active one becomes rotated. Audited. NotFound if the gateway
  // has no seed yet; PermissionDenied if it is revoked.
  virtual absl::StatusOr<SeedRecord> Rotate(const GatewayId& gw_id, absl::Duration lifetime,
                                            absl::string_view actor) = 0;
  // A rotated epoch becomes retired. Audited. NotFound for an unknown epoch;
  // FailedPrecondition if it is the active epoch (rotate first) or revoked.
  // Retiring a retired epoch is OK and changes nothing.
  virtual absl::Status Retire(const GatewayId& gw_id, uint32_t seed_epoch,
                              absl::string_view actor) = 0;
  // One epoch, whatever its state, becomes revoked. If it was active, the
  // gateway's next 1st Seed Request gets a new epoch. Audited. NotFound for
  // an unknown epoch.
  virtual absl::Status RevokeEpoch(const GatewayId& gw_id, uint32_t seed_epoch,
                                   absl::string_view reason, absl::string_view actor) = 0;
  // The gateway and all its epochs become revoked; no seed is ever issued to
  // it again. Works for a gateway with no seed yet. Audited; idempotent.
  virtual absl::Status RevokeGateway(const GatewayId& gw_id, absl::string_view reason,
                                     absl::string_view actor) = 0;
  // One EUKey, by the SecondSeedFingerprint of its 2nd seed (32 bytes), is
  // revoked. `gw_id` (may be empty) is recorded for the operator. Audited;
  // idempotent.
  virtual absl::Status RevokeKey(absl::string_view key_fingerprint, absl::string_view gw_id,
                                 absl::string_view reason, absl::string_view actor) = 0;

  // Appends to the audit log (event.id and event.at are assigned).
  virtual absl::Status AppendAudit(const AuditEvent& event) = 0;
  virtual absl::StatusOr<std::vector<AuditEvent>> ListAudit(const AuditQuery& query) = 0;
  // Deletes the audit events recorded before `before` and, in the same
  // transaction, records an audit.prune event by `actor` saying how many
  // were removed. Returns that number.
  virtual absl::StatusOr<int64_t> PruneAudit(absl::Time before, absl::string_view actor) = 0;

  // Opens every sealed 1st seed and server secret with the store's KEKs and
  // reports the ones that do not open. Changes nothing. FailedPrecondition
  // for a store opened without KEKs.
  virtual absl::StatusOr<SealCheck> CheckSealed() = 0;

  // Every stored seed without its secret, ordered by gw_id then epoch.
  // Needs no KEK.
  virtual absl::StatusOr<std::vector<SeedRecord>> List() = 0;

  // Re-seals every seed and server secret not sealed under the key ring's
  // primary KEK, one row per transaction, so servers keep serving meanwhile.
  // Returns how many rows were re-sealed. FailedPrecondition for a row whose
  // KEK is not held.
  virtual absl::StatusOr<int> RewrapToPrimary() = 0;

  // The schema version the database is at (0 for an empty database).
  virtual absl::StatusOr<int> SchemaVersion() = 0;

  // A 32-byte server-wide secret shared by every replica (e.g. the key that
  // authenticates challenges), created from the CSPRNG on first use and
  // stored sealed under the primary KEK.
  virtual absl::StatusOr<SecretBytes> GetOrCreateServerSecret(absl::string_view name) = 0;

  // Records that a challenge was used. AlreadyExists if it was used before
  // (a replay), on any replica. Records past `expires_at` may be forgotten.
  virtual absl::Status ConsumeChallenge(absl::string_view challenge_id, absl::Time expires_at) = 0;
};

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

absl::string_view SeedStateName(SeedState state);

// Whether `s` is the database reporting that it is corrupt (its file, not one
// value in a row): DataLoss, and nothing more should be read or written.
bool IsStoreCorrupt(const absl::Status& s);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_SEED_STORE_H_
