// GroupCommit: concurrent writers share one commit, and each is answered
// only once a commit that holds its item has ended.
//
// No thread of its own (leader and followers): a Submit() that finds no
// commit running becomes the leader and commits every item pending at that
// moment, its own and those queued by the others while the previous commit
// ran; the others wait, and the first of them whose item is still pending
// when that commit ends leads the next one. One writer alone commits its item
// at once, as without grouping. When a commit of several items fails, each of
// them is committed alone, so that one bad item does not fail the others.
//
// Thread-safe. `commit` is called by one thread at a time.
#ifndef CPNS_GATEWAY_GROUP_COMMIT_H_
#define CPNS_GATEWAY_GROUP_COMMIT_H_

#include <functional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mutex.h"

namespace cpns::gateway {

template <typename T>
class GroupCommit {
 public:
  // Commits the items (one or more, in the order submitted) in one
  // transaction: all or none. Returns only once it is durable.
  using CommitFn = std::function<absl::Status(const std::vector<const T*>&)>;

  explicit GroupCommit(CommitFn commit) : commit_(std::move(commit)) {}

  // Returns the result of the commit that held `item`.
  absl::Status Submit(const T& item) {
    Waiter me{.item = &item};
    MutexLock lock(&mu_);
    pending_.push_back(&me);
    while (!me.done) {
      if (committing_) {
        mu_.AwaitWithDeadline([&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return me.done || !committing_;
        }, absl::InfiniteFuture());
        continue;
      }
      committing_ = true;
      std::vector<Waiter*> batch = std::exchange(pending_, {});
      mu_.Unlock();
      Commit(batch);
      mu_.Lock();
      for (Waiter* w : batch) w->done = true;
      committing_ = false;
      mu_.SignalAll();
    }
    return me.result;
  }

  // Items waiting for the next commit: for tests.
  size_t pending() const {
    MutexLock lock(&mu_);
    return pending_.size();
  }

 private:
  struct Waiter {
    const T* item;
    absl::Status result;
    bool done = false;  // guarded by mu_
  };

  void Commit(const std::vector<Waiter*>& batch) {
    std::vector<const T*> items;
    items.reserve(batch.size());
    for (const Waiter* w : batch) items.push_back(w->item);
    const absl::Status together = commit_(items);
    if (together.ok() || batch.size() == 1) {
      for (Waiter* w : batch) w->result = together;
      return;
    }
    for (Waiter* w : batch) w->result = commit_({w->item});
  }

  const CommitFn commit_;
  mutable Mutex mu_;
  bool committing_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<Waiter*> pending_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_GROUP_COMMIT_H_
