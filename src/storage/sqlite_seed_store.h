// SqliteSeedStore: the embedded SeedStore, one SQLite file.
//
// WAL journal, synchronous=FULL: a commit is on disk before it returns.
// Seeds are sealed under the key ring's KEKs. Thread-safe (one connection
// behind a mutex, its statements prepared once). Several processes may open
// the same file: writers serialize on BEGIN IMMEDIATE. Concurrent requests
// for new seeds share one write transaction and one sync (group commit,
// sqlite_issue.cc). The file is read through a memory mapping.
#ifndef CPNS_STORAGE_SQLITE_SEED_STORE_H_
#define CPNS_STORAGE_SQLITE_SEED_STORE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/group_commit.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "storage/kek.h"
#include "storage/store_deadline.h"
#include "storage/seed_store.h"
#include "storage/sqlite_auth_connection.h"
#include "storage/sqlite_statement_cache.h"
#include "storage/store_rules.h"

struct sqlite3;

namespace cpns::storage {

class SqliteSeedStore final : public SeedStore {
 public:
  // `clock` and `options.keys` (if set) must outlive the store. NotFound for
  // a missing file when !create_if_missing; FailedPrecondition for a schema
  // this program cannot use (see StoreOptions::migrate).
  static absl::StatusOr<std::unique_ptr<SqliteSeedStore>> Open(const std::string& path,
                                                              const StoreOptions& options,
                                                              const Clock& clock);
  ~SqliteSeedStore() override;

  using SeedStore::GetOrCreateActive;
  absl::StatusOr<StoredSeed> GetOrCreateActive(const GatewayId& gw_id,
                                               const IssueOptions& options) override;
  absl::StatusOr<StoredSeed> Get(const GatewayId& gw_id, uint32_t seed_epoch) override;
  absl::StatusOr<AuthRecord> LookupForAuth(const GatewayId& gw_id, uint32_t seed_epoch,
                                           absl::string_view key_fingerprint) override;
  absl::StatusOr<std::vector<SeedRecord>> List() override;
  absl::StatusOr<std::vector<GatewayRecord>> ListGateways(
      const std::optional<GatewayId>& only) override;
  absl::StatusOr<SeedRecord> Rotate(const GatewayId& gw_id, absl::Duration lifetime,
                                    absl::string_view actor) override;
  absl::Status Retire(const GatewayId& gw_id, uint32_t seed_epoch,
                      absl::string_view actor) override;
  absl::Status RevokeEpoch(const GatewayId& gw_id, uint32_t seed_epoch, absl::string_view reason,
                           absl::string_view actor) override;
  absl::Status RevokeGateway(const GatewayId& gw_id, absl::string_view reason,
                             absl::string_view actor) override;
  absl::Status RevokeKey(absl::string_view key_fingerprint, absl::string_view gw_id,
                         absl::string_view reason, absl::string_view actor) override;
  absl::Status AppendAudit(const AuditEvent& event) override;
  absl::StatusOr<std::vector<AuditEvent>> ListAudit(const AuditQuery& query) override;
  absl::StatusOr<int64_t> PruneAudit(absl::Time before, absl::string_view actor) override;
  absl::StatusOr<SealCheck> CheckSealed() override;
  absl::StatusOr<int> RewrapToPrimary() override;
  absl::StatusOr<int> SchemaVersion() override;
  absl::StatusOr<SecretBytes> GetOrCreateServerSecret(absl::string_view name) override;
  // Per boot of the host when its boot id is known; used challenges are then
  // not synced (see AuthState::ChallengeKeyName).
  std::string ChallengeKeyName(absl::string_view base) override;
  absl::Status ConsumeChallenge(absl::string_view challenge_id, absl::Time expires_at) override;
  absl::StatusOr<std::vector<bool>> ConsumeChallenges(std::span<const ChallengeUse> uses) override;

