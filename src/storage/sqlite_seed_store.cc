#include "storage/sqlite_seed_store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/migrations.h"
#include "storage/sealed_seed.h"
#include "storage/sqlite_statement.h"

namespace cpns::storage {

using sqlite::Exec;
using sqlite::Statement;

namespace {

constexpr char kMigrationsTable[] =
    "CREATE TABLE IF NOT EXISTS cpns_schema_migrations (version INTEGER PRIMARY KEY, "
    "description TEXT NOT NULL, applied_at INTEGER NOT NULL)";

// Runs `body` in a BEGIN IMMEDIATE transaction (the write lock is taken
// first); commits when it succeeds, rolls back otherwise.
template <typename Body>
auto InWriteTransaction(sqlite3* db, Body body) -> decltype(body()) {
  CPNS_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  auto result = body();
  if (!result.ok()) {
    Exec(db, "ROLLBACK").IgnoreError();
    return result;
  }
  if (absl::Status s = Exec(db, "COMMIT"); !s.ok()) {
    // A failed COMMIT can leave the transaction open; never wedge the connection.
    if (!sqlite3_get_autocommit(db)) Exec(db, "ROLLBACK").IgnoreError();
    return s;
  }
  return result;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteSeedStore>> SqliteSeedStore::Open(const std::string& path,
                                                                      const StoreOptions& options,
                                                                      const Clock& clock) {
  sqlite3* db = nullptr;
  // Without keys and without migrating there is nothing to write: open the
  // file read-only (seeds list works on a backup copy and changes nothing).
  const bool read_only = options.keys == nullptr && !options.migrate;
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
  sqlite3_busy_timeout(db, 5000);
  if (!read_only) {
    CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL"));
    CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=FULL"));
  }
  MutexLock lock(&store->mu_);
  CPNS_ASSIGN_OR_RETURN(int version, store->SchemaVersionLocked());
  if (options.migrate && version < kLatestSchemaVersion) CPNS_RETURN_IF_ERROR(store->Migrate());
  CPNS_ASSIGN_OR_RETURN(version, store->SchemaVersionLocked());
  CPNS_RETURN_IF_ERROR(CheckSchemaVersion(version));
  return store;
}

SqliteSeedStore::~SqliteSeedStore() { sqlite3_close(db_); }

absl::StatusOr<int> SqliteSeedStore::SchemaVersion() {
  MutexLock lock(&mu_);
  return SchemaVersionLocked();
}

absl::StatusOr<int> SqliteSeedStore::SchemaVersionLocked() {
  CPNS_ASSIGN_OR_RETURN(Statement exists, Statement::Prepare(db_,
      "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
      "name = 'cpns_schema_migrations'"));
  CPNS_ASSIGN_OR_RETURN(bool has_row, exists.Step());
  if (!has_row || exists.Int(0) == 0) return 0;
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT coalesce(max(version), 0) FROM cpns_schema_migrations"));
  CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? static_cast<int>(q.Int(0)) : 0;
}

absl::Status SqliteSeedStore::Migrate() {
  return InWriteTransaction(db_, [&]() -> absl::Status {
    CPNS_RETURN_IF_ERROR(Exec(db_, kMigrationsTable));
    CPNS_ASSIGN_OR_RETURN(int version, SchemaVersionLocked());
    for (const Migration& m : Migrations()) {
      if (m.version <= version) continue;
      CPNS_RETURN_IF_ERROR(Exec(db_, m.sqlite_sql));
      CPNS_ASSIGN_OR_RETURN(Statement mark, Statement::Prepare(db_,
          "INSERT INTO cpns_schema_migrations (version, description, applied_at) VALUES (?, ?, ?)"));
      mark.Bind(1, static_cast<int64_t>(m.version));
      mark.Bind(2, m.description);
      mark.Bind(3, absl::ToUnixSeconds(clock_.Now()));
      CPNS_RETURN_IF_ERROR(mark.Step().status());
    }
    return absl::OkStatus();
  });
}

absl::StatusOr<StoredSeed> SqliteSeedStore::GetOrCreateActive(const GatewayId& gw_id) {
  MutexLock lock(&mu_);
  // The common case (a known gateway) is a read that takes no write lock.
  CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActiveLocked(gw_id));
  if (active.has_value()) return std::move(*active);
  // BEGIN IMMEDIATE takes the write lock before looking again, so two
  // processes cannot both see "no active seed" and both insert one.
  return InWriteTransaction(db_, [&] { return GetOrCreateLocked(gw_id); });
}

absl::StatusOr<std::optional<StoredSeed>> SqliteSeedStore::FindActiveLocked(
    const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(Statement find, Statement::Prepare(db_,
      "SELECT seed_epoch, sealed_seed, kek_id, created_at FROM first_seeds "
      "WHERE gw_id = ? AND state = 'active'"));
  find.Bind(1, gw_id.value());
  CPNS_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) return std::nullopt;
  return OpenSealedSeed(keys_, gw_id, static_cast<uint32_t>(find.Int(0)), find.Blob(1),
                        find.Text(2), find.Int(3));
}

absl::StatusOr<StoredSeed> SqliteSeedStore::GetOrCreateLocked(const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActiveLocked(gw_id));
  if (active.has_value()) return std::move(*active);
  CPNS_ASSIGN_OR_RETURN(Statement next, Statement::Prepare(db_,
      "SELECT coalesce(max(seed_epoch), 0) + 1 FROM first_seeds WHERE gw_id = ?"));
  next.Bind(1, gw_id.value());
  CPNS_ASSIGN_OR_RETURN(bool has_row, next.Step());
  const int64_t epoch = has_row ? next.Int(0) : 1;
  if (epoch > UINT32_MAX) return absl::ResourceExhaustedError("seed_epoch would exceed 2^32-1");
  CPNS_ASSIGN_OR_RETURN(NewSeed fresh,
                        MakeSealedSeed(keys_, gw_id, static_cast<uint32_t>(epoch)));
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  CPNS_ASSIGN_OR_RETURN(Statement insert, Statement::Prepare(db_,
      "INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, kek_id, created_at) "
      "VALUES (?, ?, ?, ?, ?)"));
  insert.Bind(1, gw_id.value());
  insert.Bind(2, epoch);
  insert.BindBlob(3, fresh.sealed);
  insert.Bind(4, fresh.kek_id);
  insert.Bind(5, now);
  CPNS_RETURN_IF_ERROR(insert.Step().status());
  return StoredSeed{gw_id, static_cast<uint32_t>(epoch), std::move(fresh.seed),
                    absl::FromUnixSeconds(now)};
}

