// PgSeedStore: the SeedStore on PostgreSQL (libpq), for many server replicas
// on one database.
//
// Replicas agree through the database only. Every transaction that issues,
// rotates, retires or revokes a gateway's seeds first takes that gateway's
// advisory transaction lock (pg_statement.h: LockGateway), so they run one
// after another per gateway on all replicas; a partial unique index backs
// the rule of one active seed per gateway. Every change is committed
// (synchronous_commit = on) before it returns. Failed connections are
// reopened on the next call, and a read or idempotent change that met a dead
// pooled connection is retried once on a fresh one. Thread-safe.
#ifndef CPNS_STORAGE_PG_SEED_STORE_H_
#define CPNS_STORAGE_PG_SEED_STORE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "cpns/core/clock.h"
#include "storage/kek.h"
#include "storage/pg_pool.h"
#include "storage/sealed_seed.h"
#include "storage/seed_store.h"

namespace cpns::storage {

class PgSeedStore final : public SeedStore {
 public:
  // `clock` and `options.keys` (if set) must outlive the store.
  static absl::StatusOr<std::unique_ptr<PgSeedStore>> Open(const pg::PoolOptions& pool,
                                                          const StoreOptions& options,
                                                          const Clock& clock);

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
  absl::Status ConsumeChallenge(absl::string_view challenge_id, absl::Time expires_at) override;
  absl::StatusOr<std::vector<bool>> ConsumeChallenges(std::span<const ChallengeUse> uses) override;

 private:
  absl::StatusOr<std::optional<SecretBytes>> FindServerSecret(pg::Connection& c,
                                                              absl::string_view name);
  absl::StatusOr<int> RewrapServerSecrets();
  // CheckSealed's two halves, on `c`; they add to `check`.
  absl::Status CheckSealedSeeds(pg::Connection& c, SealCheck& check);
  absl::Status CheckServerSecrets(pg::Connection& c, SealCheck& check);
  PgSeedStore(const pg::PoolOptions& pool, const KeyRing* keys, const Clock& clock)
      : pool_(pool), keys_(keys), clock_(clock) {}

  absl::Status Migrate();
  absl::StatusOr<StoredSeed> GetOrCreateOnce(const GatewayId& gw_id, const IssueOptions& options);
  // The one-gateway path: under the gateway's lock, the active seed or a new
  // epoch.
  absl::StatusOr<StoredSeed> IssueUnderLock(const GatewayId& gw_id, const IssueOptions& options);

  // A new gateway's first seed in one round trip (pg_issue.cc): the seed; an
  // error (PermissionDenied if revoked); or nullopt when the gateway already
  // has epochs or the script failed (then IssueUnderLock decides).
  absl::StatusOr<std::optional<StoredSeed>> IssueFirstSeed(const GatewayId& gw_id,
                                                           const IssueOptions& options);
  absl::StatusOr<std::string> FirstSeedScript(pg::Connection& c, const StoredSeed& seed,
                                              const NewSeed& fresh,
                                              const AuditEvent& audit);
  absl::StatusOr<std::optional<StoredSeed>> FindActive(pg::Connection& c, const GatewayId& gw_id);
  absl::Status RewrapOne(const GatewayId& gw_id, uint32_t epoch);

  // Inside a transaction holding the gateway's lock: makes a new epoch
  // active (the active one, if any, becomes rotated) and audits it with `why`.
  absl::StatusOr<StoredSeed> Issue(pg::Connection& c, const GatewayId& gw_id,
                                   absl::Duration lifetime, absl::string_view actor,
                                   absl::string_view why);
  absl::Status SetState(pg::Connection& c, const GatewayId& gw_id, uint32_t seed_epoch,
                        SeedState state);
  // Appends on `c`, so inside the caller's transaction if it has one.
  absl::Status AppendAuditOn(pg::Connection& c, const AuditEvent& event);
  // Bodies of the lifecycle changes, run inside a transaction on `c`.
  absl::Status RetireIn(pg::Connection& c, const GatewayId& gw_id, uint32_t seed_epoch,
                        absl::string_view actor);
  absl::Status RevokeEpochIn(pg::Connection& c, const GatewayId& gw_id, uint32_t seed_epoch,
                             absl::string_view reason, absl::string_view actor);
  absl::Status RevokeGatewayIn(pg::Connection& c, const GatewayId& gw_id,
                               absl::string_view reason, absl::string_view actor);

  pg::Pool pool_;
  std::atomic<uint64_t> consumed_{0};  // purge old challenges every so often
  const KeyRing* const keys_;
  const Clock& clock_;
};

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_PG_SEED_STORE_H_
