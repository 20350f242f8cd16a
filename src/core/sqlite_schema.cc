#include "core/sqlite_schema.h"

#include "absl/strings/str_cat.h"
#include "core/sqlite.h"
#include "core/status_macros.h"

namespace cpns::sqlite {
namespace {

constexpr char kVersionTable[] =
    "CREATE TABLE IF NOT EXISTS cpns_schema_migrations (version INTEGER PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at INTEGER NOT NULL)";

absl::StatusOr<int64_t> SelectInt(sqlite3* db, const char* sql) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db, sql));
  CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

absl::StatusOr<int> TableVersion(sqlite3* db) {
  CPNS_ASSIGN_OR_RETURN(int64_t tables, SelectInt(db,
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
      "name = 'cpns_schema_migrations'"));
  if (tables == 0) return 0;
  CPNS_ASSIGN_OR_RETURN(int64_t version,
                        SelectInt(db, "SELECT coalesce(max(version), 0) "
                                      "FROM cpns_schema_migrations"));
  return static_cast<int>(version);
}

}  // namespace

// The open transaction of one step; the backend commits or rolls it back.
class SqliteStepTransaction final : public SchemaTransaction {
 public:
  explicit SqliteStepTransaction(SqliteSchemaBackend& backend) : backend_(backend) {}
  absl::StatusOr<int> Version() override { return backend_.Version(); }
  absl::Status Execute(const char* sql) override { return Exec(backend_.db_, sql); }
  absl::Status RecordVersion(const SchemaStep& step) override {
    return backend_.RecordVersion(step);
  }

 private:
  SqliteSchemaBackend& backend_;
};

std::string SqliteSchemaBackend::Name() {
  const char* file = sqlite3_db_filename(db_, "main");
  return absl::StrCat("SQLite database ", file != nullptr && *file ? file : "(in memory)");
}

absl::StatusOr<int> SqliteSchemaBackend::Version() {
  if (versioning_ == Versioning::kVersionTable) return TableVersion(db_);
  CPNS_ASSIGN_OR_RETURN(int64_t version, SelectInt(db_, "PRAGMA user_version"));
  return static_cast<int>(version);
}

absl::Status SqliteSchemaBackend::InMigrationTransaction(
    absl::FunctionRef<absl::Status(SchemaTransaction&)> body) {
  return InWriteTransaction(db_, [&]() -> absl::Status {
    // The table first, as the store always made it: a file migrated step by
    // step has the same schema, in the same order, as one made at once.
    if (versioning_ == Versioning::kVersionTable) CPNS_RETURN_IF_ERROR(Exec(db_, kVersionTable));
    SqliteStepTransaction txn(*this);
    return body(txn);
  });
}

absl::Status SqliteSchemaBackend::RecordVersion(const SchemaStep& step) {
  if (versioning_ == Versioning::kUserVersion) {
    // A PRAGMA takes no parameters; the version is a number we chose.
    return Exec(db_, absl::StrCat("PRAGMA user_version = ", step.version).c_str());
  }
  CPNS_ASSIGN_OR_RETURN(Statement mark, Statement::Prepare(db_,
      "INSERT INTO cpns_schema_migrations (version, description, applied_at) VALUES (?, ?, ?)"));
  mark.Bind(1, static_cast<int64_t>(step.version));
  mark.Bind(2, step.name);
  mark.Bind(3, absl::ToUnixSeconds(clock_.Now()));
  return mark.Step().status();
}

}  // namespace cpns::sqlite
