#include "storage/sqlite_seed_store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/sealed_seed.h"
#include "storage/sqlite_statement.h"
#include "storage/store_deadline.h"
#include "storage/store_schema.h"

namespace cpns::storage {

using sqlite::Exec;
using sqlite::InWriteTransaction;
using sqlite::kSeedColumns;
using sqlite::Statement;

absl::StatusOr<std::unique_ptr<SqliteSeedStore>> SqliteSeedStore::Open(const std::string& path,
                                                                      const StoreOptions& options,
                                                                      const Clock& clock) {
  sqlite3* db = nullptr;
  // Without keys and without migrating there is nothing to write: open the
  // file read-only (seeds list works on a backup copy and changes nothing).
  const bool read_only = options.keys == nullptr && !options.migrate && !options.writable;
  const int flags = SQLITE_OPEN_FULLMUTEX |
                    (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) |
                    (options.create_if_missing && !read_only ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = absl::StrCat("cannot open SQLite database ", path, ": ",
                                   db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    if (rc == SQLITE_CANTOPEN && !options.create_if_missing) return absl::NotFoundError(msg);
    return absl::UnavailableError(msg);
  }
  std::unique_ptr<SqliteSeedStore> store(new SqliteSeedStore(db, options.keys, clock));
  sqlite3_busy_handler(db, sqlite::BusyUntilStoreDeadline, nullptr);
  if (!read_only) {
    CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL"));
    CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=FULL"));
  }
  MutexLock lock(&store->mu_);
  if (options.migrate) CPNS_RETURN_IF_ERROR(store->Migrate());  // refuses a newer one, naming it
  CPNS_ASSIGN_OR_RETURN(const int version, store->SchemaVersionLocked());
  CPNS_RETURN_IF_ERROR(CheckSchemaVersion(version));
  return store;
}

SqliteSeedStore::~SqliteSeedStore() { sqlite3_close(db_); }

void SqliteSeedStore::DropPageCache() { sqlite3_db_release_memory(db_); }

// The analysis takes the lock as held from here on; on the path where it is
// not, the caller only returns status().
SqliteSeedStore::CallLock::CallLock(SqliteSeedStore& store)
    ABSL_NO_THREAD_SAFETY_ANALYSIS : store_(store),
                                     locked_(store.mu_.LockUntil(CurrentStoreDeadline())) {
  if (locked_) store_.DropPageCache();
}

SqliteSeedStore::CallLock::~CallLock() ABSL_NO_THREAD_SAFETY_ANALYSIS {
  if (locked_) store_.mu_.Unlock();
}

absl::Status SqliteSeedStore::CallLock::status() const {
  if (locked_) return absl::OkStatus();
  return StoreDeadlineError("SQLite (another request of this server holds the database)");
}

absl::StatusOr<int> SqliteSeedStore::SchemaVersion() {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return SchemaVersionLocked();
}

absl::StatusOr<int> SqliteSeedStore::SchemaVersionLocked() { return SqliteStoreVersion(db_, clock_); }

absl::Status SqliteSeedStore::Migrate() { return MigrateSqliteStore(db_, clock_); }

absl::StatusOr<StoredSeed> SqliteSeedStore::GetOrCreateActive(const GatewayId& gw_id,
                                                              const IssueOptions& options) {
  CPNS_RETURN_IF_ERROR(CheckLifetime(options.lifetime));
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  // The common case (a known gateway) is a read that takes no write lock. A
  // revoked gateway has no active seed, so it always takes the slow path.
  CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActiveLocked(gw_id));
  if (active.has_value() && !NeedsNewSeed(*active, options.renew_epoch, clock_.Now())) {
    return std::move(*active);
  }
  // BEGIN IMMEDIATE takes the write lock before looking again, so two
  // processes cannot both see "no active seed" and both insert one.
  return InWriteTransaction(db_, [&] { return GetOrCreateLocked(gw_id, options); });
}

absl::StatusOr<std::optional<StoredSeed>> SqliteSeedStore::FindActiveLocked(
    const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(Statement find, Statement::Prepare(db_, absl::StrCat(
      "SELECT ", kSeedColumns, ", sealed_seed FROM first_seeds WHERE gw_id = ? AND state = 'active'")));
  find.Bind(1, gw_id.value());
  CPNS_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) return std::nullopt;
  CPNS_ASSIGN_OR_RETURN(SeedRecord record, sqlite::ReadSeedRecord(find, 0));
  return OpenSealedSeed(keys_, record, find.Blob(6));
}

absl::StatusOr<StoredSeed> SqliteSeedStore::GetOrCreateLocked(const GatewayId& gw_id,
                                                              const IssueOptions& options) {
  CPNS_ASSIGN_OR_RETURN(bool revoked, GatewayRevokedLocked(gw_id));
  if (revoked) return GatewayRevokedError(gw_id);
  CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActiveLocked(gw_id));
  const absl::Time now = clock_.Now();
  if (active.has_value() && !NeedsNewSeed(*active, options.renew_epoch, now)) {
    return std::move(*active);
  }
  return IssueLocked(gw_id, options.lifetime, options.actor,
                     IssueReason(active ? &*active : nullptr, now));
}

