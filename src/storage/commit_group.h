// CommitGroup: group commit for a store's writes, leader/follower style,
// without a thread of its own.
//
// A caller submits its item and waits. If no other caller is running a batch,
// it becomes the leader: it gets ready (e.g. takes the database), then takes
// every item pending at that moment (its own and its followers'), runs them
// all in one transaction with one sync, and hands each follower its own
// result. So N concurrent writes cost one commit instead of N, and each
// caller still returns only after the commit that contains its item.
//
// Thread-safe. Items and results live on the callers' stacks; the leader
// writes a result under the group's mutex, so a follower never returns while
// a leader may still touch its item.
#ifndef CPNS_STORAGE_COMMIT_GROUP_H_
#define CPNS_STORAGE_COMMIT_GROUP_H_

#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "storage/store_deadline.h"

namespace cpns::storage {

template <typename Item, typename Out>
class CommitGroup {
 public:
  using Results = std::vector<absl::StatusOr<Out>>;

  // Runs `item` in a batch and returns its result. `run` is called by the
  // leader as run(take): it gets ready, calls take() once, which returns the
  // batch's items (const Item*), and returns one result per item, in order
  // (an error for all of them if the batch's transaction failed). If `run`
  // returns an error without calling take(), only the leader's own item fails
  // with it and another waiter leads. A caller whose `deadline` passes while
  // its item is still pending gets StoreDeadlineError; once a leader took
  // the item, it waits for that leader (bounded by the leader's deadline).
  template <typename Run>
  absl::StatusOr<Out> Submit(const Item& item, absl::Time deadline, Run run) {
    Entry me{&item, std::nullopt};
    mu_.Lock();
    pending_.push_back(&me);
    if (!AwaitTurn(me, deadline)) {
      mu_.Unlock();
      return StoreDeadlineError("the store (waiting for a group commit)");
    }
    if (me.result.has_value()) {
      absl::StatusOr<Out> out = std::move(*me.result);
      mu_.Unlock();
      return out;
    }
    leading_ = true;
    mu_.Unlock();
    return Lead(me, run);
  }

 private:
  struct Entry {
    const Item* item;
    std::optional<absl::StatusOr<Out>> result;
  };

  // Waits until `me` has its result or no batch is running. False (with `me`
  // withdrawn) if the deadline passed while `me` was still pending.
  bool AwaitTurn(Entry& me, absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto turn = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return me.result.has_value() || !leading_;
    };
    if (mu_.AwaitWithDeadline(turn, deadline)) return true;
    for (auto it = pending_.begin(); it != pending_.end(); ++it) {
      if (*it == &me) {
        pending_.erase(it);
        return false;
      }
    }
    // A leader took it: its result comes with that leader's commit.
    mu_.AwaitWithDeadline(turn, absl::InfiniteFuture());
    return true;
  }

  template <typename Run>
  absl::StatusOr<Out> Lead(Entry& me, Run run) {
    std::vector<Entry*> batch;
    auto take = [&] {
      std::vector<const Item*> items;
      MutexLock lock(&mu_);
      batch.swap(pending_);
      for (Entry* e : batch) items.push_back(e->item);
      return items;
    };
    absl::StatusOr<Results> results = run(take);
    MutexLock lock(&mu_);
    leading_ = false;
    mu_.SignalAll();
    if (!results.ok()) {
      if (batch.empty()) std::erase(pending_, &me);  // not taken: only the leader fails
      for (Entry* e : batch) e->result = results.status();
      return results.status();
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      batch[i]->result = i < results->size()
                             ? std::move((*results)[i])
                             : absl::StatusOr<Out>(absl::InternalError("batch gave no result"));
    }
    return std::move(*me.result);
  }

  Mutex mu_;
  std::vector<Entry*> pending_ ABSL_GUARDED_BY(mu_);
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_COMMIT_GROUP_H_
