// SeedStore: where the CPNS Server keeps every gateway's 1st seeds.
//
// Implementations are thread-safe and safe to share between processes that
// open the same database: the database's own transactions decide, never a
// lock held in one process. Every successful return of GetOrCreateActive
// happens after the seed is durably committed.
#ifndef CPNS_STORAGE_SEED_STORE_H_
#define CPNS_STORAGE_SEED_STORE_H_

#include <cstdint>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl//status/statusor.h"
#include "absl/time/time.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::storage {

enum class SeedState { kActive, kRetired, kRevoked };

// A 1st seed with its secret bytes. Only the server's request path sees this.
struct StoredSeed {
  GatewayId gw_id;
  uint32_t seed_epoch;
  SecretBytes first_seed;
  absl::Time created_at;
};

// What may be shown to an operator: everything but the secret.
struct SeedRecord {
  GatewayId gw_id;
  uint32_t seed_epoch;
  absl::Time created_at;
  SeedState state;
  std::string kek_id;  // the KEK that sealed it (a public key id)
};

class SeedStore {
 public:
  virtual ~SeedStore() = default;

  // The gateway's active seed. If it has none, generates 32 bytes from the
  // CSPRNG, stores them as the next epoch (1 for a new gateway) and commits
  // before returning. Concurrent callers for one gateway, in this process or
  // another on the same database, all get the same seed and epoch.
  // Unavailable when the database cannot be reached or stays busy.
  virtual absl::StatusOr<StoredSeed> GetOrCreateActive(const GatewayId& gw_id) = 0;

  // One stored seed, whatever its state. NotFound if there is none.
  virtual absl::StatusOr<StoredSeed> Get(const GatewayId& gw_id, uint32_t seed_epoch) = 0;

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
};

absl::string_view SeedStateName(SeedState state);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_SEED_STORE_H_
