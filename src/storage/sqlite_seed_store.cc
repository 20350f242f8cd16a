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
  // Reads go through a shared read-only mapping of the file (up to 1 GiB,
  // about 6 M gateways; the rest by read()): a look-up then costs the same at
  // a million gateways as at a thousand, where copying each B-tree page out of
  // the OS's cache with pread() (again on every call, see DropPageCache) grew
  // with the tree's depth. The mapped pages are the OS's page cache of the
  // file, which reads fill anyway: they count in the resident size as shared
  // file pages, not as the server's own memory. A damaged page is still seen
  // at once: the mapping shows the file as it is.
  CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA mmap_size=1073741824"));
  MutexLock lock(&store->mu_);
  if (options.migrate) CPNS_RETURN_IF_ERROR(store->Migrate());  // refuses a newer one, naming it
  CPNS_ASSIGN_OR_RETURN(const int version, store->SchemaVersionLocked());
  CPNS_RETURN_IF_ERROR(CheckSchemaVersion(version));
  return store;
}

SqliteSeedStore::~SqliteSeedStore() {
  // The other connections close first, so that the main one is the last and
  // checkpoints the WAL into the file as it closes.
  seed_reads_.reset();
  auth_reads_.reset();
  challenge_writes_.reset();
  MutexLock lock(&mu_);
  statements_.Clear();  // a connection with live statements would not close
  sqlite3_close(db_);
}

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
