// The SQLite store's private helpers, on top of core/sqlite.h.
#ifndef CPNS_STORAGE_SQLITE_STATEMENT_H_
#define CPNS_STORAGE_SQLITE_STATEMENT_H_

#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "core/sqlite.h"
#include "core/status_macros.h"
#include "storage/sealed_seed.h"
#include "storage/store_deadline.h"
#include "storage/store_rules.h"

namespace cpns::storage::sqlite {

using ::cpns::sqlite::Error;
using ::cpns::sqlite::Exec;
using ::cpns::sqlite::InReadTransaction;
using ::cpns::sqlite::InWriteTransaction;
using ::cpns::sqlite::Statement;

// The longest a statement waits for another connection's lock, whatever the
// caller's deadline.
inline constexpr absl::Duration kMaxBusyWait = absl::Seconds(5);

// A busy handler (sqlite3_busy_handler): while another connection holds the
// lock, sleeps and retries until the calling thread's store deadline
// (storage/store_deadline.h) or kMaxBusyWait from the first retry, whichever
// comes first; then the statement fails with SQLITE_BUSY ("database is
// locked"), which is Unavailable. The connection is used by one thread at a
// time, so the wait's end is kept per thread.
inline int BusyUntilStoreDeadline(void*, int retries) {
  static thread_local absl::Time give_up;
  const absl::Time now = absl::Now();
  if (retries == 0) give_up = std::min(CurrentStoreDeadline(), now + kMaxBusyWait);
  const absl::Duration left = give_up - now;
  if (left <= absl::ZeroDuration()) return 0;
  // Short sleeps first (locks are usually held briefly), then 25 ms.
  const absl::Duration step = absl::Milliseconds(retries < 12 ? 1 + 2 * retries : 25);
  absl::SleepFor(std::min(step, left));
  return 1;
}


// The columns ReadSeedRecord reads, in order.
inline constexpr char kSeedColumns[] = "gw_id, seed_epoch, created_at, state, kek_id, expires_at";

// A SeedRecord from the columns "gw_id, seed_epoch, created_at, state,
// kek_id, expires_at" starting at column `first`, of a Statement or a cached
// Query (sqlite_statement_cache.h).
template <typename Row>
absl::StatusOr<SeedRecord> ReadSeedRecord(Row& q, int first) {
  CPNS_ASSIGN_OR_RETURN(GatewayId gw_id, StoredGatewayId(q.Text(first)));
  CPNS_ASSIGN_OR_RETURN(SeedState state, ParseSeedState(q.Text(first + 3)));
  return SeedRecord{std::move(gw_id),
                    static_cast<uint32_t>(q.Int(first + 1)),
                    absl::FromUnixSeconds(q.Int(first + 2)),
                    state,
                    std::string(q.Text(first + 4)),
                    absl::FromUnixSeconds(q.Int(first + 5))};
}

}  // namespace cpns::storage::sqlite

#endif  // CPNS_STORAGE_SQLITE_STATEMENT_H_
