#include "gateway/state_db.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/migrations.h"
#include "core/sqlite.h"
#include "core/sqlite_schema.h"
#include "core/status_macros.h"

namespace cpns::gateway {

using sqlite::Exec;
using sqlite::InWriteTransaction;
using sqlite::Statement;

namespace {

// The schema, as numbered migrations; the version is the file's
// user_version. Version 1 is the schema of the releases that kept no version:
// its IF NOT EXISTS keeps such a database (user_version 0, the tables already
// there, with their rows) and only records it as version 1.
constexpr char kV1[] = R"sql(
CREATE TABLE IF NOT EXISTS pairing_codes (
  code_hash   BLOB    PRIMARY KEY,
  entity_type TEXT    NOT NULL,
  entity_id   TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
);
CREATE TABLE IF NOT EXISTS assignments (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  entity_type TEXT    NOT NULL,
  entity_id   TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  seed_epoch  INTEGER NOT NULL,
  fingerprint BLOB    NOT NULL,
  not_after   INTEGER NOT NULL,
  admitted_by TEXT    NOT NULL,
  peer        TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS status (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  json       TEXT    NOT NULL,
  written_at INTEGER NOT NULL
);
)sql";

// Version 2: assignments without AUTOINCREMENT. With it, every record also
// rewrote its row in sqlite_sequence: a second page in each commit, about
// half of a record's time. The ids stay as they were and keep growing (the
// next is the largest plus one): cpns-gw never deletes an assignment, so no
// id handed out is given again.
constexpr char kV2[] = R"sql(
CREATE TABLE assignments_v2 (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  entity_type TEXT    NOT NULL,
  entity_id   TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  seed_epoch  INTEGER NOT NULL,
  fingerprint BLOB    NOT NULL,
  not_after   INTEGER NOT NULL,
  admitted_by TEXT    NOT NULL,
  peer        TEXT    NOT NULL
);
INSERT INTO assignments_v2 SELECT id, at, entity_type, entity_id, user_id, seed_epoch,
  fingerprint, not_after, admitted_by, peer FROM assignments ORDER BY id;
DROP TABLE assignments;
ALTER TABLE assignments_v2 RENAME TO assignments;
)sql";

// Version 3: pairing by PAKE (PROTOCOL.md section 11). A code is kept as its
// SPAKE2+ verifier (w0 and L, from PBKDF2 under the code's own salt), never
// as the code or a fast hash of it, with the count of failed confirmations
// that spends it. Codes pending in version 2 were kept as hashes, from which
// no verifier can be made: they are dropped, and their owners make new ones.
// Ids are never given again (AUTOINCREMENT): an exchange that started on a
// code the owner has since replaced must not use up the new one. The decoy
// key derives each identity's salt and the plausible parameters that the exchange shows for
// an entity and user with no pending code (pairing_decoy.h); the failed
// attempts of such exchanges are counted with it.
constexpr char kV3[] = R"sql(
DROP TABLE pairing_codes;
CREATE TABLE pairing_codes (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_type TEXT    NOT NULL,
  entity_id   TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  salt        BLOB    NOT NULL,
  iterations  INTEGER NOT NULL,
  w0          BLOB    NOT NULL,
  l           BLOB    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  failures    INTEGER NOT NULL DEFAULT 0,
  spent_at    INTEGER,
  used_at     INTEGER
);
CREATE INDEX pairing_codes_holder ON pairing_codes (entity_type, entity_id, user_id);
CREATE TABLE pairing_decoy_key (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  key      BLOB    NOT NULL,
  failures INTEGER NOT NULL DEFAULT 0
);
)sql";

constexpr SchemaStep kSchema[] = {
    {1, "pairing codes, assignments and the daemon's status", kV1},
    {2, "assignments without AUTOINCREMENT: one page per record", kV2},
    {3, "pairing codes kept as SPAKE2+ verifiers, with their failed attempts", kV3},
};


