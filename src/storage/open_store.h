// Opens the SeedStore an operator names with --db.
//
//   postgresql://user@host:port/db?...   PostgreSQL (also postgres://)
//   sqlite:/var/lib/cpns/seeds.db        SQLite
//   /var/lib/cpns/seeds.db               SQLite (a plain path)
#ifndef CPNS_STORAGE_OPEN_STORE_H_
#define CPNS_STORAGE_OPEN_STORE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cpns/core/clock.h"
#include "storage/seed_store.h"

namespace cpns::storage {

enum class Backend { kSqlite, kPostgres };

struct StoreUrl {
  Backend backend;
  std::string target;  // SQLite path, or the PostgreSQL URL as given
};

// InvalidArgument for an empty URL or an unknown scheme.
absl::StatusOr<StoreUrl> ParseStoreUrl(absl::string_view url);

// `clock` and options.keys must outlive the store.
absl::StatusOr<std::unique_ptr<SeedStore>> OpenSeedStore(absl::string_view url,
                                                         const StoreOptions& options,
                                                         const Clock& clock);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_OPEN_STORE_H_
