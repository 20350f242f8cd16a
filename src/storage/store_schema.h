// The store's schema on each backend: the numbered migrations of
// storage/migrations.h, applied by the migration runner (core/migrations.h),
// each in its own transaction with its row in cpns_schema_migrations (the
// version is the highest row, on both backends, as since version 1).
//
// Both refuse a database newer than kLatestSchemaVersion. On PostgreSQL each
// step's transaction first takes an advisory lock, so replicas started
// together migrate one after another and the later ones find the steps
// applied. Not thread-safe: the caller serializes its connection.
#ifndef CPNS_STORAGE_STORE_SCHEMA_H_
#define CPNS_STORAGE_STORE_SCHEMA_H_

#include <sqlite3.h>

#include "absl/status/status.h"
#include "core/migrations.h"
#include "cpns/core/clock.h"
#include "storage/pg_pool.h"

namespace cpns::storage {

// `clock` stamps each step's row (applied_at).
absl::Status MigrateSqliteStore(sqlite3* db, const Clock& clock);
absl::Status MigratePostgresStore(pg::Connection& c, const Clock& clock);

// The store's schema version as the runner reads it (0: no schema yet).
absl::StatusOr<int> SqliteStoreVersion(sqlite3* db, const Clock& clock);
absl::StatusOr<int> PostgresStoreVersion(pg::Connection& c, const Clock& clock);

// The runner on PostgreSQL with any schema, its version kept the store's way
// (MigratePostgresStore is this with the store's steps).
absl::StatusOr<int> MigratePostgresSchema(pg::Connection& c, const Schema& schema,
                                          const Clock& clock);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_STORE_SCHEMA_H_
