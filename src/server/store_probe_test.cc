#include "server/store_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>

#include "absl/time/clock.h"
#include "core/fake_clock.h"
#include "observe/fake_gauge.h"
#include "storage/testing/fake_seed_store.h"

namespace cpns::server {
namespace {

using ::testing::HasSubstr;
using observe::FakeGauge;
using storage::fakes::FakeSeedStore;

// The probe runs on real time (store deadlines are real time): a short
// interval, and every wait for the thread bounded.
constexpr StoreProbeOptions kFast{.interval = absl::Milliseconds(5),
                                  .timeout = absl::Seconds(2)};

// Waits, up to 10 s, until the store has seen `calls` calls.
bool AwaitCalls(const FakeSeedStore& store, int calls) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (store.calls() < calls) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(1));
  }
  return true;
}

TEST(StoreProbeTest, ReadyAtStartWhenTheStoreAnswers) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  FakeSeedStore store(clock);
  wire::Readiness readiness;
  auto probe = StoreProbe::Start(store, readiness, kFast);
  EXPECT_TRUE(readiness.Get().ready);
}

TEST(StoreProbeTest, NotReadyWhileTheStoreFailsThenReadyAgain) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  FakeSeedStore store(clock);
  store.FailWith(absl::UnavailableError("connection refused"));
  wire::Readiness readiness;
  auto probe = StoreProbe::Start(store, readiness, kFast);
  EXPECT_FALSE(readiness.Get().ready);
  EXPECT_THAT(readiness.Get().reason, HasSubstr("store unreachable: connection refused"));
  store.FailWith(absl::OkStatus());
  ASSERT_TRUE(AwaitCalls(store, store.calls() + 2));  // one probe surely after the heal
  EXPECT_TRUE(readiness.Get().ready);
}

TEST(StoreProbeTest, ACorruptStoreStaysNotReadyThoughItAnswers) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  FakeSeedStore store(clock);
  wire::Readiness readiness;
  auto probe = StoreProbe::Start(store, readiness, kFast);
  probe->MarkCorrupt(absl::DataLossError("page 7 is bad"));
  ASSERT_TRUE(AwaitCalls(store, store.calls() + 2));  // probes that succeeded
  EXPECT_FALSE(readiness.Get().ready);
  EXPECT_EQ(readiness.Get().reason, "store corrupt: page 7 is bad");
}

// No request reaches the store of an idle server: the probe alone tells
// cpns_store_up that the store went away, and that it came back.
TEST(StoreProbeTest, StoreUpFollowsTheProbeWithoutAnyRequest) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  FakeSeedStore store(clock);
  wire::Readiness readiness;
  FakeGauge up;
  StoreProbeOptions options = kFast;
  options.up = &up;
  auto probe = StoreProbe::Start(store, readiness, options);
  EXPECT_EQ(up.value(), 1);
  store.FailWith(absl::UnavailableError("connection refused"));
  ASSERT_TRUE(AwaitCalls(store, store.calls() + 2));
  EXPECT_EQ(up.value(), 0);
  store.FailWith(absl::DeadlineExceededError("statement timeout"));
  ASSERT_TRUE(AwaitCalls(store, store.calls() + 2));
  EXPECT_EQ(up.value(), 0);
  store.FailWith(absl::OkStatus());
  ASSERT_TRUE(AwaitCalls(store, store.calls() + 2));
  EXPECT_EQ(up.value(), 1);
}

TEST(StoreProbeTest, StoreUpStaysDownOnceCorruptThoughTheStoreAnswers) {
  FakeClock clock(absl::FromUnixSeconds(1700000000));
  FakeSeedStore store(clock);
  wire::Readiness readiness;
  FakeGauge up;
  StoreProbeOptions options = kFast;
  options.up = &up;
  auto probe = StoreProbe::Start(store, readiness, options);
  probe->MarkCorrupt(absl::DataLossError("page 7 is bad"));
  EXPECT_EQ(up.value(), 0);
  ASSERT_TRUE(AwaitCalls(store, store.calls() + 2));  // probes that succeeded
  EXPECT_EQ(up.value(), 0);
}

}  // namespace
}  // namespace cpns::server
