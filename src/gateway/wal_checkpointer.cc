#include "gateway/wal_checkpointer.h"

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace cpns::gateway {

absl::StatusOr<std::unique_ptr<WalCheckpointer>> WalCheckpointer::Open(const std::string& path) {
  sqlite3* own = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &own,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW,
                                 nullptr);
  // PRAGMA journal_mode may meet another connection recovering the log: wait
  // for it as the state's own connection does, rather than fail the start.
  if (rc == SQLITE_OK) sqlite3_busy_timeout(own, 5000);
  // A connection learns that the file is in WAL mode when it first reads
  // it; until then it would take a checkpoint for a no-op.
  if (rc == SQLITE_OK &&
      sqlite3_exec(own, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) == SQLITE_OK) {
    return std::unique_ptr<WalCheckpointer>(new WalCheckpointer(own));
  }
  std::string msg = absl::StrCat("cannot open the gateway state ", path, " to checkpoint it: ",
                                 own ? sqlite3_errmsg(own) : sqlite3_errstr(rc));
  sqlite3_close(own);
  return absl::UnavailableError(msg);
}

WalCheckpointer::~WalCheckpointer() {
  std::thread thread;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    mu_.SignalAll();
    thread = std::move(thread_);
  }
  if (thread.joinable()) thread.join();
  sqlite3_close(own_);
}

void WalCheckpointer::Watch(sqlite3* db) {
  sqlite3_wal_autocheckpoint(db, 0);  // no checkpoint inside a commit
  sqlite3_wal_hook(db, &WalCheckpointer::OnCommit, this);
}

int WalCheckpointer::OnCommit(void* self, sqlite3*, const char*, int pages) {
  if (pages >= kPages) static_cast<WalCheckpointer*>(self)->Wake();
  return SQLITE_OK;
}

void WalCheckpointer::Wake() {
  MutexLock lock(&mu_);
  if (stopping_) return;
  wanted_ = true;
  if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });
  mu_.SignalAll();
}

void WalCheckpointer::Run() {
  MutexLock lock(&mu_);
  for (;;) {
    mu_.AwaitWithDeadline([this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return wanted_ || stopping_;
    }, absl::InfiniteFuture());
    if (stopping_) return;
    wanted_ = false;
    mu_.Unlock();
    // PASSIVE: copies what no reader still needs, waits for nobody. What
    // it leaves is copied by the next one.
    sqlite3_wal_checkpoint_v2(own_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    mu_.Lock();
  }
}

}  // namespace cpns::gateway
