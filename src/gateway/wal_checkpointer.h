// WalCheckpointer: copies the gateway state's write-ahead log back into the
// database file from a thread of its own, over a connection of its own, so
// that no assignment waits for a checkpoint.
//
// SQLite checkpoints by itself in the commit that takes the log past 1000
// pages: that call then copies the pages and syncs the log and the file,
// milliseconds on a slow disk, while every other assignment waits for the
// connection. Watch() turns that off on the daemon's connection and wakes
// this thread instead; its PASSIVE checkpoint runs beside the writers (WAL
// lets it) and never blocks them. Durability is unchanged: a record is
// durable once its transaction is in the log, checkpointed or not.
//
// Thread-safe. The thread starts at the first checkpoint asked for.
#ifndef CPNS_GATEWAY_WAL_CHECKPOINTER_H_
#define CPNS_GATEWAY_WAL_CHECKPOINTER_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "core/mutex.h"

struct sqlite3;

namespace cpns::gateway {

class WalCheckpointer {
 public:
  // Log pages after which a checkpoint is asked for (SQLite's own default).
  static constexpr int kPages = 1000;

  // Opens its own connection to the database at `path` (checked already by
  // the caller).
  static absl::StatusOr<std::unique_ptr<WalCheckpointer>> Open(const std::string& path);
  ~WalCheckpointer();  // stops the thread; must outlive every Watch()ed commit

  // From now on `db`'s commits do not checkpoint; one that leaves kPages or
  // more in the log wakes this thread.
  void Watch(sqlite3* db);

 private:
  explicit WalCheckpointer(sqlite3* own) : own_(own) {}
  static int OnCommit(void* self, sqlite3* db, const char* name, int pages);
  void Wake();
  void Run();

  sqlite3* const own_;  // used by the thread only
  Mutex mu_;
  bool wanted_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_WAL_CHECKPOINTER_H_
