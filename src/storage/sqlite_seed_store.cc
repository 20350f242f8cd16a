#include "storage/sqlite_seed_store.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "cpns/core/kdf.h"
#include "cpns/core/random.h"

namespace cpns::storage {
namespace {

constexpr int kSchemaVersion = 1;

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS cpns_schema (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS first_seeds (
  gw_id       TEXT    NOT NULL,
  seed_epoch  INTEGER NOT NULL CHECK (seed_epoch >= 1),
  first_seed  BLOB    NOT NULL CHECK (length(first_seed) = 32),
  created_at  INTEGER NOT NULL,
  state       TEXT    NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'retired', 'revoked')),
  PRIMARY KEY (gw_id, seed_epoch)
);
CREATE UNIQUE INDEX IF NOT EXISTS first_seeds_one_active ON first_seeds (gw_id) WHERE state = 'active';
)sql";

absl::Status SqliteError(sqlite3* db, absl::string_view what) {
  const int code = sqlite3_errcode(db);
  std::string msg = absl::StrCat("SQLite ", what, ": ", sqlite3_errmsg(db));
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR ||
      code == SQLITE_FULL || code == SQLITE_CANTOPEN) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// A prepared statement, finalized on every path out.
class Statement {
 public:
  static absl::StatusOr<Statement> Prepare(sqlite3* db, absl::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      return SqliteError(db, "prepare");
    }
    return Statement(db, stmt);
  }
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(stmt_, o.stmt_);
    return *this;
  }
  ~Statement() { sqlite3_finalize(stmt_); }

  void Bind(int i, absl::string_view text) {
    sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  }
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void BindBlob(int i, absl::string_view b) {
    sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
  }
  // True while a row is available; false when done.
  absl::StatusOr<bool> Step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return SqliteError(db_, "step");
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  absl::string_view Text(int col) {
    return {reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col)),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }
  SecretBytes Blob(int col) {
    const void* p = sqlite3_column_blob(stmt_, col);
    return SecretBytes(static_cast<const uint8_t*>(p),
                       static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }

 private:
  Statement(sqlite3* db, sqlite3_stmt* s) : db_(db), stmt_(s) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

absl::Status Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return SqliteError(db, absl::StrCat("exec '", absl::string_view(sql).substr(0, 40), "'"));
  }
  return absl::OkStatus();
}

absl::Status InitSchema(sqlite3* db) {
  CPNS_RETURN_IF_ERROR(Exec(db, "BEGIN IMMEDIATE"));
  absl::Status s = Exec(db, kSchema);
  absl::StatusOr<Statement> version;
  if (s.ok()) version = Statement::Prepare(db, "SELECT max(version) FROM cpns_schema");
  if (s.ok() && !version.ok()) s = version.status();
  if (s.ok()) {
    absl::StatusOr<bool> row = version->Step();
    const int64_t v = (row.ok() && *row) ? version->Int(0) : 0;
    if (v > kSchemaVersion) {
      s = absl::FailedPreconditionError(absl::StrCat(
          "database schema version ", v, " is newer than this cpns-server knows (", kSchemaVersion,
          "); upgrade cpns-server"));
    } else if (v == 0) {
      s = Exec(db, "INSERT INTO cpns_schema (version) VALUES (1)");
    }
  }
  if (!s.ok()) {
    Exec(db, "ROLLBACK").IgnoreError();
    return s;
  }
  return Exec(db, "COMMIT");
}

SeedState ParseState(absl::string_view s) {
  if (s == "retired") return SeedState::kRetired;
  if (s == "revoked") return SeedState::kRevoked;
  return SeedState::kActive;
}

}  // namespace

