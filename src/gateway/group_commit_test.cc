// GroupCommit with real threads: every writer is answered only after a
// commit that holds its item, writers that come while a commit runs share the
// next one, and one failing item fails only its own writer.
#include "gateway/group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"

namespace cpns::gateway {
namespace {

// Commits into `committed`; the first commit waits for `release`.
struct Store {
  Mutex mu;
  std::set<int> committed ABSL_GUARDED_BY(mu);
  std::vector<size_t> batch_sizes ABSL_GUARDED_BY(mu);
  absl::Notification first_started, release;
  std::atomic<int> bad{-1};  // an item whose commit fails

  absl::Status Commit(const std::vector<const int*>& items) {
    if (!first_started.HasBeenNotified()) {
      first_started.Notify();
      release.WaitForNotification();
    }
    for (const int* i : items) {
      if (*i == bad.load()) return absl::UnavailableError("disk full");
    }
    MutexLock lock(&mu);
    batch_sizes.push_back(items.size());
    for (const int* i : items) committed.insert(*i);
    return absl::OkStatus();
  }
  bool Committed(int i) {
    MutexLock lock(&mu);
    return committed.count(i) == 1;
  }
};

// Waits (at most 10 s) until `n` items wait for the next commit.
bool Queued(const GroupCommit<int>& group, size_t n) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (group.pending() < n && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(1));
  return group.pending() == n;
}

TEST(GroupCommitTest, WritersThatComeDuringACommitShareTheNextAndReturnAfterIt) {
  Store store;
  GroupCommit<int> group([&](const std::vector<const int*>& items) { return store.Commit(items); });
  std::vector<std::thread> writers;
  std::atomic<int> returned_uncommitted{0};
  auto write = [&](int item) {
    const absl::Status s = group.Submit(item);
    if (!s.ok() || !store.Committed(item)) ++returned_uncommitted;
  };
  writers.emplace_back(write, 0);
  ASSERT_TRUE(store.first_started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  for (int i = 1; i <= 7; ++i) writers.emplace_back(write, i);
  ASSERT_TRUE(Queued(group, 7));
  store.release.Notify();
  for (std::thread& t : writers) t.join();
  EXPECT_EQ(returned_uncommitted.load(), 0);
  MutexLock lock(&store.mu);
  EXPECT_EQ(store.committed, (std::set<int>{0, 1, 2, 3, 4, 5, 6, 7}));
  EXPECT_EQ(store.batch_sizes, (std::vector<size_t>{1, 7}));
}

TEST(GroupCommitTest, AFailingItemFailsOnlyItsOwnWriter) {
  Store store;
  store.bad = 3;
  GroupCommit<int> group([&](const std::vector<const int*>& items) { return store.Commit(items); });
  std::vector<std::thread> writers;
  std::vector<absl::Status> results(6);
  writers.emplace_back([&] { results[0] = group.Submit(0); });
  ASSERT_TRUE(store.first_started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  for (int i = 1; i < 6; ++i) writers.emplace_back([&, i] { results[i] = group.Submit(i); });
  ASSERT_TRUE(Queued(group, 5));
  store.release.Notify();
  for (std::thread& t : writers) t.join();
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(results[i].ok(), i != 3) << i << ": " << results[i];
    EXPECT_EQ(store.Committed(i), i != 3) << i;
  }
  EXPECT_TRUE(absl::IsUnavailable(results[3])) << results[3];
}

}  // namespace
}  // namespace cpns::gateway