absl::StatusOr<StoredSeed> SqliteSeedStore::Get(const GatewayId& gw_id, uint32_t seed_epoch) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT sealed_seed, kek_id, created_at FROM first_seeds WHERE gw_id = ? AND seed_epoch = ?"));
  q.Bind(1, gw_id.value());
  q.Bind(2, static_cast<int64_t>(seed_epoch));
  CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("no 1st seed for gateway ", gw_id.value(), " epoch ", seed_epoch));
  }
  return OpenSealedSeed(keys_, gw_id, seed_epoch, q.Blob(0), q.Text(1), q.Int(2));
}

absl::StatusOr<std::vector<SeedRecord>> SqliteSeedStore::List() {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT gw_id, seed_epoch, created_at, state, kek_id FROM first_seeds "
      "ORDER BY gw_id, seed_epoch"));
  std::vector<SeedRecord> out;
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    absl::StatusOr<GatewayId> id = GatewayId::Parse(q.Text(0));
    if (!id.ok()) {
      return absl::DataLossError(absl::StrCat("stored gw_id is invalid: ", id.status().message()));
    }
    out.push_back(SeedRecord{*id, static_cast<uint32_t>(q.Int(1)), absl::FromUnixSeconds(q.Int(2)),
                             ParseSeedState(q.Text(3)), std::string(q.Text(4))});
  }
  return out;
}

absl::StatusOr<int> SqliteSeedStore::RewrapToPrimary() {
  if (keys_ == nullptr) return absl::FailedPreconditionError("re-wrapping needs the KEKs");
  MutexLock lock(&mu_);
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
  for (const auto& [gw_id, epoch] : rows) {
    CPNS_RETURN_IF_ERROR(InWriteTransaction(db_, [&] { return RewrapOneLocked(gw_id, epoch); }));
  }
  CPNS_ASSIGN_OR_RETURN(int secrets, RewrapServerSecretsLocked());
  return static_cast<int>(rows.size()) + secrets;
}

