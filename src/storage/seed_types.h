// The values a SeedStore keeps and returns: seeds, their states, gateways as
// the operator sees them, audit events, and the rules shared by every
// backend. Plain data; no secret is ever in a record meant for an operator.
#ifndef CPNS_STORAGE_SEED_TYPES_H_
#define CPNS_STORAGE_SEED_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
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

absl::string_view SeedStateName(SeedState state);

// Whether `s` is the database reporting that it is corrupt (its file, not one
// value in a row): DataLoss, and nothing more should be read or written.
bool IsStoreCorrupt(const absl::Status& s);

// A status IsStoreCorrupt recognizes, carrying `message`, for a store that is
// not SQLite (the in-memory fake) to report its database corrupt as the
// SQLite backend does.
absl::Status StoreCorruptError(absl::string_view message);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_SEED_TYPES_H_