absl::string_view SeedStateName(SeedState state) {
  switch (state) {
    case SeedState::kActive: return "active";
    case SeedState::kRetired: return "retired";
    case SeedState::kRevoked: return "revoked";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<SqliteSeedStore>> SqliteSeedStore::Open(const Options& options,
                                                                      const Clock& clock) {
  sqlite3* db = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX |
                    (options.create_if_missing ? SQLITE_OPEN_CREATE : 0);
  const int rc = sqlite3_open_v2(options.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = absl::StrCat("cannot open SQLite database ", options.path, ": ",
                                   db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    if (rc == SQLITE_CANTOPEN && !options.create_if_missing) return absl::NotFoundError(msg);
    return absl::UnavailableError(msg);
  }
  std::unique_ptr<SqliteSeedStore> store(new SqliteSeedStore(db, clock));
  sqlite3_busy_timeout(db, options.busy_timeout_ms);
  CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL"));
  CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=FULL"));
  CPNS_RETURN_IF_ERROR(InitSchema(db));
  return store;
}

SqliteSeedStore::~SqliteSeedStore() { sqlite3_close(db_); }

absl::StatusOr<StoredSeed> SqliteSeedStore::GetOrCreateActive(const GatewayId& gw_id) {
  MutexLock lock(&mu_);
  // The common case (a known gateway) is a read that takes no write lock.
  CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActiveLocked(gw_id));
  if (active.has_value()) return std::move(*active);
  // BEGIN IMMEDIATE takes the write lock before looking again, so two
  // processes cannot both see "no active seed" and both insert one.
  CPNS_RETURN_IF_ERROR(Exec(db_, "BEGIN IMMEDIATE"));
  absl::StatusOr<StoredSeed> seed = GetOrCreateLocked(gw_id);
  if (!seed.ok()) {
    Exec(db_, "ROLLBACK").IgnoreError();
    return seed;
  }
  CPNS_RETURN_IF_ERROR(Exec(db_, "COMMIT"));
  return seed;
}

absl::StatusOr<std::optional<StoredSeed>> SqliteSeedStore::FindActiveLocked(
    const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(Statement find,
                        Statement::Prepare(db_,
                                           "SELECT seed_epoch, first_seed, created_at FROM "
                                           "first_seeds WHERE gw_id = ? AND state = 'active'"));
  find.Bind(1, gw_id.value());
  CPNS_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) return std::nullopt;
  return StoredSeed{gw_id, static_cast<uint32_t>(find.Int(0)), find.Blob(1),
                    absl::FromUnixSeconds(find.Int(2))};
}

absl::StatusOr<StoredSeed> SqliteSeedStore::GetOrCreateLocked(const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActiveLocked(gw_id));
  if (active.has_value()) return std::move(*active);
  CPNS_ASSIGN_OR_RETURN(
      Statement next,
      Statement::Prepare(db_, "SELECT coalesce(max(seed_epoch), 0) + 1 FROM first_seeds WHERE gw_id = ?"));
  next.Bind(1, gw_id.value());
  CPNS_ASSIGN_OR_RETURN(bool has_row, next.Step());
  const int64_t epoch = has_row ? next.Int(0) : 1;
  if (epoch > UINT32_MAX) return absl::ResourceExhaustedError("seed_epoch would exceed 2^32-1");
  CPNS_ASSIGN_OR_RETURN(SecretBytes seed, SecureRandomBytes(kFirstSeedSize));
  const absl::Time now = clock_.Now();
  CPNS_ASSIGN_OR_RETURN(Statement insert,
                        Statement::Prepare(db_,
                                           "INSERT INTO first_seeds (gw_id, seed_epoch, "
                                           "first_seed, created_at) VALUES (?, ?, ?, ?)"));
  insert.Bind(1, gw_id.value());
  insert.Bind(2, epoch);
  insert.BindBlob(3, seed.RevealSecret());
  insert.Bind(4, absl::ToUnixSeconds(now));
  CPNS_RETURN_IF_ERROR(insert.Step().status());
  return StoredSeed{gw_id, static_cast<uint32_t>(epoch), std::move(seed),
                    absl::FromUnixSeconds(absl::ToUnixSeconds(now))};
}

absl::StatusOr<StoredSeed> SqliteSeedStore::Get(const GatewayId& gw_id, uint32_t seed_epoch) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
                                                        "SELECT first_seed, created_at FROM "
                                                        "first_seeds WHERE gw_id = ? AND seed_epoch = ?"));
  q.Bind(1, gw_id.value());
  q.Bind(2, static_cast<int64_t>(seed_epoch));
  CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("no 1st seed for gateway ", gw_id.value(), " epoch ", seed_epoch));
  }
  return StoredSeed{gw_id, seed_epoch, q.Blob(0), absl::FromUnixSeconds(q.Int(1))};
}

absl::StatusOr<std::vector<SeedRecord>> SqliteSeedStore::List() {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
                                                        "SELECT gw_id, seed_epoch, created_at, "
                                                        "state FROM first_seeds ORDER BY gw_id, "
                                                        "seed_epoch"));
  std::vector<SeedRecord> out;
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    absl::StatusOr<GatewayId> id = GatewayId::Parse(q.Text(0));
    if (!id.ok()) {
      return absl::DataLossError(absl::StrCat("stored gw_id is invalid: ", id.status().message()));
    }
    out.push_back(SeedRecord{*id, static_cast<uint32_t>(q.Int(1)), absl::FromUnixSeconds(q.Int(2)),
                             ParseState(q.Text(3))});
  }
  return out;
}

}  // namespace cpns::storage
