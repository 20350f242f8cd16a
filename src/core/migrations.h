// Numbered schema migrations, for every database the programs keep: the
// server's store (SQLite or PostgreSQL) and the gateway's gateway.db.
//
// A schema is a list of steps numbered 1..N; a database records the last
// step applied, its version (0: none yet). MigrateSchema applies each
// missing step in its own transaction together with the version bump, so a
// step that fails leaves the database at the version before it, and a crash
// between steps leaves a database the next run finishes. A database newer
// than N (written by a newer program) is refused and left alone. Running it
// again changes nothing.
//
// How the version is stored, and how two programs migrating one database at
// once are kept apart, is the backend's (SchemaBackend): the runner only
// asks it for transactions. Backends are not thread-safe; the runner uses one
// from the calling thread only.
#ifndef CPNS_CORE_MIGRATIONS_H_
#define CPNS_CORE_MIGRATIONS_H_

#include <span>
#include <string>

#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cpns {

// One step: the SQL that takes a schema from version-1 to version.
struct SchemaStep {
  int version;
  const char* name;  // what the step does, recorded where the backend can
  const char* sql;   // one or more statements
};

// The transaction of one step, opened by a backend.
class SchemaTransaction {
 public:
  virtual ~SchemaTransaction() = default;
  // The version stored, as this transaction sees it (0 if none).
  virtual absl::StatusOr<int> Version() = 0;
  virtual absl::Status Execute(const char* sql) = 0;
  // Records `step` as applied: the version becomes step.version.
  virtual absl::Status RecordVersion(const SchemaStep& step) = 0;
};

class SchemaBackend {
 public:
  virtual ~SchemaBackend() = default;
  // The database, for messages ("SQLite database /var/lib/cpns/gateway.db").
  // Never a secret (no password of a connection string).
  virtual std::string Name() = 0;
  // The version stored (0 if none), read outside any migration transaction.
  virtual absl::StatusOr<int> Version() = 0;
  // Runs `body` in one transaction that no other migrator of the same
  // database runs at the same time; commits if it returns OK, rolls back
  // otherwise, and returns its status (or the commit's).
  virtual absl::Status InMigrationTransaction(
      absl::FunctionRef<absl::Status(SchemaTransaction&)> body) = 0;
};

struct Schema {
  std::span<const SchemaStep> steps;  // numbered 1..N, in order
  absl::string_view program;          // that knows this schema, for messages: "cpns-gw"
};

// Brings the database to the schema's last version and returns it.
// FailedPrecondition, naming the database, its version and what to do, for a
// database newer than the schema; the failing step's error (with its number
// and name, and the version the database stays at) if a step fails; Internal
// for steps not numbered 1..N.
absl::StatusOr<int> MigrateSchema(SchemaBackend& backend, const Schema& schema);

// FailedPrecondition (as MigrateSchema's) if `version` is newer than the
// schema's last step.
absl::Status CheckNotNewer(SchemaBackend& backend, int version, const Schema& schema);

}  // namespace cpns

#endif  // CPNS_CORE_MIGRATIONS_H_