absl::StatusOr<int> SqliteSeedStore::RewrapServerSecretsLocked() {
  return InWriteTransaction(db_, [&]() -> absl::StatusOr<int> {
    std::vector<std::pair<std::string, std::string>> resealed;  // name, sealed
    {
      CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
          "SELECT name, sealed_secret, kek_id FROM server_secrets WHERE kek_id != ?"));
      q.Bind(1, keys_->primary().id());
      for (;;) {
        CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
        if (!row) break;
        CPNS_ASSIGN_OR_RETURN(SecretBytes secret,
                              OpenSealedServerSecret(keys_, q.Text(0), q.Blob(1), q.Text(2)));
        CPNS_ASSIGN_OR_RETURN(std::string sealed,
                              keys_->primary().SealServerSecret(secret, q.Text(0)));
        resealed.emplace_back(std::string(q.Text(0)), std::move(sealed));
      }
    }
    for (const auto& [name, sealed] : resealed) {
      CPNS_ASSIGN_OR_RETURN(Statement u, Statement::Prepare(db_,
          "UPDATE server_secrets SET sealed_secret = ?, kek_id = ? WHERE name = ?"));
      u.BindBlob(1, sealed);
      u.Bind(2, keys_->primary().id());
      u.Bind(3, name);
      CPNS_RETURN_IF_ERROR(u.Step().status());
    }
    return static_cast<int>(resealed.size());
  });
}

absl::StatusOr<std::optional<SecretBytes>> SqliteSeedStore::FindServerSecretLocked(
    absl::string_view name) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT sealed_secret, kek_id FROM server_secrets WHERE name = ?"));
  q.Bind(1, name);
  CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return std::nullopt;
  return OpenSealedServerSecret(keys_, name, q.Blob(0), q.Text(1));
}

absl::StatusOr<SecretBytes> SqliteSeedStore::GetOrCreateServerSecret(absl::string_view name) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(std::optional<SecretBytes> found, FindServerSecretLocked(name));
  if (found.has_value()) return std::move(*found);
  return InWriteTransaction(db_, [&]() -> absl::StatusOr<SecretBytes> {
    CPNS_ASSIGN_OR_RETURN(std::optional<SecretBytes> again, FindServerSecretLocked(name));
    if (again.has_value()) return std::move(*again);
    CPNS_ASSIGN_OR_RETURN(NewSeed fresh, MakeSealedServerSecret(keys_, name));
    CPNS_ASSIGN_OR_RETURN(Statement insert, Statement::Prepare(db_,
        "INSERT INTO server_secrets (name, sealed_secret, kek_id, created_at) VALUES (?, ?, ?, ?)"));
    insert.Bind(1, name);
    insert.BindBlob(2, fresh.sealed);
    insert.Bind(3, fresh.kek_id);
    insert.Bind(4, absl::ToUnixSeconds(clock_.Now()));
    CPNS_RETURN_IF_ERROR(insert.Step().status());
    return std::move(fresh.seed);
  });
}

absl::Status SqliteSeedStore::ConsumeChallenge(absl::string_view challenge_id,
                                               absl::Time expires_at) {
  MutexLock lock(&mu_);
  return InWriteTransaction(db_, [&]() -> absl::Status {
    CPNS_ASSIGN_OR_RETURN(Statement purge, Statement::Prepare(db_,
        "DELETE FROM used_challenges WHERE expires_at < ?"));
    purge.Bind(1, absl::ToUnixSeconds(clock_.Now()) - 60);
    CPNS_RETURN_IF_ERROR(purge.Step().status());
    CPNS_ASSIGN_OR_RETURN(Statement insert, Statement::Prepare(db_,
        "INSERT OR IGNORE INTO used_challenges (challenge_id, expires_at) VALUES (?, ?)"));
    insert.BindBlob(1, challenge_id);
    insert.Bind(2, absl::ToUnixSeconds(expires_at));
    CPNS_RETURN_IF_ERROR(insert.Step().status());
    if (sqlite3_changes(db_) == 0) return absl::AlreadyExistsError("challenge already used");
    return absl::OkStatus();
  });
}

absl::Status SqliteSeedStore::RewrapOneLocked(const GatewayId& gw_id, uint32_t epoch) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT sealed_seed, kek_id, created_at FROM first_seeds WHERE gw_id = ? AND seed_epoch = ?"));
  q.Bind(1, gw_id.value());
  q.Bind(2, static_cast<int64_t>(epoch));
  CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return absl::OkStatus();  // gone meanwhile
  CPNS_ASSIGN_OR_RETURN(StoredSeed seed,
                        OpenSealedSeed(keys_, gw_id, epoch, q.Blob(0), q.Text(1), q.Int(2)));
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
