#include "gateway/seed_refresher.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/fake_clock.h"
#include "gateway/seed_file.h"
#include "gateway/test_fakes.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

using test::FakeSeedSource;
using test::Gw;
using test::SeedBytes;

constexpr absl::Duration kLifetime = absl::Hours(100);
absl::Time Start() { return absl::FromUnixSeconds(1'700'000'000); }
absl::Time Later() { return absl::Now() + absl::Minutes(5); }

// --- The schedule as pure functions -----------------------------------------

HeldSeedInfo Info(absl::Time created, absl::Time expires) { return {7, created, expires}; }

TEST(RenewalTimeTest, FractionOfTheLifetimeMovedByTheJitter) {
  const HeldSeedInfo seed = Info(Start(), Start() + kLifetime);
  EXPECT_EQ(RenewalTime(seed, 0.75, 0.05, 0), Start() + absl::Hours(75));
  EXPECT_EQ(RenewalTime(seed, 0.75, 0.05, 1), Start() + absl::Hours(80));
  EXPECT_EQ(RenewalTime(seed, 0.75, 0.05, -1), Start() + absl::Hours(70));
  EXPECT_EQ(RenewalTime(seed, 0.5, 0.1, 0.5), Start() + absl::Hours(55));
}

TEST(RenewalTimeTest, StaysBetween30And95PercentOfTheLifetime) {
  const HeldSeedInfo seed = Info(Start(), Start() + kLifetime);
  EXPECT_EQ(RenewalTime(seed, 0.3, 0.2, -1), Start() + absl::Hours(30));
  EXPECT_EQ(RenewalTime(seed, 0.95, 0.2, 1), Start() + absl::Hours(95));
}

TEST(RenewalTimeTest, NeverWhenTheExpiryIsUnknownOrNonsense) {
  EXPECT_EQ(RenewalTime(Info(Start(), absl::InfiniteFuture()), 0.75, 0.05, 0),
            absl::InfiniteFuture());
  EXPECT_EQ(RenewalTime(Info(Start(), Start()), 0.75, 0.05, 0), absl::InfiniteFuture());
}

TEST(ScheduleTest, StatusChecksAreJitteredByTenPercent) {
  EXPECT_EQ(CheckDelay(absl::Minutes(15), 0), absl::Minutes(15));
  EXPECT_EQ(CheckDelay(absl::Minutes(15), 1), absl::Seconds(990));
  EXPECT_EQ(CheckDelay(absl::Minutes(15), -1), absl::Seconds(810));
}

TEST(ScheduleTest, BackoffDoublesFromOneSecondUpToTheCap) {
  EXPECT_EQ(Backoff(1, absl::Minutes(15), -1), absl::Seconds(1));
  EXPECT_EQ(Backoff(1, absl::Minutes(15), 1), absl::Milliseconds(800));
  EXPECT_EQ(Backoff(4, absl::Minutes(15), -1), absl::Seconds(8));
  EXPECT_EQ(Backoff(30, absl::Minutes(15), -1), absl::Minutes(15));
  EXPECT_EQ(Backoff(1'000'000, absl::Minutes(15), 1), absl::Minutes(12));
}

TEST(ScheduleTest, PolicyLimitsAreTheFlagLimits) {
  EXPECT_TRUE(ValidateRefreshPolicy({}).ok());
  EXPECT_FALSE(ValidateRefreshPolicy({.refresh_fraction = 0.29}).ok());
  EXPECT_FALSE(ValidateRefreshPolicy({.refresh_fraction = 0.96}).ok());
  EXPECT_FALSE(ValidateRefreshPolicy({.refresh_jitter = 0.21}).ok());
  EXPECT_FALSE(ValidateRefreshPolicy({.check_interval = absl::Milliseconds(999)}).ok());
  EXPECT_TRUE(ValidateRefreshPolicy({.refresh_fraction = 0.3, .refresh_jitter = 0,
                                     .check_interval = absl::Seconds(1)}).ok());
}

// --- The refresher, driven pass by pass through RunDue ----------------------

std::string TempFile() {
  return cpns::test::NewTempDir("cpns_seed_refresher") + "/first_seed";
}

class SeedRefresherTest : public ::testing::Test {
 protected:
  // No jitter unless a test says otherwise: u = 0 (back-off factor 0.9).
  SeedRefresher Refresher(RefreshPolicy policy, double u = 0) {
    return SeedRefresher(cache_, clock_, policy, [u] { return u; });
  }
  void GetSeed(uint32_t expected_epoch) {
    absl::StatusOr<FirstSeed> s = cache_.Get(Later());
    ASSERT_TRUE(s.ok()) << s.status();
    ASSERT_EQ(s->seed_epoch, expected_epoch);
  }

  FakeClock clock_{Start()};
  FakeSeedSource source_{clock_, kLifetime};
  const std::string file_ = TempFile();
  SeedCache cache_{Gw(), source_, file_, clock_};
};

// Renewal only: status checks far away.
constexpr RefreshPolicy kRenewOnly{.check_interval = absl::Hours(10'000)};

TEST_F(SeedRefresherTest, RenewsAtTheComputedPointOfEachEpoch) {
  GetSeed(1);
  SeedRefresher refresher = Refresher(kRenewOnly, 0.5);  // 0.75 + 0.05 * 0.5 = 77.5%
  const absl::Duration at = kLifetime * 0.775;
  clock_.Advance(at - absl::Seconds(1));
  EXPECT_GT(refresher.RunDue(), absl::ZeroDuration()) << "nothing due: it waits";
  EXPECT_EQ(source_.fetches(), 1);
  clock_.Advance(absl::Seconds(1));
  refresher.RunDue();
  ASSERT_EQ(source_.fetches(), 2);
  EXPECT_FALSE(source_.calls().back().status);
  EXPECT_EQ(source_.calls().back().epoch, 1u) << "asked to renew the held epoch";
  EXPECT_EQ(cache_.held_epoch(), 2u);
  // Epoch 2 was created at `at`: its renewal comes 77.5% of its lifetime later.
  clock_.Advance(at - absl::Seconds(1));
  refresher.RunDue();
  refresher.RunDue();
  EXPECT_EQ(source_.fetches(), 2);
  clock_.Advance(absl::Seconds(1));
  refresher.RunDue();
  EXPECT_EQ(source_.fetches(), 3);
  EXPECT_EQ(cache_.held_epoch(), 3u);
  EXPECT_EQ(LoadSeedFile(file_, Gw())->seed_epoch, 3u) << "saved";
}

TEST_F(SeedRefresherTest, AsksAgainAfterABackoffWhenTheServerKeepsTheEpoch) {
  GetSeed(1);
  source_.SetGrantRenewal(false);
  SeedRefresher refresher = Refresher(kRenewOnly);
  clock_.Advance(kLifetime * 0.75);
  refresher.RunDue();
  EXPECT_EQ(source_.fetches(), 2);
  refresher.RunDue();
  clock_.Advance(absl::Milliseconds(850));
  refresher.RunDue();
  EXPECT_EQ(source_.fetches(), 2) << "not before the 0.9 s back-off";
  source_.SetGrantRenewal(true);
  clock_.Advance(absl::Milliseconds(100));
  refresher.RunDue();
  EXPECT_EQ(source_.fetches(), 3);
  EXPECT_EQ(cache_.held_epoch(), 2u);
}

constexpr RefreshPolicy kHourlyChecks{.check_interval = absl::Hours(1)};

TEST_F(SeedRefresherTest, StatusPollFetchesTheNewerActiveEpoch) {
  GetSeed(1);
  SeedRefresher refresher = Refresher(kHourlyChecks);
  refresher.RunDue();
  clock_.Advance(absl::Hours(1) - absl::Seconds(1));
  refresher.RunDue();
  EXPECT_EQ(source_.status_calls(), 0);
  clock_.Advance(absl::Seconds(1));
  refresher.RunDue();
  EXPECT_EQ(source_.status_calls(), 1);
  EXPECT_EQ(source_.fetches(), 1) << "epoch 1 is ACTIVE: nothing to fetch";
  source_.Rotate();  // the operator rotates: epoch 2 is active, 1 is ROTATED
  clock_.Advance(absl::Hours(1));
  refresher.RunDue();
  const std::vector<FakeSeedSource::Call> calls = source_.calls();
  ASSERT_EQ(calls.size(), 4u);
  EXPECT_TRUE(calls[2].status);
  EXPECT_EQ(calls[2].epoch, 1u);
  EXPECT_FALSE(calls[3].status);
  EXPECT_EQ(calls[3].epoch, 0u) << "a plain request for the active seed";
  EXPECT_EQ(cache_.held_epoch(), 2u);
  absl::StatusOr<FirstSeed> now = cache_.Get(Later());
  EXPECT_EQ(now->first_seed.RevealSecret(), SeedBytes(2));
}

TEST_F(SeedRefresherTest, StatusPollFetchesWhenTheHeldEpochIsNoLongerActive) {
  GetSeed(1);
  source_.SetStatus({.active_epoch = 0, .epoch_state = SeedState::kRetired});
  SeedRefresher refresher = Refresher(kHourlyChecks);
  refresher.RunDue();
  clock_.Advance(absl::Hours(1));
  refresher.RunDue();
  ASSERT_EQ(source_.calls().size(), 3u);
  EXPECT_FALSE(source_.calls().back().status);
  EXPECT_EQ(source_.calls().back().epoch, 0u);
}

TEST_F(SeedRefresherTest, RevokedGatewayDropsItsSeedOnce) {
  GetSeed(1);
  source_.SetStatusError(absl::PermissionDeniedError("gateway gw-test is revoked"));
  SeedRefresher refresher = Refresher(kHourlyChecks);
  refresher.RunDue();
  clock_.Advance(absl::Hours(1));
  refresher.RunDue();
  EXPECT_EQ(source_.status_calls(), 1);
  EXPECT_FALSE(cache_.held().has_value());
  EXPECT_EQ(LoadSeedFile(file_, Gw()).status().code(), absl::StatusCode::kNotFound);
  clock_.Advance(absl::Hours(500));
  EXPECT_EQ(refresher.RunDue(), absl::Seconds(1)) << "no seed: only looks at the cache";
  EXPECT_EQ(source_.calls().size(), 2u) << "nothing more is asked";
}

TEST_F(SeedRefresherTest, BacksOffWhileTheServerIsUnavailable) {
  GetSeed(1);
  source_.SetStatusError(absl::UnavailableError("connection refused"));
  SeedRefresher refresher = Refresher(kHourlyChecks);
  refresher.RunDue();
  clock_.Advance(absl::Hours(1));
  refresher.RunDue();
  refresher.RunDue();
  EXPECT_EQ(source_.status_calls(), 1);
  const struct {
    absl::Duration too_early, due;  // after the previous attempt; back-off 0.9 s, 1.8 s, 3.6 s
  } steps[] = {{absl::Milliseconds(850), absl::Milliseconds(100)},
               {absl::Milliseconds(1750), absl::Milliseconds(100)},
               {absl::Milliseconds(3550), absl::Milliseconds(100)}};
  int expected = 1;
  for (const auto& step : steps) {
    clock_.Advance(step.too_early);
    EXPECT_GT(refresher.RunDue(), absl::ZeroDuration());
    EXPECT_EQ(source_.status_calls(), expected);
    clock_.Advance(step.due);
    refresher.RunDue();
    EXPECT_EQ(source_.status_calls(), ++expected);
  }
  EXPECT_EQ(cache_.held_epoch(), 1u) << "the held seed stays in use";
  source_.SetStatusError(absl::OkStatus());
  clock_.Advance(absl::Seconds(8));
  refresher.RunDue();
  EXPECT_EQ(source_.status_calls(), 5);
  clock_.Advance(absl::Minutes(59));
  refresher.RunDue();
  EXPECT_EQ(source_.status_calls(), 5) << "back to the hourly poll after a success";
}

TEST_F(SeedRefresherTest, DoesNothingWhileNoSeedIsHeld) {
  SeedRefresher refresher = Refresher(kHourlyChecks);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(refresher.RunDue(), absl::Seconds(1)) << "looks at the cache, asks nobody";
    clock_.Advance(kLifetime);
  }
  EXPECT_TRUE(source_.calls().empty());
}

// --- The thread ----------------------------------------------------------------

TEST_F(SeedRefresherTest, ItsThreadRenewsWhenTheClockReachesTheRenewalPoint) {
  GetSeed(1);
  RefreshPolicy policy = kRenewOnly;
  policy.max_sleep = absl::Milliseconds(1);  // look at the fake clock often
  SeedRefresher refresher(cache_, clock_, policy, [] { return 0.0; });
  refresher.Start();
  clock_.Advance(kLifetime * 0.8);
  ASSERT_TRUE(source_.WaitForCalls(2)) << "the renewal never came";
  refresher.Stop();
  EXPECT_FALSE(source_.calls()[1].status);
  EXPECT_EQ(source_.calls()[1].epoch, 1u);
  EXPECT_EQ(cache_.held_epoch(), 2u);
}

// Were Stop not to wake the thread, this would wait an hour.
TEST_F(SeedRefresherTest, StopWakesASleepingThread) {
  GetSeed(1);
  RefreshPolicy policy = kHourlyChecks;
  policy.max_sleep = absl::Hours(1);
  SeedRefresher refresher(cache_, clock_, policy, [] { return 0.0; });
  refresher.Start();
  refresher.Stop();
  refresher.Stop();  // idempotent
  EXPECT_EQ(source_.status_calls(), 0);
}

}  // namespace
}  // namespace cpns::gateway