 private:
  // Inside a write transaction: makes a new epoch active (the current active
  // one, if any, becomes rotated) and audits it with `why`.
  absl::StatusOr<StoredSeed> IssueLocked(const GatewayId& gw_id, absl::Duration lifetime,
                                         absl::string_view actor, absl::string_view why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<bool> GatewayRevokedLocked(const GatewayId& gw_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The state of one epoch; NotFound if there is none.
  absl::StatusOr<SeedState> StateLocked(const GatewayId& gw_id, uint32_t seed_epoch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SetStateLocked(const GatewayId& gw_id, uint32_t seed_epoch, SeedState state)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status AppendAuditLocked(const AuditEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<SeedRecord>> SeedRecordsLocked(const std::optional<GatewayId>& only)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<RevokedGateway>> RevokedGatewaysLocked(
      const std::optional<GatewayId>& only) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::optional<SecretBytes>> FindServerSecretLocked(absl::string_view name)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int> RewrapServerSecretsLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // CheckSealed's two halves; they add to `check`.
  absl::Status CheckSealedSeedsLocked(SealCheck& check) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckServerSecretsLocked(SealCheck& check) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  SqliteSeedStore(sqlite3* db, const KeyRing* keys, const Clock& clock)
      : db_(db), statements_(db), keys_(keys), clock_(clock) {}

  // One request for a new seed, waiting in issues_ for a group commit.
  struct IssueRequest {
    const GatewayId& gw_id;
    const IssueOptions& options;
  };
  // The group commit's leader: with the connection held, takes the pending
  // requests and runs them all in one write transaction.
  absl::StatusOr<std::vector<absl::StatusOr<StoredSeed>>> IssueBatch(
      const GroupCommit<IssueRequest, StoredSeed>::Take& take);
  // Inside the batch's transaction: one request, undone alone if it fails.
  absl::StatusOr<StoredSeed> IssueInSavepointLocked(const IssueRequest& r)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ExecCachedLocked(absl::string_view sql) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // IssueLocked's steps: marks the active epoch rotated (true if there was
  // one); the next epoch number.
  absl::StatusOr<bool> RotateActiveLocked(const GatewayId& gw_id, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<uint32_t> NextEpochLocked(const GatewayId& gw_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Forgets the pages the connection cached, so that the call about to be
  // made reads the file as it is now: a file corrupted under a running
  // server is then seen at its next request (and refused), not only at the
  // next start. Cheap: the pages come back from the OS's cache.
  void DropPageCache() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // Each call holds the one connection for its whole length: taken by the
  // store deadline (a request never waits past it for another request's
  // turn, e.g. one in a busy wait), then the page cache is dropped, so that
  // a file damaged under the server is read as it is. When !ok() the lock is
  // not held and the call must return status() at once.
  class ABSL_SCOPED_LOCKABLE CallLock {
   public:
    explicit CallLock(SqliteSeedStore& store) ABSL_EXCLUSIVE_LOCK_FUNCTION(store.mu_);
    ~CallLock() ABSL_UNLOCK_FUNCTION();
    CallLock(const CallLock&) = delete;
    CallLock& operator=(const CallLock&) = delete;
    bool ok() const { return locked_; }
    absl::Status status() const;

   private:
    SqliteSeedStore& store_;
    bool locked_;
  };
  absl::Status Migrate() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<int> SchemaVersionLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The active seed of `gw_id`, read on seed_reads_ (not holding mu_).
  absl::StatusOr<std::optional<StoredSeed>> FindActiveForCall(const GatewayId& gw_id);
  // The active seed of `gw_id` read through `statements` (of any connection).
  absl::StatusOr<std::optional<StoredSeed>> FindActive(sqlite::StatementCache& statements,
                                                       const GatewayId& gw_id);
  absl::StatusOr<std::optional<StoredSeed>> FindActiveLocked(const GatewayId& gw_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inside a write transaction: the active seed, or a new one inserted.
  absl::StatusOr<StoredSeed> GetOrCreateLocked(const GatewayId& gw_id,
                                               const IssueOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status RewrapOneLocked(const GatewayId& gw_id, uint32_t epoch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  sqlite::StatementCache statements_ ABSL_GUARDED_BY(mu_);
  GroupCommit<IssueRequest, StoredSeed> issues_{{.deadline_error = [] {
    return StoreDeadlineError("the store (waiting for a group commit)");
  }}};
  const KeyRing* const keys_;
  const Clock& clock_;

  // Authentication's look-ups and used challenges go through connections of
  // their own (sqlite_auth_connection.h): neither waits for a commit on
  // another one.
  std::unique_ptr<sqlite::AuthConnection> auth_reads_ = std::make_unique<
      sqlite::AuthConnection>(sqlite::DatabaseFile(db_), sqlite::AuthConnection::Mode::kRead);
  // Known gateways' look-ups (GetOrCreateActive's first step) go through a
  // read connection of their own: on the main one they queued behind every
  // batch of new seeds for its sync, and so did their own issues.
  const bool has_file_ = !sqlite::DatabaseFile(db_).empty();
  std::unique_ptr<sqlite::AuthConnection> seed_reads_ =
      std::make_unique<sqlite::AuthConnection>(sqlite::DatabaseFile(db_),
                                               sqlite::AuthConnection::Mode::kReadMapped);
  // The host's boot id; "" when unknown, and used challenges are then synced.
  // Every process on a WAL file runs on one host (it shares memory).
  const std::string boot_id_ = sqlite::HostBootId();
  std::unique_ptr<sqlite::AuthConnection> challenge_writes_ =
      std::make_unique<sqlite::AuthConnection>(
          sqlite::DatabaseFile(db_), boot_id_.empty() ? sqlite::AuthConnection::Mode::kWrite
                                                      : sqlite::AuthConnection::Mode::kWriteUnsynced);
  std::atomic<uint64_t> consume_batches_{0};  // expired challenges are purged every 64th
};

// Checks a SQLite store's file, opened read-only: PRAGMA integrity_check (or
// the faster quick_check, which skips the indexes' agreement with their
// tables) and the tables this program needs. Returns one line per fault
// (empty when sound); a file that does not open or is not a database is a
// fault too.
std::vector<std::string> CheckSqliteFile(const std::string& path, bool quick = false);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_SQLITE_SEED_STORE_H_
