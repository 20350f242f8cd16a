// AuthConnection: one more connection to a SQLite store's file, for what
// runs on every call and must not wait for the store's main connection (a
// batch of new seeds holds it through its sync): authentication's look-ups
// and used challenges, and the seed service's look-ups of known gateways
// (kReadMapped). In WAL mode a read goes on while another connection
// commits.
//
// Opened at first use; its statements are prepared once and reused. One call
// at a time holds it, taken by the calling thread's store deadline. A read
// connection drops its page cache before each call, as the main connection
// does, so a file damaged under the server is read as it is (SQLite would
// drop it anyway after nearly every call: a used challenge's commit changes
// the file). A write connection keeps its cache:
// it touches only the used challenges, and SQLite discards the cache itself
// when another connection has changed the file. Thread-safe.
#ifndef CPNS_STORAGE_SQLITE_AUTH_CONNECTION_H_
#define CPNS_STORAGE_SQLITE_AUTH_CONNECTION_H_

#include <sqlite3.h>

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "core/mutex.h"
#include "storage/sqlite_statement_cache.h"
#include "storage/store_deadline.h"

namespace cpns::storage::sqlite {

// The file of a connection's main database ("" for one in memory).
inline std::string DatabaseFile(sqlite3* db) {
  const char* file = sqlite3_db_filename(db, "main");
  return file == nullptr ? "" : file;
}

// This boot of the host (/proc/sys/kernel/random/boot_id), "" if unknown.
std::string HostBootId();

class AuthConnection {
 public:
  // kWrite: a commit is on disk before it returns (synchronous=FULL).
  // kWriteUnsynced: a commit is in the file, and seen by every connection,
  // before it returns, and survives a crash of the program, but not one of
  // the operating system: the WAL is synced later (synchronous=NORMAL).
  // kReadMapped: a read connection that reads through a mapping of the file
  // (the look-ups of known gateways by the seed service, which no used
  // challenge's commit disturbs).
  enum class Mode { kRead, kReadMapped, kWrite, kWriteUnsynced };
  // `path`: the store's file (sqlite3_db_filename of its main connection).
  AuthConnection(std::string path, Mode mode) : path_(std::move(path)), mode_(mode) {}
  ~AuthConnection();
  AuthConnection(const AuthConnection&) = delete;
  AuthConnection& operator=(const AuthConnection&) = delete;

  // Runs body(db, statements) with the connection held; Unavailable if it
  // cannot be taken by the store deadline or opened.
  template <typename Body>
  auto Run(Body body) -> decltype(body(std::declval<sqlite3*>(), std::declval<StatementCache&>())) {
    if (!mu_.LockUntil(CurrentStoreDeadline())) {
      return StoreDeadlineError("SQLite (other authentications hold the database)");
    }
    absl::Status opened = OpenLocked();
    if (!opened.ok()) {
      mu_.Unlock();
      return opened;
    }
    if (reads()) sqlite3_db_release_memory(db_);
    auto result = body(db_, *statements_);
    mu_.Unlock();
    return result;
  }

 private:
  bool reads() const { return mode_ == Mode::kRead || mode_ == Mode::kReadMapped; }
  absl::Status OpenLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string path_;
  const Mode mode_;
  Mutex mu_;
  sqlite3* db_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::optional<StatementCache> statements_ ABSL_GUARDED_BY(mu_);  // set with db_
};

}  // namespace cpns::storage::sqlite

#endif  // CPNS_STORAGE_SQLITE_AUTH_CONNECTION_H_
