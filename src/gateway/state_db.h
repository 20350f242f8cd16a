// GatewayStateDb: what the gateway keeps for its owner, in one SQLite file in
// its state directory (`gateway.db`, mode 0600): the pending pairing codes
// (as SPAKE2+ verifiers, never the codes), the record of every assignment, and the daemon's last status.
//
// `cpns-gw pair add`, `assignments list` and `status` open the same file as
// the running daemon; SQLite's locking keeps them consistent (WAL). Writes
// are committed with synchronous=NORMAL: durable across a crash of the
// daemon; a power cut may lose the last few records. Thread-safe.
#ifndef CPNS_GATEWAY_STATE_DB_H_
#define CPNS_GATEWAY_STATE_DB_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/group_commit.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "cpns/core/identifiers.h"
#include "core/pairing.h"
#include "core/spake2plus.h"
#include "cpns/core/secret_bytes.h"
#include "gateway/wal_checkpointer.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cpns::sqlite {
class Statement;
}

namespace cpns::gateway {

// One issued EUKey, without the key: its 2nd seed's fingerprint names it
// (the same fingerprint `cpns-server keys revoke --fingerprint` takes).
struct AssignmentRecord {
  int64_t id = 0;  // assigned by the store
  absl::Time at;
  Assignee assignee;
  uint32_t seed_epoch = 0;
  std::string second_seed_fingerprint;  // 32 bytes
  int64_t not_after = 0;
  std::string admitted_by;  // "pairing-code", "certificate", "open"
  std::string peer;         // the gRPC peer address
};

// A pairing code not yet used nor expired: who it is for, never the code.
struct PendingPairingCode {
  Assignee assignee;
  absl::Time created_at;
  absl::Time expires_at;
  int failures = 0;     // failed confirmations so far
  bool spent = false;   // too many failures: no exchange can use it any more
};

// What the gateway needs of a pending code for one exchange.
struct PairingVerifier {
  int64_t id = 0;
  std::string salt;
  uint32_t iterations = 0;
  spake2plus::VerifierRecord record;  // w0 and L
};

// A failed confirmation, counted.
struct FailedPairing {
  int failures = 0;
  bool spent = false;  // this failure spent the code
};

class GatewayStateDb {
 public:
  // Opens (creating when missing, mode 0600) <state_dir>/gateway.db. `clock`
  // must outlive the store. The directory must exist. Brings the schema up
  // to date; FailedPrecondition for a file of a newer cpns-gw.
  static absl::StatusOr<std::unique_ptr<GatewayStateDb>> Open(const std::string& state_dir,
                                                             const Clock& clock);
  ~GatewayStateDb();

  // A new one-time code for exactly `assignee`, valid for `ttl`; returns it
  // formatted ("XXXXX-XXXXX"). Only its verifier is stored (w0 and L from
  // PBKDF2-HMAC-SHA256 under the identity's salt, PairingSalt, and
  // `iterations`), and it replaces
  // a code still pending for the same entity and user: one exchange checks
  // one code.
  // `iterations` other than the default are for tests: the decoys show the
  // default, so a code made with another count would stand out.
  absl::StatusOr<SecretBytes> AddPairingCode(const Assignee& assignee, absl::Duration ttl,
                                             uint32_t iterations = pairing::kDefaultIterations);
  // The verifier of the code pending for `assignee` (unused, unexpired, not
  // spent); nullopt when there is none.
  absl::StatusOr<std::optional<PairingVerifier>> FindPairingVerifier(const Assignee& assignee);
  // Counts a failed confirmation against code `id`; the `limit`-th spends it.
  absl::StatusOr<FailedPairing> CountFailedPairing(int64_t id, int limit);
  // Marks code `id` used, once; PermissionDenied when it is no longer pending
  // (used by another exchange, spent, expired or cancelled meanwhile).
  absl::Status UsePairingCode(int64_t id);
  // How many codes are pending (unused, unexpired, not spent).
  absl::StatusOr<int> PendingPairingCodes();
  // How many unexpired codes were spent by failed confirmations.
  absl::StatusOr<int> SpentPairingCodes();
  // The unused, unexpired codes, spent ones included, oldest first.
  absl::StatusOr<std::vector<PendingPairingCode>> ListPendingPairingCodes();
  // Withdraws every unused code made for `assignee` (spent ones too);
  // returns how many.
  absl::StatusOr<int> CancelPairingCodes(const Assignee& assignee);
  // Puts code `id` back to pending after a failed assignment (the key never
  // left); nothing if it is no longer marked used.
  absl::Status UnusePairingCode(int64_t id);
  // The gateway's decoy key (32 random bytes, made on first use and kept):
  // it derives each identity's salt and the stable made-up parameters shown
  // for an entity and user with no pending code (pairing_decoy.h).
  absl::StatusOr<SecretBytes> PairingDecoyKey();
  // Counts a failed attempt of an exchange that had no code; the count.
  absl::Status CountDecoyFailure();
  absl::StatusOr<int64_t> DecoyFailures();

  // Returns once `record` is committed. Concurrent records share one
  // transaction (GroupCommit): each caller still returns only after the
  // commit that holds its record.
  absl::Status RecordAssignment(const AssignmentRecord& record);
  // Records with id > after_id, oldest first, at most `limit`.
  absl::StatusOr<std::vector<AssignmentRecord>> ListAssignments(int64_t after_id, int limit);
  absl::StatusOr<int64_t> CountAssignments();

  // The daemon's status (a JSON text), replaced as a whole.
  absl::Status WriteStatus(absl::string_view json);
  // NotFound if the daemon never wrote one.
  absl::StatusOr<std::string> ReadStatus();

 private:
  GatewayStateDb(sqlite3* db, const Clock& clock);
  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Commits a batch of records in one transaction; if that fails, each one
  // alone, so that one bad record does not fail the others.
  absl::StatusOr<GroupCommit<AssignmentRecord, bool>::Results> CommitRecords(
      const std::vector<const AssignmentRecord*>& records);
  // Inserts `records` in one transaction.
  absl::Status InsertAssignments(const std::vector<const AssignmentRecord*>& records);
  absl::Status InsertAssignment(const AssignmentRecord& r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The entity type, entity id and user id in columns first .. first + 2.
  static absl::StatusOr<Assignee> ReadAssignee(sqlite::Statement& q, int first);
  // Deletes the unused codes of `assignee` and expires its used ones (one
  // an exchange may still put back); returns how many were deleted.
  absl::StatusOr<int> WithdrawCodes(const Assignee& assignee) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A count(*) of pairing codes under `where` (one ? bound to now).
  absl::StatusOr<int> CountPairingCodes(absl::string_view where);

  Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  // The assignment insert, prepared once (every assignment runs it).
  sqlite3_stmt* insert_assignment_ ABSL_GUARDED_BY(mu_) = nullptr;
  const Clock& clock_;
  GroupCommit<AssignmentRecord, bool> records_;
  // Destroyed after the destructor has closed db_, whose commits call it.
  std::unique_ptr<WalCheckpointer> checkpointer_;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_STATE_DB_H_