// The database is created here, mode 0600, rather than by SQLite (which
// would use 0644 less the umask); SQLite gives its -wal and -shm files the
// database's mode. A link or a file open to others, planted or loosened, is
// refused, journals included.
absl::Status CheckDatabaseFiles(const std::string& path) {
  CPNS_RETURN_IF_ERROR(WithContext("gateway state", EnsureOwnerOnlyFile(path)));
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const absl::Status s = CheckOwnerOnlyFile(absl::StrCat(path, suffix));
    if (!absl::IsNotFound(s)) CPNS_RETURN_IF_ERROR(WithContext("gateway state", s));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Assignee> GatewayStateDb::ReadAssignee(Statement& q, int first) {
  CPNS_ASSIGN_OR_RETURN(EntityType type, ParseEntityType(q.Text(first)));
  CPNS_ASSIGN_OR_RETURN(EntityId entity, EntityId::Parse(q.Text(first + 1)));
  CPNS_ASSIGN_OR_RETURN(UserId user, UserId::Parse(q.Text(first + 2)));
  return Assignee{type, std::move(entity), std::move(user)};
}

absl::StatusOr<std::unique_ptr<GatewayStateDb>> GatewayStateDb::Open(const std::string& state_dir,
                                                                    const Clock& clock) {
  const std::string path = absl::StrCat(state_dir, "/gateway.db");
  CPNS_RETURN_IF_ERROR(CheckDatabaseFiles(path));
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db,
      SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = absl::StrCat("cannot open the gateway state ", path, ": ",
                                   db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return absl::UnavailableError(msg);
  }
  std::unique_ptr<GatewayStateDb> store(new GatewayStateDb(db, clock));
  sqlite3_busy_timeout(db, 5000);
  MutexLock lock(&store->mu_);
  CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA journal_mode=WAL"));
  CPNS_RETURN_IF_ERROR(Exec(db, "PRAGMA synchronous=NORMAL"));
  CPNS_RETURN_IF_ERROR(store->Migrate());
  CPNS_ASSIGN_OR_RETURN(store->checkpointer_, WalCheckpointer::Open(path));
  store->checkpointer_->Watch(db);
  return store;
}

GatewayStateDb::GatewayStateDb(sqlite3* db, const Clock& clock)
    : db_(db), clock_(clock) {}

GatewayStateDb::~GatewayStateDb() {
  sqlite3_finalize(insert_assignment_);
  sqlite3_close(db_);
}

absl::Status GatewayStateDb::Migrate() {
  sqlite::SqliteSchemaBackend backend(db_, sqlite::Versioning::kUserVersion, clock_);
  return MigrateSchema(backend, {kSchema, "cpns-gw"}).status();
}

absl::Status GatewayStateDb::RecordAssignment(const AssignmentRecord& r) {
  // No deadline of its own: a batch's commit is bounded by the busy timeout.
  return records_
      .Submit(r, absl::InfiniteFuture(),
              [this](const auto& take) { return CommitRecords(take()); })
      .status();
}

absl::StatusOr<GroupCommit<AssignmentRecord, bool>::Results> GatewayStateDb::CommitRecords(
    const std::vector<const AssignmentRecord*>& records) {
  GroupCommit<AssignmentRecord, bool>::Results results;
  const absl::Status together = InsertAssignments(records);
  if (together.ok() || records.size() == 1) {
    results.assign(records.size(), together.ok() ? absl::StatusOr<bool>(true) : together);
    return results;
  }
  for (const AssignmentRecord* r : records) {
    const absl::Status alone = InsertAssignments({r});
    results.push_back(alone.ok() ? absl::StatusOr<bool>(true) : alone);
  }
  return results;
}

absl::Status GatewayStateDb::InsertAssignments(
    const std::vector<const AssignmentRecord*>& records) {
  MutexLock lock(&mu_);
  if (records.size() == 1) return InsertAssignment(*records[0]);  // its own transaction
  return InWriteTransaction(db_, [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) -> absl::Status {
    for (const AssignmentRecord* r : records) CPNS_RETURN_IF_ERROR(InsertAssignment(*r));
    return absl::OkStatus();
  });
}

absl::Status GatewayStateDb::InsertAssignment(const AssignmentRecord& r) {
  if (insert_assignment_ == nullptr) {
    constexpr char kInsert[] =
        "INSERT INTO assignments (at, entity_type, entity_id, user_id, seed_epoch, fingerprint, "
        "not_after, admitted_by, peer) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    if (sqlite3_prepare_v3(db_, kInsert, sizeof(kInsert), SQLITE_PREPARE_PERSISTENT,
                           &insert_assignment_, nullptr) != SQLITE_OK) {
      return sqlite::Error(db_, "prepare");
    }
  }
  sqlite3_stmt* add = insert_assignment_;
  // Text and blobs are bound SQLITE_STATIC: `r` outlives the step, and the
  // bindings are cleared before this returns.
  const auto text = [&](int i, absl::string_view v) {
    return sqlite3_bind_text(add, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  };
  int rc = sqlite3_bind_int64(add, 1, absl::ToUnixSeconds(r.at));
  if (rc == SQLITE_OK) rc = text(2, EntityTypeName(r.assignee.entity_type));
  if (rc == SQLITE_OK) rc = text(3, r.assignee.entity_id.value());
  if (rc == SQLITE_OK) rc = text(4, r.assignee.user_id.value());
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(add, 5, r.seed_epoch);
  if (rc == SQLITE_OK) {
    rc = sqlite3_bind_blob(add, 6, r.second_seed_fingerprint.data(),
                           static_cast<int>(r.second_seed_fingerprint.size()), SQLITE_STATIC);
  }
  if (rc == SQLITE_OK) rc = sqlite3_bind_int64(add, 7, r.not_after);
  if (rc == SQLITE_OK) rc = text(8, r.admitted_by);
  if (rc == SQLITE_OK) rc = text(9, r.peer);
  absl::Status status;
  if (rc != SQLITE_OK) {
    status = absl::InternalError(
        absl::StrCat("SQLite bind of an assignment: ", sqlite3_errstr(rc)));
  } else if (sqlite3_step(add) != SQLITE_DONE) {
    status = sqlite::Error(db_, "step");
  }
  sqlite3_reset(add);
  sqlite3_clear_bindings(add);
  return status;
}

