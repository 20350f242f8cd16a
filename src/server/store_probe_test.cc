#include "server/store_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "core/fake_clock.h"
#include "storage/testing/fake_seed_store.h"

namespace cpns::server {
namespace {

using ::testing::HasSubstr;
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

}  // namespace
}  // namespace cpns::server
