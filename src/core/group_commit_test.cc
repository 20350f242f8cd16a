// GroupCommit: who runs a batch, what it holds, and who gets which result.
#include "core/group_commit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

namespace cpns {
namespace {

using ::testing::ElementsAre;
using Group = GroupCommit<std::string, std::string>;

// A batch that answers each item with "done:<item>".
absl::StatusOr<Group::Results> Echo(std::vector<const std::string*> items) {
  Group::Results out;
  for (const std::string* item : items) out.push_back("done:" + *item);
  return out;
}

TEST(GroupCommitTest, ALoneCallerLeadsAndGetsItsOwnResult) {
  Group group;
  std::vector<std::string> seen;
  absl::StatusOr<std::string> r =
      group.Submit("a", absl::InfiniteFuture(), [&](const auto& take) {
        auto items = take();
        for (const std::string* i : items) seen.push_back(*i);
        return Echo(items);
      });
  EXPECT_EQ(r.value_or("error"), "done:a");
  EXPECT_THAT(seen, ElementsAre("a"));
}

TEST(GroupCommitTest, ALeaderThatFailsBeforeTakingFailsAloneAndTheGroupGoesOn) {
  Group group;
  absl::StatusOr<std::string> failed = group.Submit(
      "a", absl::InfiniteFuture(),
      [](const auto&) -> absl::StatusOr<Group::Results> { return absl::UnavailableError("db"); });
  EXPECT_TRUE(absl::IsUnavailable(failed.status())) << failed.status();
  absl::StatusOr<std::string> next = group.Submit(
      "b", absl::InfiniteFuture(), [](const auto& take) { return Echo(take()); });
  EXPECT_EQ(next.value_or("error"), "done:b");  // "a" was not left pending
}

TEST(GroupCommitTest, AWaiterWhoseDeadlinePassesBeforeAnyBatchTookItIsWithdrawn) {
  Group group;
  std::atomic<bool> leading{false}, release{false};
  std::vector<std::string> leader_batch;
  std::thread leader([&] {
    absl::StatusOr<std::string> r =
        group.Submit("leader", absl::InfiniteFuture(), [&](const auto& take) {
          leading = true;
          while (!release) std::this_thread::yield();
          auto items = take();
          for (const std::string* i : items) leader_batch.push_back(*i);
          return Echo(items);
        });
    EXPECT_EQ(r.value_or("error"), "done:leader");
  });
  while (!leading) std::this_thread::yield();
  // A batch is running, so this one waits as a follower until its deadline.
  absl::StatusOr<std::string> late = group.Submit(
      "late", absl::Now() + absl::Milliseconds(50),
      [](const auto& take) { return Echo(take()); });
  release = true;
  leader.join();
  EXPECT_TRUE(absl::IsDeadlineExceeded(late.status())) << late.status();
  EXPECT_THAT(leader_batch, ElementsAre("leader"));  // the withdrawn item was not run
}

TEST(GroupCommitTest, CallersDuringABatchEachGetTheirOwnResultAndEachItemRunsOnce) {
  Group group;
  std::atomic<bool> leading{false};
  std::atomic<int> submitted{0};
  std::vector<size_t> batch_sizes;
  auto run = [&](const auto& take) {
    leading = true;
    // Takes the batch once both followers are on their way; one that has not
    // queued yet leads a batch of its own after this one, which is allowed.
    while (submitted < 2) std::this_thread::yield();
    auto items = take();
    batch_sizes.push_back(items.size());
    return Echo(items);
  };
  std::vector<absl::StatusOr<std::string>> got(3, absl::UnknownError("not run"));
  std::thread leader([&] { got[0] = group.Submit("x", absl::InfiniteFuture(), run); });
  while (!leading) std::this_thread::yield();
  std::thread f1([&] { ++submitted; got[1] = group.Submit("y", absl::InfiniteFuture(), run); });
  std::thread f2([&] { ++submitted; got[2] = group.Submit("z", absl::InfiniteFuture(), run); });
  leader.join();
  f1.join();
  f2.join();
  EXPECT_EQ(got[0].value_or("error"), "done:x");
  EXPECT_EQ(got[1].value_or("error"), "done:y");
  EXPECT_EQ(got[2].value_or("error"), "done:z");
  size_t total = 0;
  for (size_t n : batch_sizes) total += n;
  EXPECT_EQ(total, 3u);  // each item ran exactly once
}

TEST(GroupCommitTest, ABatchTakesAtMostItsCapAndTheRestLeadTheNext) {
  Group group({.max_batch = 2});
  std::atomic<bool> leading{false}, release{false};
  Mutex mu;
  std::vector<std::vector<std::string>> batches;
  auto run = [&](const auto& take) {
    leading = true;
    while (!release) std::this_thread::yield();
    auto items = take();
    {
      MutexLock lock(&mu);
      batches.emplace_back();
      for (const std::string* i : items) batches.back().push_back(*i);
    }
    return Echo(items);
  };
  std::vector<absl::StatusOr<std::string>> got(5, absl::UnknownError("not run"));
  std::thread leader([&] { got[0] = group.Submit("0", absl::InfiniteFuture(), run); });
  while (!leading) std::this_thread::yield();
  std::vector<std::thread> followers;
  for (int k = 1; k < 5; ++k) {
    followers.emplace_back([&, k] {
      got[k] = group.Submit(std::to_string(k), absl::InfiniteFuture(), run);
    });
  }
  // All four queue behind the held batch before it takes anything.
  while (group.pending() < 5) std::this_thread::yield();
  release = true;
  leader.join();
  for (std::thread& t : followers) t.join();
  for (int k = 0; k < 5; ++k) EXPECT_EQ(got[k].value_or("error"), "done:" + std::to_string(k));
  ASSERT_EQ(batches.size(), 3u);  // 5 items, at most 2 per batch
  EXPECT_EQ(batches[0].size(), 2u);
  EXPECT_EQ(batches[0][0], "0");  // the leader's own item is always in its batch
  EXPECT_EQ(batches[1].size(), 2u);
  EXPECT_EQ(batches[2].size(), 1u);
}

}  // namespace
}  // namespace cpns