absl::StatusOr<std::vector<AssignmentRecord>> GatewayStateDb::ListAssignments(int64_t after_id,
                                                                              int limit) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT id, at, entity_type, entity_id, user_id, seed_epoch, fingerprint, not_after, "
      "admitted_by, peer FROM assignments WHERE id > ? ORDER BY id LIMIT ?"));
  q.Bind(1, after_id);
  q.Bind(2, static_cast<int64_t>(limit));
  std::vector<AssignmentRecord> out;
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    CPNS_ASSIGN_OR_RETURN(Assignee assignee, ReadAssignee(q, 2));
    out.push_back(AssignmentRecord{q.Int(0), absl::FromUnixSeconds(q.Int(1)), std::move(assignee),
                                   static_cast<uint32_t>(q.Int(5)), std::string(q.Blob(6)),
                                   q.Int(7), std::string(q.Text(8)), std::string(q.Text(9))});
  }
  return out;
}

absl::StatusOr<int64_t> GatewayStateDb::CountAssignments() {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_, "SELECT count(*) FROM assignments"));
  CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.Int(0) : 0;
}

absl::Status GatewayStateDb::WriteStatus(absl::string_view json) {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement put, Statement::Prepare(db_,
      "INSERT INTO status (id, json, written_at) VALUES (1, ?, ?) "
      "ON CONFLICT (id) DO UPDATE SET json = excluded.json, written_at = excluded.written_at"));
  put.Bind(1, json);
  put.Bind(2, absl::ToUnixSeconds(clock_.Now()));
  return put.Step().status();
}

absl::StatusOr<std::string> GatewayStateDb::ReadStatus() {
  MutexLock lock(&mu_);
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_, "SELECT json FROM status WHERE id = 1"));
  CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return absl::NotFoundError("the gateway daemon has not written its status yet");
  return std::string(q.Text(0));
}

}  // namespace cpns::gateway
