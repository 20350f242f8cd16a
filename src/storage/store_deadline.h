// How long a SeedStore call may wait for its database.
//
// A request handler knows its caller's deadline; the store calls it makes do
// not take one as an argument. Instead the handler sets a scoped, per-thread
// "operation deadline" for the duration of the call:
//
//   storage::ScopedStoreDeadline bound(storage::StoreDeadlineFor(rpc_deadline, absl::Now()));
//   store.GetOrCreateActive(...);   // gives up by the deadline
//
// Every wait of a store call made on this thread (for a pooled PostgreSQL
// connection, for connecting, for a query's answer, for a SQLite lock) ends
// by the innermost scope's deadline; the call then fails with Unavailable and
// IsStoreDeadlineMiss() says why. Outside any scope (admin commands, start-up)
// each such wait is bounded by kUnscopedStoreWait instead. Store calls are
// synchronous, so the deadline follows the call without being passed along;
// a store must not hand work to another thread and expect it to apply there.
#ifndef CPNS_STORAGE_STORE_DEADLINE_H_
#define CPNS_STORAGE_STORE_DEADLINE_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cpns::storage {

// A caller that gave no deadline gets this much.
inline constexpr absl::Duration kDefaultStoreCallTimeout = absl::Seconds(10);
// Kept from the caller's remaining time, to answer before its deadline: 10 %
// of it, at least this.
inline constexpr absl::Duration kMinStoreDeadlineMargin = absl::Milliseconds(250);
// The bound of each wait of a store call made outside any scope.
inline constexpr absl::Duration kUnscopedStoreWait = absl::Seconds(30);

// The store deadline for a call whose caller must be answered by
// `call_deadline` (absl::InfiniteFuture() if it gave none): that deadline
// less the margin, and no later than now + kDefaultStoreCallTimeout.
absl::Time StoreDeadlineFor(absl::Time call_deadline, absl::Time now);

// Sets this thread's store deadline until destroyed (then the enclosing one
// applies again). A scope inside another can only shorten the deadline.
// Create and destroy on the same thread.
class ScopedStoreDeadline {
 public:
  explicit ScopedStoreDeadline(absl::Time deadline);
  ~ScopedStoreDeadline();
  ScopedStoreDeadline(const ScopedStoreDeadline&) = delete;
  ScopedStoreDeadline& operator=(const ScopedStoreDeadline&) = delete;

 private:
  const absl::Time previous_;
};

// Sets this thread's store deadline to `deadline` until destroyed, even if
// that is later than the enclosing scope's: for a group commit's leader,
// which works for callers whose deadlines may be later than its own (one
// caller with a short deadline must not fail the others of its batch).
class ScopedBatchStoreDeadline {
 public:
  explicit ScopedBatchStoreDeadline(absl::Time deadline);
  ~ScopedBatchStoreDeadline();
  ScopedBatchStoreDeadline(const ScopedBatchStoreDeadline&) = delete;
  ScopedBatchStoreDeadline& operator=(const ScopedBatchStoreDeadline&) = delete;

 private:
  const absl::Time previous_;
};

// The deadline of a wait that starts now on this thread: the innermost
// scope's, or now + kUnscopedStoreWait outside any scope.
absl::Time CurrentStoreDeadline();

// Unavailable: `what` did not answer before the store deadline. Marked so
// that IsStoreDeadlineMiss() recognizes it.
absl::Status StoreDeadlineError(absl::string_view what);
bool IsStoreDeadlineMiss(const absl::Status& status);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_STORE_DEADLINE_H_
