#include "storage/store_schema.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/migrations.h"
#include "core/sqlite_schema.h"
#include "core/status_macros.h"
#include "storage/migrations.h"
#include "storage/pg_statement.h"

namespace cpns::storage {
namespace {

// Taken by every step's transaction; the same key as before steps had their
// own transactions, so a replica of an older release waits for this one.
constexpr char kMigrationLock[] = "SELECT pg_advisory_xact_lock(7270001)";
constexpr char kPostgresVersionTable[] =
    "CREATE TABLE IF NOT EXISTS cpns_schema_migrations (version INTEGER PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at BIGINT NOT NULL)";

std::vector<SchemaStep> StepsOf(const char* Migration::*sql) {
  std::vector<SchemaStep> steps;
  for (const Migration& m : Migrations()) steps.push_back({m.version, m.description, m.*sql});
  return steps;
}

class PgStepTransaction final : public SchemaTransaction {
 public:
  PgStepTransaction(pg::Connection& c, const Clock& clock) : c_(c), clock_(clock) {}
  absl::StatusOr<int> Version() override {
    CPNS_ASSIGN_OR_RETURN(pg::Result r,
                          c_.Exec("SELECT coalesce(max(version), 0) FROM cpns_schema_migrations"));
    return static_cast<int>(r.Int(0, 0));
  }
  absl::Status Execute(const char* sql) override { return c_.Exec(sql).status(); }
  absl::Status RecordVersion(const SchemaStep& step) override {
    return c_.Exec("INSERT INTO cpns_schema_migrations VALUES ($1, $2, $3)",
                   {pg::Int(step.version), pg::Text(step.name),
                    pg::Int(absl::ToUnixSeconds(clock_.Now()))})
        .status();
  }

 private:
  pg::Connection& c_;
  const Clock& clock_;
};

class PgSchemaBackend final : public SchemaBackend {
 public:
  PgSchemaBackend(pg::Connection& c, std::string name, const Clock& clock)
      : c_(c), name_(std::move(name)), clock_(clock) {}
  std::string Name() override { return name_; }
  absl::StatusOr<int> Version() override {
    CPNS_ASSIGN_OR_RETURN(pg::Result exists,
                          c_.Exec("SELECT to_regclass('cpns_schema_migrations') IS NOT NULL"));
    if (!pg::Bool(exists, 0, 0)) return 0;
    return PgStepTransaction(c_, clock_).Version();
  }
  absl::Status InMigrationTransaction(
      absl::FunctionRef<absl::Status(SchemaTransaction&)> body) override {
    return pg::InTransaction(c_, [&]() -> absl::Status {
      CPNS_RETURN_IF_ERROR(c_.Exec(kMigrationLock).status());
      CPNS_RETURN_IF_ERROR(c_.Exec(kPostgresVersionTable).status());
      PgStepTransaction txn(c_, clock_);
      return body(txn);
    });
  }

 private:
  pg::Connection& c_;
  const std::string name_;
  const Clock& clock_;
};

}  // namespace

absl::Status MigrateSqliteStore(sqlite3* db, const Clock& clock) {
  sqlite::SqliteSchemaBackend backend(db, sqlite::Versioning::kVersionTable, clock);
  const std::vector<SchemaStep> steps = StepsOf(&Migration::sqlite_sql);
  return MigrateSchema(backend, {steps, "cpns-server"}).status();
}

absl::Status MigratePostgresStore(pg::Connection& c, const Clock& clock) {
  const std::vector<SchemaStep> steps = StepsOf(&Migration::postgres_sql);
  return MigratePostgresSchema(c, {steps, "cpns-server"}, clock).status();
}

absl::StatusOr<int> SqliteStoreVersion(sqlite3* db, const Clock& clock) {
  return sqlite::SqliteSchemaBackend(db, sqlite::Versioning::kVersionTable, clock).Version();
}

absl::StatusOr<int> PostgresStoreVersion(pg::Connection& c, const Clock& clock) {
  return PgSchemaBackend(c, "", clock).Version();
}

absl::StatusOr<int> MigratePostgresSchema(pg::Connection& c, const Schema& schema,
                                          const Clock& clock) {
  // Named now: after a failed statement the transaction cannot be asked.
  CPNS_ASSIGN_OR_RETURN(pg::Result db, c.Exec("SELECT current_database()"));
  PgSchemaBackend backend(c, absl::StrCat("PostgreSQL database ", db.Text(0, 0)), clock);
  return MigrateSchema(backend, schema);
}

}  // namespace cpns::storage
