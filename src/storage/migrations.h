// The store's schema, as numbered migrations, for both backends; applied by
// the migration runner (core/migrations.h) through storage/store_schema.h.
//
// A database records the versions applied in cpns_schema_migrations. A
// server refuses a database whose version is newer than kLatestSchemaVersion
// (written by a newer cpns-server) and, unless told to migrate, one that is
// older.
#ifndef CPNS_STORAGE_MIGRATIONS_H_
#define CPNS_STORAGE_MIGRATIONS_H_

#include <span>

namespace cpns::storage {

struct Migration {
  int version;
  const char* description;
  const char* sqlite_sql;
  const char* postgres_sql;
};

std::span<const Migration> Migrations();
inline constexpr int kLatestSchemaVersion = 4;

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_MIGRATIONS_H_
