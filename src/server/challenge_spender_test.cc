#include "server/challenge_spender.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "storage/store_deadline.h"

namespace cpns::server {
namespace {

// An AuthState whose ConsumeChallenges can be held at its start (closed
// gate) and records the size of each batch it is given.
class GatedState final : public storage::AuthState {
 public:
  absl::StatusOr<storage::AuthRecord> LookupForAuth(const GatewayId&, uint32_t,
                                                    absl::string_view) override {
    return absl::UnimplementedError("not used");
  }
  absl::StatusOr<SecretBytes> GetOrCreateServerSecret(absl::string_view) override {
    return absl::UnimplementedError("not used");
  }
  absl::Status ConsumeChallenge(absl::string_view, absl::Time) override {
    return absl::UnimplementedError("only batches are expected");
  }
  absl::StatusOr<std::vector<bool>> ConsumeChallenges(
      std::span<const storage::ChallengeUse> uses) override {
    MutexLock lock(&mu_);
    ++entered_;
    auto open = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_; };
    if (!mu_.AwaitWithDeadline(open, absl::Now() + absl::Seconds(30))) {
      return absl::DeadlineExceededError("the test never opened the gate");
    }
    batches_.push_back(uses.size());
    if (!fail_.ok()) return fail_;
    std::vector<bool> fresh;
    for (const storage::ChallengeUse& u : uses) fresh.push_back(used_.insert(u.id).second);
    return fresh;
  }

  void Open() {
    MutexLock lock(&mu_);
    open_ = true;
    mu_.SignalAll();
  }
  void Close() {
    MutexLock lock(&mu_);
    open_ = false;
  }
  void FailWith(absl::Status s) {
    MutexLock lock(&mu_);
    fail_ = std::move(s);
  }
  int entered() {
    MutexLock lock(&mu_);
    return entered_;
  }
  std::vector<size_t> batches() {
    MutexLock lock(&mu_);
    return batches_;
  }

 private:
  Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
  int entered_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status fail_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> used_ ABSL_GUARDED_BY(mu_);
  std::vector<size_t> batches_ ABSL_GUARDED_BY(mu_);
};

// Waits (10 s at most) until `done()`; false if it never was.
template <typename Done>
bool Eventually(Done done) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!done()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

const absl::Time kExpiry = absl::FromUnixSeconds(2000000000);

class ChallengeSpenderTest : public testing::Test {
 protected:
  // Spends `ids` from one thread each, while a first spend ("leader") is
  // held in the store, so that they queue behind it; returns their results.
  std::vector<absl::Status> SpendBehindAHeldBatch(const std::vector<std::string>& ids) {
    state_.Close();
    std::thread leader([&] { leader_result_ = spender_.Spend("leader", kExpiry); });
    EXPECT_TRUE(Eventually([&] { return state_.entered() == 1; }));
    std::vector<absl::Status> results(ids.size());
    std::vector<std::thread> threads;
    for (size_t k = 0; k < ids.size(); ++k) {
      threads.emplace_back([&, k] { results[k] = spender_.Spend(ids[k], kExpiry); });
    }
    EXPECT_TRUE(Eventually([&] { return spender_.Waiting() == ids.size(); }));
    state_.Open();
    leader.join();
    for (std::thread& t : threads) t.join();
    return results;
  }

  GatedState state_;
  ChallengeSpender spender_{state_};
  absl::Status leader_result_;  // of the held spend
};

TEST_F(ChallengeSpenderTest, AloneEachSpendIsItsOwnBatch) {
  EXPECT_TRUE(spender_.Spend("a", kExpiry).ok());
  EXPECT_TRUE(spender_.Spend("b", kExpiry).ok());
  EXPECT_EQ(state_.batches(), (std::vector<size_t>{1, 1}));
}

TEST_F(ChallengeSpenderTest, SpendsThatWaitTogetherShareOneStoreCall) {
  const std::vector<absl::Status> results = SpendBehindAHeldBatch({"b", "c", "d"});
  EXPECT_TRUE(leader_result_.ok()) << leader_result_;
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(state_.batches(), (std::vector<size_t>{1, 3}));
}

TEST_F(ChallengeSpenderTest, AChallengeIsSpentOnceEvenTwiceInOneBatch) {
  const std::vector<absl::Status> results = SpendBehindAHeldBatch({"x", "x", "leader"});
  EXPECT_EQ(state_.batches(), (std::vector<size_t>{1, 3}));
  // One of the two uses of "x" wins; the replay of the leader's is refused.
  EXPECT_NE(results[0].ok(), results[1].ok());
  EXPECT_TRUE(absl::IsAlreadyExists(results[0].ok() ? results[1] : results[0]));
  EXPECT_TRUE(absl::IsAlreadyExists(results[2])) << results[2];
  EXPECT_TRUE(absl::IsAlreadyExists(spender_.Spend("x", kExpiry)));
}

TEST_F(ChallengeSpenderTest, AStoreFailureIsEveryCallersOfThatBatch) {
  state_.FailWith(absl::UnavailableError("database is locked"));
  const std::vector<absl::Status> results = SpendBehindAHeldBatch({"b", "c"});
  EXPECT_TRUE(absl::IsUnavailable(leader_result_)) << leader_result_;
  for (const absl::Status& s : results) EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_EQ(state_.batches(), (std::vector<size_t>{1, 2}));
}

TEST_F(ChallengeSpenderTest, AWaiterPastItsStoreDeadlineGivesUpAndLeavesTheQueue) {
  state_.Close();
  std::thread leader([&] { (void)spender_.Spend("leader", kExpiry); });
  ASSERT_TRUE(Eventually([&] { return state_.entered() == 1; }));
  {
    const storage::ScopedStoreDeadline soon(absl::Now() + absl::Milliseconds(50));
    const absl::Status late = spender_.Spend("late", kExpiry);
    EXPECT_TRUE(storage::IsStoreDeadlineMiss(late)) << late;
  }
  EXPECT_EQ(spender_.Waiting(), 0u);
  state_.Open();
  leader.join();
  // The one that gave up was never sent, so it is still fresh.
  EXPECT_EQ(state_.batches(), (std::vector<size_t>{1}));
  EXPECT_TRUE(spender_.Spend("late", kExpiry).ok());
}

}  // namespace
}  // namespace cpns::server
