// GroupCommit: concurrent writers share one commit, and each is answered
// only once the commit that holds its item has ended. The one group commit
// of the project: new seeds (server store), used challenges (server
// authentication) and the owner's record of assignments (gateway).
//
// Leader and followers, no thread of its own. A caller submits its item and
// waits. If no batch is running it becomes the leader: it gets ready (e.g.
// takes the database), then takes the items pending at that moment (its own
// and those of the callers who queued while it waited; at most `max_batch`),
// runs them in one transaction with one sync, and hands each caller its own
// result. N concurrent writes cost one commit instead of N; a writer alone
// commits its item at once, as without grouping.
//
//   absl::StatusOr<Out> out = group.Submit(item, deadline, [&](auto& take) {
//     hold the database;
//     std::vector<const Item*> items = take();  // once
//     BEGIN; run each item; COMMIT;
//     return one absl::StatusOr<Out> per item, in order;  // or an error for all
//   });
//
// If `run` returns an error without calling take(), only the leader's own
// item fails with it and another waiter leads. After take(),
// take.latest_deadline() is the latest deadline among the taken items: a
// leader works for them all, so it must not give up at its own deadline if
// a follower's is later (one caller with a short deadline would otherwise
// fail everyone in its batch). A caller whose deadline
// passes while its item is still pending is withdrawn and gets the
// group's deadline error; once a leader took the item, the caller waits for
// that leader's result (the leader's own deadline bounds it), so no caller
// is told "failed" about an item that was committed.
//
// Thread-safe. Items and results live on the callers' stacks; a result is
// written under the group's mutex, so a caller never returns while a leader
// may still touch its item. Memory is bounded by the callers waiting: each
// holds one entry on its own stack.
#ifndef CPNS_CORE_GROUP_COMMIT_H_
#define CPNS_CORE_GROUP_COMMIT_H_

#include <algorithm>
#include <cstddef>
#include <functional>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"

namespace cpns {

template <typename Item, typename Out>
class GroupCommit {
 public:
  using Results = std::vector<absl::StatusOr<Out>>;

  struct Options {
    // At most this many items go into one batch; the rest wait for the next.
    size_t max_batch = std::numeric_limits<size_t>::max();
    // What a caller withdrawn at its deadline gets.
    std::function<absl::Status()> deadline_error = [] {
      return absl::DeadlineExceededError("waiting for a group commit");
    };
  };

  GroupCommit() : GroupCommit(Options()) {}
  explicit GroupCommit(Options options) : options_(std::move(options)) {}

  // Runs `item` in a batch and returns its result (see above for `run`).
  template <typename Run>
  absl::StatusOr<Out> Submit(const Item& item, absl::Time deadline, Run run) {
    Entry me{&item, deadline, std::nullopt};
    mu_.Lock();
    pending_.push_back(&me);
    if (!AwaitTurn(me, deadline)) {
      mu_.Unlock();
      return options_.deadline_error();
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

  // Items waiting for a batch to take them (for tests).
  size_t pending() {
    MutexLock lock(&mu_);
    return pending_.size();
  }

 private:
  struct Entry {
    const Item* item;
    absl::Time deadline;
    std::optional<absl::StatusOr<Out>> result;
  };

 public:
  // What `run` is given: take() once for the batch's items.
  class Take {
   public:
    std::vector<const Item*> operator()() const { return group_.TakeBatch(me_, batch_); }
    // The latest deadline among the items taken (valid after take()).
    absl::Time latest_deadline() const {
      absl::Time latest = absl::InfinitePast();
      for (const Entry* e : batch_) latest = std::max(latest, e->deadline);
      return latest;
    }

   private:
    friend class GroupCommit;
    Take(GroupCommit& group, Entry& me, std::vector<Entry*>& batch)
        : group_(group), me_(me), batch_(batch) {}
    GroupCommit& group_;
    Entry& me_;
    std::vector<Entry*>& batch_;
  };

 private:

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

  // The batch: the leader's own item first (it is in its batch whatever the
  // cap), then the oldest pending ones, at most max_batch in all.
  std::vector<const Item*> TakeBatch(Entry& me, std::vector<Entry*>& batch) {
    MutexLock lock(&mu_);
    const size_t n = std::min(pending_.size(), options_.max_batch);
    std::erase(pending_, &me);
    batch.push_back(&me);
    batch.insert(batch.end(), pending_.begin(), pending_.begin() + (n - 1));
    pending_.erase(pending_.begin(), pending_.begin() + (n - 1));
    std::vector<const Item*> items;
    items.reserve(batch.size());
    for (Entry* e : batch) items.push_back(e->item);
    return items;
  }

  // noexcept: a throw from `run` would leave leading_ set and every waiter
  // stuck; terminating is the honest outcome.
  template <typename Run>
  absl::StatusOr<Out> Lead(Entry& me, Run& run) noexcept {
    std::vector<Entry*> batch;
    const Take take(*this, me, batch);
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

  const Options options_;
  Mutex mu_;
  std::vector<Entry*> pending_ ABSL_GUARDED_BY(mu_);
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace cpns

#endif  // CPNS_CORE_GROUP_COMMIT_H_
