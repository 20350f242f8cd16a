// Thin RAII wrappers over the SQLite C API, with Status errors, for the
// programs that keep state in SQLite (the server's store, the gateway's
// state). Not thread-safe: callers serialize their connection.
#ifndef CPNS_CORE_SQLITE_H_
#define CPNS_CORE_SQLITE_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/status_macros.h"

namespace cpns::sqlite {

// The payload that marks a DataLoss status as "the database file itself is
// corrupt" (not merely a bad value in one row): a program must stop using it.
inline constexpr char kCorruptPayloadUrl[] = "type.cpns/store-corrupt";

// Whether SQLite's (extended) result code says the file is not a sound
// database: SQLITE_CORRUPT and its extended codes, SQLITE_NOTADB.
inline bool IsCorruptionCode(int code) {
  const int primary = code & 0xff;
  return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB;
}

// Corruption is DataLoss (with kCorruptPayloadUrl); BUSY, LOCKED, I/O and
// full-disk errors are Unavailable (retry later); everything else is Internal.
inline absl::Status Error(sqlite3* db, absl::string_view what) {
  const int code = sqlite3_extended_errcode(db);
  std::string msg = absl::StrCat("SQLite ", what, ": ", sqlite3_errmsg(db));
  if (IsCorruptionCode(code)) {
    absl::Status s = absl::DataLossError(absl::StrCat(msg, " (code ", code,
                                                      "): the database is corrupt"));
    s.SetPayload(kCorruptPayloadUrl, absl::Cord("sqlite"));
    return s;
  }
  const int primary = code & 0xff;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_IOERR ||
      primary == SQLITE_FULL || primary == SQLITE_CANTOPEN) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// Whether `s` came from a database that reported itself corrupt.
inline bool IsCorrupt(const absl::Status& s) {
  return absl::IsDataLoss(s) && s.GetPayload(kCorruptPayloadUrl).has_value();
}

inline absl::Status Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    return Error(db, absl::StrCat("exec '", absl::string_view(sql).substr(0, 40), "'"));
  }
  return absl::OkStatus();
}

// Binding and reading, shared by Statement (which owns its statement) and
// the stores' cached statements (which borrow one). A bind that fails (an
// index the statement does not have, a value too big) is remembered and
// returned by the next Step(), naming the parameter, so a statement never
// runs with a parameter left unbound.
class BoundStatement {
 public:
  void Bind(int i, absl::string_view text) {
    Check(i, sqlite3_bind_text(stmt_, i, text.data(), static_cast<int>(text.size()), lifetime_));
  }
  void Bind(int i, int64_t v) { Check(i, sqlite3_bind_int64(stmt_, i, v)); }
  void BindBlob(int i, absl::string_view b) {
    Check(i, sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), lifetime_));
  }
  // True while a row is available; false when done.
  absl::StatusOr<bool> Step() {
    if (!bind_error_.ok()) return bind_error_;
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return Error(db_, "step");
  }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  absl::string_view Text(int col) {
    return {reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col)),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }
  absl::string_view Blob(int col) {
    return {static_cast<const char*>(sqlite3_column_blob(stmt_, col)),
            static_cast<size_t>(sqlite3_column_bytes(stmt_, col))};
  }

 protected:
  // `lifetime`: SQLITE_TRANSIENT (bound bytes are copied) or SQLITE_STATIC
  // (they must outlive the use of the statement).
  BoundStatement(sqlite3* db, sqlite3_stmt* stmt, sqlite3_destructor_type lifetime)
      : db_(db), stmt_(stmt), lifetime_(lifetime) {}
  BoundStatement(BoundStatement&& o) noexcept
      : db_(o.db_),
        stmt_(std::exchange(o.stmt_, nullptr)),
        lifetime_(o.lifetime_),
        bind_error_(std::move(o.bind_error_)) {}
  BoundStatement& operator=(BoundStatement&& o) noexcept {
    std::swap(db_, o.db_);
    std::swap(stmt_, o.stmt_);
    std::swap(lifetime_, o.lifetime_);
    std::swap(bind_error_, o.bind_error_);
    return *this;
  }
  ~BoundStatement() = default;

  sqlite3* db_;
  sqlite3_stmt* stmt_;

 private:
  void Check(int i, int rc) {
    if (rc == SQLITE_OK || !bind_error_.ok()) return;
    bind_error_ = absl::InternalError(
        absl::StrCat("SQLite bind of parameter ", i, ": ", sqlite3_errstr(rc)));
  }
  sqlite3_destructor_type lifetime_;
  absl::Status bind_error_;
};

// A prepared statement, finalized on every path out. Bound bytes are copied.
class Statement : public BoundStatement {
 public:
  static absl::StatusOr<Statement> Prepare(sqlite3* db, absl::string_view sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
        SQLITE_OK) {
      return Error(db, "prepare");
    }
    return Statement(db, stmt);
  }
  Statement(Statement&& o) noexcept = default;
  Statement& operator=(Statement&& o) noexcept = default;
  ~Statement() { sqlite3_finalize(stmt_); }

 private:
  Statement(sqlite3* db, sqlite3_stmt* s) : BoundStatement(db, s, SQLITE_TRANSIENT) {}
};

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

// Runs `body` in a deferred transaction, so that all its reads see one
// snapshot even while other processes write. It only reads: it always ends
// with ROLLBACK, which cannot leave the transaction open.
template <typename Body>
auto InReadTransaction(sqlite3* db, Body body) -> decltype(body()) {
  CPNS_RETURN_IF_ERROR(Exec(db, "BEGIN DEFERRED"));
  auto result = body();
  Exec(db, "ROLLBACK").IgnoreError();
  return result;
}

}  // namespace cpns::sqlite

#endif  // CPNS_CORE_SQLITE_H_
