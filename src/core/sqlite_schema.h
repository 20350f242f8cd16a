// The SQLite backend of the migration runner (core/migrations.h), for one
// connection.
//
// The version is kept either in the file header (PRAGMA user_version: the
// gateway's gateway.db) or as one row per applied step in the table
// cpns_schema_migrations (version, description, applied_at): the server's
// store, whose files record it so since its first version. A step's
// transaction is BEGIN IMMEDIATE: it takes the write lock first, so a second
// process migrating the same file waits for it (the connection's busy
// handler decides how long) and then finds the step applied.
//
// Not thread-safe: the caller serializes its connection.
#ifndef CPNS_CORE_SQLITE_SCHEMA_H_
#define CPNS_CORE_SQLITE_SCHEMA_H_

#include <sqlite3.h>

#include <string>

#include "core/migrations.h"
#include "cpns/core/clock.h"

namespace cpns::sqlite {

enum class Versioning { kUserVersion, kVersionTable };

class SqliteSchemaBackend final : public SchemaBackend {
 public:
  // `db` and `clock` must outlive this; `clock` stamps the rows of
  // kVersionTable (applied_at, Unix seconds).
  SqliteSchemaBackend(sqlite3* db, Versioning versioning, const Clock& clock)
      : db_(db), versioning_(versioning), clock_(clock) {}

  std::string Name() override;
  absl::StatusOr<int> Version() override;
  absl::Status InMigrationTransaction(
      absl::FunctionRef<absl::Status(SchemaTransaction&)> body) override;

 private:
  friend class SqliteStepTransaction;
  absl::Status RecordVersion(const SchemaStep& step);

  sqlite3* const db_;
  const Versioning versioning_;
  const Clock& clock_;
};

}  // namespace cpns::sqlite

#endif  // CPNS_CORE_SQLITE_SCHEMA_H_
