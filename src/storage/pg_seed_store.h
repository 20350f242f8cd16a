// PgSeedStore: the SeedStore on PostgreSQL (libpq), for many server replicas
// on one database.
//
// Replicas agree through the database only: a partial unique index allows one
// active seed per gateway, a new seed is inserted with ON CONFLICT DO NOTHING,
// and a replica that loses the race reads the winner's row. Every insert is
// committed (synchronous_commit = on) before it returns. Failed connections
// are reopened on the next call, and a call that met a dead pooled connection
// is retried once on a fresh one. Thread-safe.
#ifndef CPNS_STORAGE_PG_SEED_STORE_H_
#define CPNS_STORAGE_PG_SEED_STORE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include "cpns/core/clock.h"
#include "storage/kek.h"
#include "storage/pg_pool.h"
#include "storage/seed_store.h"

namespace cpns::storage {

class PgSeedStore final : public SeedStore {
 public:
  // `clock` and `options.keys` (if set) must outlive the store.
  static absl::StatusOr<std::unique_ptr<PgSeedStore>> Open(const pg::PoolOptions& pool,
                                                          const StoreOptions& options,
                                                          const Clock& clock);

  absl::StatusOr<StoredSeed> GetOrCreateActive(const GatewayId& gw_id) override;
  absl::StatusOr<StoredSeed> Get(const GatewayId& gw_id, uint32_t seed_epoch) override;
  absl::StatusOr<std::vector<SeedRecord>> List() override;
  absl::StatusOr<int> RewrapToPrimary() override;
  absl::StatusOr<int> SchemaVersion() override;
  absl::StatusOr<SecretBytes> GetOrCreateServerSecret(absl::string_view name) override;
  absl::Status ConsumeChallenge(absl::string_view challenge_id, absl::Time expires_at) override;

 private:
  absl::StatusOr<std::optional<SecretBytes>> FindServerSecret(pg::Connection& c,
                                                              absl::string_view name);
  absl::StatusOr<int> RewrapServerSecrets();
  PgSeedStore(const pg::PoolOptions& pool, const KeyRing* keys, const Clock& clock)
      : pool_(pool), keys_(keys), clock_(clock) {}

  absl::Status Migrate();
  absl::StatusOr<StoredSeed> GetOrCreateOnce(const GatewayId& gw_id);
  absl::StatusOr<std::optional<StoredSeed>> FindActive(pg::Connection& c, const GatewayId& gw_id);
  absl::Status RewrapOne(const GatewayId& gw_id, uint32_t epoch);

  pg::Pool pool_;
  std::atomic<uint64_t> consumed_{0};  // purge old challenges every so often
  const KeyRing* const keys_;
  const Clock& clock_;
};

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_PG_SEED_STORE_H_