absl::StatusOr<StoredSeed> SqliteSeedStore::IssueLocked(const GatewayId& gw_id,
                                                        absl::Duration lifetime,
                                                        absl::string_view actor,
                                                        absl::string_view why) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  CPNS_ASSIGN_OR_RETURN(Statement previous, Statement::Prepare(db_,
      "UPDATE first_seeds SET state = 'rotated', state_changed_at = ? "
      "WHERE gw_id = ? AND state = 'active'"));
  previous.Bind(1, now);
  previous.Bind(2, gw_id.value());
  CPNS_RETURN_IF_ERROR(previous.Step().status());
  const bool rotated = sqlite3_changes(db_) > 0;
  CPNS_ASSIGN_OR_RETURN(Statement next, Statement::Prepare(db_,
      "SELECT coalesce(max(seed_epoch), 0) + 1 FROM first_seeds WHERE gw_id = ?"));
  next.Bind(1, gw_id.value());
  CPNS_ASSIGN_OR_RETURN(bool has_row, next.Step());
  const int64_t epoch = has_row ? next.Int(0) : 1;
  if (epoch > UINT32_MAX) return absl::ResourceExhaustedError("seed_epoch would exceed 2^32-1");
  CPNS_ASSIGN_OR_RETURN(NewSeed fresh,
                        MakeSealedSeed(keys_, gw_id, static_cast<uint32_t>(epoch)));
  const int64_t expires = now + absl::ToInt64Seconds(lifetime);
  CPNS_ASSIGN_OR_RETURN(Statement insert, Statement::Prepare(db_,
      "INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, kek_id, created_at, expires_at) "
      "VALUES (?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, gw_id.value());
  insert.Bind(2, epoch);
  insert.BindBlob(3, fresh.sealed);
  insert.Bind(4, fresh.kek_id);
  insert.Bind(5, now);
  insert.Bind(6, expires);
  CPNS_RETURN_IF_ERROR(insert.Step().status());
  StoredSeed seed{gw_id,
                  static_cast<uint32_t>(epoch),
                  std::move(fresh.seed),
                  absl::FromUnixSeconds(now),
                  absl::FromUnixSeconds(expires),
                  SeedState::kActive};
  CPNS_RETURN_IF_ERROR(AppendAuditLocked(IssueAuditEvent(seed, rotated, actor, why)));
  return seed;
}

absl::StatusOr<StoredSeed> SqliteSeedStore::Get(const GatewayId& gw_id, uint32_t seed_epoch) {
  CPNS_ASSIGN_OR_RETURN(AuthRecord r, LookupForAuth(gw_id, seed_epoch, ""));
  return std::move(r.seed);
}

absl::StatusOr<std::vector<SeedRecord>> SqliteSeedStore::List() {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return SeedRecordsLocked(std::nullopt);
}

absl::StatusOr<std::vector<SeedRecord>> SqliteSeedStore::SeedRecordsLocked(
    const std::optional<GatewayId>& only) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_, absl::StrCat(
      "SELECT ", kSeedColumns, " FROM first_seeds WHERE ? = '' OR gw_id = ? "
      "ORDER BY gw_id, seed_epoch")));
  const std::string filter = only ? only->value() : "";
  q.Bind(1, filter);
  q.Bind(2, filter);
  std::vector<SeedRecord> out;
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    CPNS_ASSIGN_OR_RETURN(SeedRecord record, sqlite::ReadSeedRecord(q, 0));
    out.push_back(std::move(record));
  }
  return out;
}

absl::StatusOr<int> SqliteSeedStore::RewrapToPrimary() {
  if (keys_ == nullptr) return absl::FailedPreconditionError("re-wrapping needs the KEKs");
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  std::vector<std::pair<GatewayId, uint32_t>> rows;
  {
    CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
        "SELECT gw_id, seed_epoch FROM first_seeds WHERE kek_id != ?"));
    q.Bind(1, keys_->primary().id());
    for (;;) {
      CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      absl::StatusOr<GatewayId> id = GatewayId::Parse(q.Text(0));
      if (!id.ok()) return absl::DataLossError("stored gw_id is invalid");
      rows.emplace_back(*id, static_cast<uint32_t>(q.Int(1)));
    }
  }
  // `row`, not a structured binding: clang before 16 cannot capture those.
  for (const auto& row : rows) {
    CPNS_RETURN_IF_ERROR(
        InWriteTransaction(db_, [&] { return RewrapOneLocked(row.first, row.second); }));
  }
  CPNS_ASSIGN_OR_RETURN(int secrets, RewrapServerSecretsLocked());
  return static_cast<int>(rows.size()) + secrets;
}

absl::Status SqliteSeedStore::RewrapOneLocked(const GatewayId& gw_id, uint32_t epoch) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_, absl::StrCat(
      "SELECT ", kSeedColumns, ", sealed_seed FROM first_seeds WHERE gw_id = ? AND seed_epoch = ?")));
  q.Bind(1, gw_id.value());
  q.Bind(2, static_cast<int64_t>(epoch));
  CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return absl::OkStatus();  // gone meanwhile
  CPNS_ASSIGN_OR_RETURN(SeedRecord record, sqlite::ReadSeedRecord(q, 0));
  CPNS_ASSIGN_OR_RETURN(StoredSeed seed, OpenSealedSeed(keys_, record, q.Blob(6)));
  CPNS_ASSIGN_OR_RETURN(std::string sealed, keys_->primary().SealSeed(seed.first_seed, gw_id, epoch));
  CPNS_ASSIGN_OR_RETURN(Statement update, Statement::Prepare(db_,
      "UPDATE first_seeds SET sealed_seed = ?, kek_id = ? WHERE gw_id = ? AND seed_epoch = ?"));
  update.BindBlob(1, sealed);
  update.Bind(2, keys_->primary().id());
  update.Bind(3, gw_id.value());
  update.Bind(4, static_cast<int64_t>(epoch));
  return update.Step().status();
}

}  // namespace cpns::storage
