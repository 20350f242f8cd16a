// SqliteSeedStore: the embedded SeedStore, one SQLite file.
//
// WAL journal, synchronous=FULL: a commit is on disk before it returns.
// Thread-safe (one connection behind a mutex). Several processes may open the
// same file: writers serialize on BEGIN IMMEDIATE.
#ifndef CPNS_STORAGE_SQLITE_SEED_STORE_H_
#define CPNS_STORAGE_SQLITE_SEED_STORE_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "storage/seed_store.h"

struct sqlite3;

namespace cpns::storage {

class SqliteSeedStore final : public SeedStore {
 public:
  struct Options {
    std::string path;
    bool create_if_missing = true;  // false: NotFound for a missing file
    int busy_timeout_ms = 5000;
  };

  // Opens (and if allowed creates) the database and its schema.
  // `clock` must outlive the store.
  static absl::StatusOr<std::unique_ptr<SqliteSeedStore>> Open(const Options& options,
                                                              const Clock& clock);
  ~SqliteSeedStore() override;

  absl::StatusOr<StoredSeed> GetOrCreateActive(const GatewayId& gw_id) override;
  absl::StatusOr<StoredSeed> Get(const GatewayId& gw_id, uint32_t seed_epoch) override;
  absl::StatusOr<std::vector<SeedRecord>> List() override;

 private:
  SqliteSeedStore(sqlite3* db, const Clock& clock) : db_(db), clock_(clock) {}

  absl::StatusOr<std::optional<StoredSeed>> FindActiveLocked(const GatewayId& gw_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Inside a write transaction: the active seed, or a new one inserted.
  absl::StatusOr<StoredSeed> GetOrCreateLocked(const GatewayId& gw_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Mutex mu_;
  sqlite3* const db_ ABSL_PT_GUARDED_BY(mu_);
  const Clock& clock_;
};

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_SQLITE_SEED_STORE_H_
