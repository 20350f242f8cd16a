#include "gateway/seed_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <thread>

#include "gateway/seed_file.h"

namespace cpns::gateway {
namespace {

GatewayId Gw() { return *GatewayId::Parse("gw-test"); }

// A FirstSeedSource that counts calls and, when asked, holds every call until
// released, so callers pile up behind an in-flight request.
class CountingSource final : public FirstSeedSource {
 public:
  absl::StatusOr<FirstSeed> Fetch(absl::Time deadline) override {
    ++calls;
    if (hold) released.wait();
    if (!fail.ok()) return fail;
    return FirstSeed{Gw(), 1, SecretBytes::CopyFrom(std::string(32, static_cast<char>(calls)))};
  }
  std::atomic<int> calls{0};
  bool hold = false;
  // std::promise rather than absl::Notification: TSan sees through libstdc++.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  absl::Status fail;
};

std::string TempFile() {
  std::string tmpl = ::testing::TempDir() + "cpns_seed_cache_XXXXXX";
  return std::string(mkdtemp(tmpl.data())) + "/first_seed";
}

absl::Time Later() { return absl::Now() + absl::Minutes(5); }

TEST(SeedCacheTest, ConcurrentMissesMakeOneUpstreamCall) {
  constexpr int kCallers = 1000;
  CountingSource source;
  source.hold = true;
  SeedCache cache(Gw(), source, "");
  std::atomic<int> started{0};
  std::vector<std::string> seen(kCallers);
  std::vector<std::thread> threads;
  threads.reserve(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      ++started;
      absl::StatusOr<FirstSeed> s = cache.Get(Later());
      seen[i] = s.ok() ? std::string(s->first_seed.RevealSecret()) : s.status().ToString();
    });
  }
  // Release the one upstream call only once every caller has started.
  while (started.load() < kCallers) std::this_thread::yield();
  source.release.set_value();
  for (auto& t : threads) t.join();
  EXPECT_EQ(source.calls.load(), 1);
  EXPECT_EQ(cache.upstream_requests(), 1u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1u);
  EXPECT_EQ(seen[0], std::string(32, '\1'));
}

TEST(SeedCacheTest, HeldSeedIsServedWithoutUpstreamCall) {
  CountingSource source;
  SeedCache cache(Gw(), source, "");
  ASSERT_TRUE(cache.Get(Later()).ok());
  ASSERT_TRUE(cache.Get(Later()).ok());
  EXPECT_EQ(source.calls.load(), 1);
  EXPECT_EQ(cache.held_epoch(), 1u);
}

TEST(SeedCacheTest, FailureIsUnavailableWithReasonAndNextCallRetries) {
  CountingSource source;
  source.fail = absl::UnavailableError("connection refused");
  SeedCache cache(Gw(), source, "");
  absl::StatusOr<FirstSeed> s = cache.Get(Later());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("connection refused"), absl::string_view::npos);
  EXPECT_FALSE(cache.held_epoch().has_value());
  source.fail = absl::OkStatus();
  EXPECT_TRUE(cache.Get(Later()).ok());
  EXPECT_EQ(source.calls.load(), 2);
}

TEST(SeedCacheTest, WaiterWhoseDeadlinePassesGetsUnavailable) {
  CountingSource source;
  source.hold = true;
  SeedCache cache(Gw(), source, "");
  std::thread leader([&] { EXPECT_TRUE(cache.Get(Later()).ok()); });
  while (source.calls.load() == 0) std::this_thread::yield();
  absl::StatusOr<FirstSeed> waiter = cache.Get(absl::Now());  // deadline already passed
  EXPECT_EQ(waiter.status().code(), absl::StatusCode::kUnavailable);
  source.release.set_value();
  leader.join();
}

// A source that honours the deadline it is given, as gRPC does.
class DeadlineSource final : public FirstSeedSource {
 public:
  absl::StatusOr<FirstSeed> Fetch(absl::Time deadline) override {
    if (++calls == 1) released.wait();  // the first call is in flight until released
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("Deadline Exceeded");
    return FirstSeed{Gw(), 1, SecretBytes::CopyFrom(std::string(32, 'x'))};
  }
  std::atomic<int> calls{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
};

// A caller with a deadline that has already passed cannot make the fetch
// fail for callers that still have time.
TEST(SeedCacheTest, ALeaderWithoutTimeLeftDoesNotFailTheOthers) {
  DeadlineSource source;
  SeedCache cache(Gw(), source, "");
  absl::StatusOr<FirstSeed> hasty_result, patient_result;
  std::thread hasty([&] { hasty_result = cache.Get(absl::Now() - absl::Seconds(1)); });
  while (source.calls.load() == 0) std::this_thread::yield();
  std::thread patient([&] { patient_result = cache.Get(Later()); });
  while (cache.waiting_callers() == 0) std::this_thread::yield();
  source.release.set_value();
  hasty.join();
  patient.join();
  EXPECT_EQ(hasty_result.status().code(), absl::StatusCode::kUnavailable);
  ASSERT_TRUE(patient_result.ok()) << patient_result.status();
  EXPECT_EQ(source.calls.load(), 2) << "the patient caller fetched again itself";
}

TEST(SeedCacheTest, FetchedSeedIsSavedAndLoadedByTheNextCache) {
  const std::string file = TempFile();
  CountingSource source;
  {
    SeedCache cache(Gw(), source, file);
    ASSERT_TRUE(cache.LoadSaved().ok());
    ASSERT_TRUE(cache.Get(Later()).ok());
  }
  SeedCache restarted(Gw(), source, file);
  ASSERT_TRUE(restarted.LoadSaved().ok());
  EXPECT_EQ(restarted.held_epoch(), 1u);
  EXPECT_EQ(restarted.Get(Later())->first_seed.RevealSecret(), std::string(32, '\1'));
  EXPECT_EQ(source.calls.load(), 1);
}

}  // namespace
}  // namespace cpns::gateway
