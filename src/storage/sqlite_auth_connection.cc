#include "storage/sqlite_auth_connection.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/sqlite_statement.h"

namespace cpns::storage::sqlite {

std::string HostBootId() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  if (!std::getline(in, id)) return "";
  // 36 characters: hex digits and dashes; anything else is not trusted.
  if (id.size() != 36 || !std::all_of(id.begin(), id.end(), [](char c) {
        return absl::ascii_isxdigit(static_cast<unsigned char>(c)) || c == '-';
      })) {
    return "";
  }
  return id;
}

AuthConnection::~AuthConnection() {
  MutexLock lock(&mu_);
  statements_.reset();  // finalized before the connection closes
  sqlite3_close(db_);
}

absl::Status AuthConnection::OpenLocked() {
  if (db_ != nullptr) return absl::OkStatus();
  if (path_.empty()) {
    return absl::FailedPreconditionError("the SQLite store has no file to open again");
  }
  const int flags =
      SQLITE_OPEN_FULLMUTEX | (reads() ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path_.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string why = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(absl::StrCat("cannot open SQLite database ", path_, ": ", why));
  }
  sqlite3_busy_handler(db, BusyUntilStoreDeadline, nullptr);
  // The file is in WAL mode already (the main connection set it, and it
  // persists).
  // No mapping of the file here (the main connection has one): every used
  // challenge's commit changes the WAL, and SQLite then discards a
  // connection's mapping with its cache, so the mapping was made again
  // nearly every call, while the pages a look-up reads were in the WAL.
  if (mode_ == Mode::kReadMapped) {
    if (absl::Status s = Exec(db, "PRAGMA mmap_size=1073741824"); !s.ok()) {
      sqlite3_close(db);
      return s;
    }
  }
  if (!reads()) {
    absl::Status s = Exec(db, mode_ == Mode::kWrite ? "PRAGMA synchronous=FULL"
                                                    : "PRAGMA synchronous=NORMAL");
    // A checkpoint (and its two syncs) every 10,000 WAL pages instead of
    // 1,000: each commit here writes the same few hot pages again, so a
    // checkpoint copies few distinct pages whatever the WAL's length, and
    // its syncs, not the copying, are what a call waiting on it pays.
    if (s.ok()) s = Exec(db, "PRAGMA wal_autocheckpoint=10000");
    if (!s.ok()) {
      sqlite3_close(db);
      return s;
    }
  }
  db_ = db;
  statements_.emplace(db);
  return absl::OkStatus();
}

}  // namespace cpns::storage::sqlite
