#include "core/migrations.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace cpns {
namespace {

int LastVersion(const Schema& schema) {
  return schema.steps.empty() ? 0 : schema.steps.back().version;
}

absl::Status CheckNumbering(const Schema& schema) {
  for (size_t i = 0; i < schema.steps.size(); ++i) {
    if (schema.steps[i].version != static_cast<int>(i) + 1) {
      return absl::InternalError(absl::StrCat("the schema of ", schema.program, " has step ",
                                              schema.steps[i].version, " at position ", i + 1,
                                              ": steps must be numbered 1..N in order"));
    }
  }
  return absl::OkStatus();
}

// Runs inside the step's transaction. Another migrator may have applied the
// step (or more) while this one waited for the transaction: the version is
// read again under it, and a step already applied is not run twice.
absl::Status ApplyStep(SchemaBackend& backend, SchemaTransaction& txn, const SchemaStep& step,
                       const Schema& schema) {
  CPNS_ASSIGN_OR_RETURN(int version, txn.Version());
  CPNS_RETURN_IF_ERROR(CheckNotNewer(backend, version, schema));
  if (version >= step.version) return absl::OkStatus();
  if (version != step.version - 1) {
    return absl::InternalError(absl::StrCat(backend.Name(), " is at schema version ", version,
                                            " before step ", step.version));
  }
  absl::Status s = txn.Execute(step.sql);
  if (s.ok()) s = txn.RecordVersion(step);
  if (s.ok()) return s;
  absl::Status named(
      s.code(), absl::StrCat("migration of ", backend.Name(), " to schema version ", step.version,
                             " (", step.name, ") failed, the database stays at version ", version,
                             ": ", s.message()));
  // Payloads stay (a SQLite error keeps saying whether the file is corrupt).
  s.ForEachPayload([&](absl::string_view url, const absl::Cord& payload) {
    named.SetPayload(url, payload);
  });
  return named;
}

}  // namespace

absl::Status CheckNotNewer(SchemaBackend& backend, int version, const Schema& schema) {
  if (version <= LastVersion(schema)) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      backend.Name(), " has schema version ", version, ", newer than this ", schema.program,
      " knows (", LastVersion(schema), "): a newer ", schema.program,
      " wrote it. Run that version, or restore a copy of the database made before the "
      "upgrade; the database was left unchanged"));
}

absl::StatusOr<int> MigrateSchema(SchemaBackend& backend, const Schema& schema) {
  CPNS_RETURN_IF_ERROR(CheckNumbering(schema));
  CPNS_ASSIGN_OR_RETURN(int version, backend.Version());
  CPNS_RETURN_IF_ERROR(CheckNotNewer(backend, version, schema));
  for (const SchemaStep& step : schema.steps) {
    if (step.version <= version) continue;
    CPNS_RETURN_IF_ERROR(backend.InMigrationTransaction(
        [&](SchemaTransaction& txn) { return ApplyStep(backend, txn, step, schema); }));
  }
  return std::max(version, LastVersion(schema));
}

}  // namespace cpns
