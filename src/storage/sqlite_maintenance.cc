// SqliteSeedStore: what the operator runs now and then (audit retention, the
// check that every sealed row opens).
#include <sqlite3.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

#include "storage/sqlite_seed_store.h"
#include "storage/sqlite_statement.h"

namespace cpns::storage {

using sqlite::InReadTransaction;
using sqlite::InWriteTransaction;
using sqlite::kSeedColumns;
using sqlite::Statement;

absl::StatusOr<int64_t> SqliteSeedStore::PruneAudit(absl::Time before, absl::string_view actor) {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return InWriteTransaction(db_, [&]() -> absl::StatusOr<int64_t> {
    CPNS_ASSIGN_OR_RETURN(Statement del,
                          Statement::Prepare(db_, "DELETE FROM audit_log WHERE at < ?"));
    del.Bind(1, absl::ToUnixSeconds(before));
    CPNS_RETURN_IF_ERROR(del.Step().status());
    const int64_t removed = sqlite3_changes(db_);
    CPNS_RETURN_IF_ERROR(AppendAuditLocked(PruneAuditEvent(before, removed, actor)));
    return removed;
  });
}

absl::Status SqliteSeedStore::CheckSealedSeedsLocked(SealCheck& check) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_, absl::StrCat(
      "SELECT ", kSeedColumns, ", sealed_seed FROM first_seeds ORDER BY gw_id, seed_epoch")));
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return absl::OkStatus();
    ++check.checked;
    absl::StatusOr<SeedRecord> record = sqlite::ReadSeedRecord(q, 0);
    if (!record.ok()) {
      check.faults.push_back(absl::StrCat("a first_seeds row: ", record.status().message()));
      continue;
    }
    absl::StatusOr<StoredSeed> seed = OpenSealedSeed(keys_, *record, q.Blob(6));
    if (!seed.ok()) check.faults.push_back(SeedSealFault(*record, seed.status()));
  }
}

absl::Status SqliteSeedStore::CheckServerSecretsLocked(SealCheck& check) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT name, sealed_secret, kek_id FROM server_secrets ORDER BY name"));
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return absl::OkStatus();
    ++check.checked;
    absl::StatusOr<SecretBytes> secret =
        OpenSealedServerSecret(keys_, q.Text(0), q.Blob(1), q.Text(2));
    if (!secret.ok()) {
      check.faults.push_back(ServerSecretSealFault(q.Text(0), q.Text(2), secret.status()));
    }
  }
}

absl::StatusOr<SealCheck> SqliteSeedStore::CheckSealed() {
  if (keys_ == nullptr) return absl::FailedPreconditionError("checking seals needs the KEKs");
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  // One snapshot: a seed re-sealed meanwhile is seen once, under one KEK.
  return InReadTransaction(db_, [&]() -> absl::StatusOr<SealCheck> {
    SealCheck check;
    CPNS_RETURN_IF_ERROR(CheckSealedSeedsLocked(check));
    CPNS_RETURN_IF_ERROR(CheckServerSecretsLocked(check));
    return check;
  });
}

namespace {

// The tables of the latest schema.
constexpr const char* kTables[] = {"cpns_schema_migrations", "first_seeds", "server_secrets",
                                   "used_challenges", "revoked_gateways", "revoked_keys",
                                   "audit_log"};

// integrity_check's (or quick_check's) findings; it reports "ok" alone when
// there are none.
absl::Status IntegrityCheck(sqlite3* db, bool quick, std::vector<std::string>& faults) {
  const char* pragma = quick ? "quick_check" : "integrity_check";
  CPNS_ASSIGN_OR_RETURN(Statement q,
                        Statement::Prepare(db, absl::StrCat("PRAGMA ", pragma, "(100)")));
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return absl::OkStatus();
    if (q.Text(0) != "ok") faults.push_back(absl::StrCat(pragma, ": ", q.Text(0)));
  }
}

absl::Status TablesPresent(sqlite3* db, std::vector<std::string>& faults) {
  for (const char* table : kTables) {
    CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db,
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"));
    q.Bind(1, table);
    CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
    if (!found) faults.push_back(absl::StrCat("schema: table ", table, " is missing"));
  }
  return absl::OkStatus();
}

}  // namespace

std::vector<std::string> CheckSqliteFile(const std::string& path, bool quick) {
  sqlite3* db = nullptr;
  std::vector<std::string> faults;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    faults.push_back(absl::StrCat("cannot open ", path, ": ",
                                  db ? sqlite3_errmsg(db) : "out of memory"));
    sqlite3_close(db);
    return faults;
  }
  sqlite3_busy_timeout(db, 5000);
  if (absl::Status s = IntegrityCheck(db, quick, faults); !s.ok()) {
    faults.push_back(std::string(s.message()));
  }
  if (absl::Status s = TablesPresent(db, faults); !s.ok()) {
    faults.push_back(std::string(s.message()));
  }
  sqlite3_close(db);
  return faults;
}

}  // namespace cpns::storage
