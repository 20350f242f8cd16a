#include "gateway/seed_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <set>
#include <utility>
#include <thread>

#include "core/fake_clock.h"
#include "gateway/seed_file.h"
#include "gateway/test_fakes.h"
#include "observe/fake_gauge.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

using observe::FakeGauge;
using test::FakeSeedSource;
using test::Gw;
using test::SeedBytes;

absl::Time Start() { return absl::FromUnixSeconds(1'700'000'000); }

// A FirstSeedSource that counts calls and, when asked, holds every call until
// released, so callers pile up behind an in-flight request.
class CountingSource final : public FirstSeedSource {
 public:
  absl::StatusOr<FirstSeed> Fetch(absl::Time deadline, uint32_t renew_epoch) override {
    ++calls;
    if (hold) released.wait();
    if (!fail.ok()) return fail;
    return FirstSeed{Gw(), 1, SecretBytes::CopyFrom(std::string(32, static_cast<char>(calls)))};
  }
  absl::StatusOr<SeedStatus> Status(absl::Time, uint32_t) override {
    return absl::UnimplementedError("not used");
  }
  std::atomic<int> calls{0};
  bool hold = false;
  // std::promise rather than absl::Notification: TSan sees through libstdc++.
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  absl::Status fail;
};

std::string TempFile() {
  return cpns::test::NewTempDir("cpns_seed_cache") + "/first_seed";
}

absl::Time Later() { return absl::Now() + absl::Minutes(5); }

TEST(SeedCacheTest, FetchedAndLoadedSeedsComePreparedForTheirSecondSeeds) {
  CountingSource source;
  FakeClock clock(Start());
  const std::string file = TempFile();
  SeedCache cache(Gw(), source, file, clock);
  const FirstSeed fetched = *cache.Get(Later());
  SeedCache restarted(Gw(), source, file, clock);
  ASSERT_TRUE(restarted.LoadSaved().ok());
  const FirstSeed loaded = *restarted.Get(Later());
  EXPECT_EQ(source.calls.load(), 1);  // the second came from the file
  const Assignee a{EntityType::kPne, *EntityId::Parse("e"), *UserId::Parse("u")};
  const std::string nonce(kNonceSize, 'n');
  for (const FirstSeed* seed : {&fetched, &loaded}) {
    ASSERT_NE(seed->second_seed_deriver, nullptr);
    EXPECT_TRUE(*seed->second_seed_deriver->Derive(Gw(), a, nonce) ==
                *DeriveSecondSeed(seed->first_seed, Gw(), a, nonce));
  }
}

TEST(SeedCacheTest, ConcurrentMissesMakeOneUpstreamCall) {
  constexpr int kCallers = 1000;
  CountingSource source;
  source.hold = true;
  FakeClock clock(Start());
  SeedCache cache(Gw(), source, "", clock);
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
  FakeClock clock(Start());
  SeedCache cache(Gw(), source, "", clock);
  ASSERT_TRUE(cache.Get(Later()).ok());
  ASSERT_TRUE(cache.Get(Later()).ok());
  EXPECT_EQ(source.calls.load(), 1);
  EXPECT_EQ(cache.held_epoch(), 1u);
}

TEST(SeedCacheTest, FailureIsUnavailableThenFailsFastUntilTheBackoffEnds) {
  CountingSource source;
  source.fail = absl::UnavailableError("connection refused");
  FakeClock clock(Start());
  SeedCache cache(Gw(), source, "", clock);
  absl::StatusOr<FirstSeed> s = cache.Get(Later());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("connection refused"), absl::string_view::npos);
  EXPECT_FALSE(cache.held_epoch().has_value());
  EXPECT_EQ(cache.unreachable_since(), Start());
  // Within the back-off: no upstream call, the same reason, when to expect more.
  for (int i = 0; i < 10; ++i) {
    s = cache.Get(Later());
    EXPECT_NE(s.status().message().find("next attempt in"), absl::string_view::npos);
  }
  EXPECT_EQ(source.calls.load(), 1);
  EXPECT_FALSE(cache.BackgroundFetchDue());
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(cache.BackgroundFetchDue());
  ASSERT_FALSE(cache.Refresh(Later(), 0).ok());  // the background attempt, still down
  EXPECT_EQ(source.calls.load(), 2);
  EXPECT_GE(cache.next_attempt(), Start() + absl::Seconds(1) + absl::Milliseconds(1600))
      << "the back-off doubled";
  clock.Advance(SeedCache::kRetryCap);
  source.fail = absl::OkStatus();
  EXPECT_TRUE(cache.Get(Later()).ok());
  EXPECT_EQ(source.calls.load(), 3);
  EXPECT_EQ(cache.unreachable_since(), absl::InfinitePast());
  EXPECT_FALSE(cache.BackgroundFetchDue());
}

TEST(SeedCacheTest, WaiterWhoseDeadlinePassesGetsUnavailable) {
  CountingSource source;
  source.hold = true;
  FakeClock clock(Start());
  SeedCache cache(Gw(), source, "", clock);
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
  absl::StatusOr<FirstSeed> Fetch(absl::Time deadline, uint32_t renew_epoch) override {
    if (++calls == 1) released.wait();  // the first call is in flight until released
    if (absl::Now() >= deadline) return absl::DeadlineExceededError("Deadline Exceeded");
    return FirstSeed{Gw(), 1, SecretBytes::CopyFrom(std::string(32, 'x'))};
  }
  absl::StatusOr<SeedStatus> Status(absl::Time, uint32_t) override {
    return absl::UnimplementedError("not used");
  }
  std::atomic<int> calls{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
};

// A caller with a deadline that has already passed cannot make the fetch
// fail for callers that still have time.
TEST(SeedCacheTest, ALeaderWithoutTimeLeftDoesNotFailTheOthers) {
  DeadlineSource source;
  FakeClock clock(Start());
  SeedCache cache(Gw(), source, "", clock);
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
  FakeClock clock(Start());
  {
    SeedCache cache(Gw(), source, file, clock);
    ASSERT_TRUE(cache.LoadSaved().ok());
    ASSERT_TRUE(cache.Get(Later()).ok());
  }
  SeedCache restarted(Gw(), source, file, clock);
  ASSERT_TRUE(restarted.LoadSaved().ok());
  EXPECT_EQ(restarted.held_epoch(), 1u);
  EXPECT_EQ(restarted.Get(Later())->first_seed.RevealSecret(), std::string(32, '\1'));
  EXPECT_EQ(source.calls.load(), 1);
}

// --- Expiry, Refresh and Drop, against the miniature server ----------------

constexpr absl::Duration kLifetime = absl::Hours(100);

// Waits until `n` callers wait on the fetch in flight; false after a minute
// (a hang guard for when the code under test does not wait at all).
bool AwaitWaiters(const SeedCache& cache, int n) {
  const absl::Time give_up = absl::Now() + absl::Minutes(1);
  while (cache.waiting_callers() < n) {
    if (absl::Now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

std::string Bytes(const absl::StatusOr<FirstSeed>& s) {
  return s.ok() ? std::string(s->first_seed.RevealSecret()) : s.status().ToString();
}

TEST(SeedCacheTest, ExpiredSeedIsFetchedAgain) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, "", clock);
  ASSERT_EQ(Bytes(cache.Get(Later())), SeedBytes(1));
  clock.Advance(kLifetime - absl::Seconds(1));
  EXPECT_EQ(Bytes(cache.Get(Later())), SeedBytes(1));
  EXPECT_EQ(source.fetches(), 1) << "still valid: served from memory";
  clock.Advance(absl::Seconds(1));  // now == expires_at
  absl::StatusOr<FirstSeed> renewed = cache.Get(Later());
  EXPECT_EQ(Bytes(renewed), SeedBytes(2));
  EXPECT_EQ(source.fetches(), 2);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->expires_at, Start() + 2 * kLifetime);
}

TEST(SeedCacheTest, SeedAlreadyExpiredByOurClockIsRefused) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  source.SetSentExpiry(Start() - absl::Seconds(1));  // the server's clock is behind
  SeedCache cache(Gw(), source, "", clock);
  absl::StatusOr<FirstSeed> s = cache.Get(Later());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(s.status().message().find("expired"), absl::string_view::npos) << s.status();
  EXPECT_FALSE(cache.held_epoch().has_value());
}

TEST(SeedCacheTest, RefreshReplacesTheSeedWhenTheServerSendsANewEpoch) {
  const std::string file = TempFile();
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, file, clock);
  ASSERT_TRUE(cache.Get(Later()).ok());
  clock.Advance(kLifetime * 0.75);
  ASSERT_TRUE(cache.Refresh(Later(), 1).ok());
  EXPECT_EQ(source.calls().back().epoch, 1u) << "asked to renew epoch 1";
  EXPECT_EQ(cache.held_epoch(), 2u);
  EXPECT_EQ(Bytes(cache.Get(Later())), SeedBytes(2));
  absl::StatusOr<FirstSeed> saved = LoadSeedFile(file, Gw());
  ASSERT_TRUE(saved.ok()) << saved.status();
  EXPECT_EQ(saved->seed_epoch, 2u);
  EXPECT_EQ(saved->expires_at, Start() + kLifetime * 1.75);
  EXPECT_EQ(source.fetches(), 2);
}

TEST(SeedCacheTest, FailedRefreshKeepsServingTheHeldSeed) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, "", clock);
  ASSERT_TRUE(cache.Get(Later()).ok());
  source.SetFetchError(absl::UnavailableError("connection refused"));
  const absl::Status refreshed = cache.Refresh(Later(), 1);
  EXPECT_EQ(refreshed.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(cache.held_epoch(), 1u);
  EXPECT_EQ(Bytes(cache.Get(Later())), SeedBytes(1));
  EXPECT_EQ(source.fetches(), 2) << "the Get after the failed refresh did not fetch";
}

// Get leads the fetch; a Refresh arriving meanwhile joins it.
TEST(SeedCacheTest, RefreshDuringAFetchJoinsIt) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  std::promise<void> release;
  source.SetGate(release.get_future().share());
  SeedCache cache(Gw(), source, "", clock);
  absl::StatusOr<FirstSeed> got;
  std::thread getter([&] { got = cache.Get(Later()); });
  ASSERT_TRUE(source.WaitForCalls(1));
  absl::Status refreshed;
  std::thread refresher([&] { refreshed = cache.Refresh(Later(), 0); });
  const bool joined = AwaitWaiters(cache, 1);
  release.set_value();
  getter.join();
  refresher.join();
  EXPECT_TRUE(joined) << "the Refresh did not wait for the fetch in flight";
  EXPECT_TRUE(refreshed.ok()) << refreshed;
  EXPECT_EQ(Bytes(got), SeedBytes(1));
  EXPECT_EQ(source.fetches(), 1);
  EXPECT_EQ(cache.upstream_requests(), 1u);
}

// Refresh leads the fetch (the held seed has expired); a Get waits for it.
TEST(SeedCacheTest, GetDuringARefreshOfAnExpiredSeedWaitsForIt) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, "", clock);
  ASSERT_TRUE(cache.Get(Later()).ok());
  clock.Advance(kLifetime);
  std::promise<void> release;
  source.SetGate(release.get_future().share());
  absl::Status refreshed;
  std::thread refresher([&] { refreshed = cache.Refresh(Later(), 1); });
  ASSERT_TRUE(source.WaitForCalls(2));
  absl::StatusOr<FirstSeed> got;
  std::thread getter([&] { got = cache.Get(Later()); });
  const bool waited = AwaitWaiters(cache, 1);
  release.set_value();
  refresher.join();
  getter.join();
  EXPECT_TRUE(waited) << "the Get did not wait for the refresh in flight";
  EXPECT_TRUE(refreshed.ok()) << refreshed;
  EXPECT_EQ(Bytes(got), SeedBytes(2));
  EXPECT_EQ(source.fetches(), 2) << "one for the first Get, one shared by Refresh and Get";
}

// While a refresh is in flight, a still-valid seed is served without waiting.
TEST(SeedCacheTest, GetDuringARefreshServesTheValidSeed) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, "", clock);
  ASSERT_TRUE(cache.Get(Later()).ok());
  std::promise<void> release;
  source.SetGate(release.get_future().share());
  std::thread refresher([&] { EXPECT_TRUE(cache.Refresh(Later(), 1).ok()); });
  ASSERT_TRUE(source.WaitForCalls(2));
  // Were it to wait for the refresh, it would get Unavailable at its deadline.
  EXPECT_EQ(Bytes(cache.Get(absl::Now() + absl::Seconds(30))), SeedBytes(1));
  release.set_value();
  refresher.join();
  EXPECT_EQ(cache.held_epoch(), 2u);
}

TEST(SeedCacheTest, DropForgetsTheSeedAndRemovesTheFile) {
  const std::string file = TempFile();
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, file, clock);
  ASSERT_TRUE(cache.Get(Later()).ok());
  ASSERT_TRUE(LoadSeedFile(file, Gw()).ok());
  ASSERT_TRUE(cache.Drop().ok());
  EXPECT_FALSE(cache.held().has_value());
  EXPECT_EQ(LoadSeedFile(file, Gw()).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(cache.Drop().ok()) << "dropping twice is fine";
  ASSERT_TRUE(cache.Get(Later()).ok());
  EXPECT_EQ(source.fetches(), 2) << "the next Get fetches again";
}

// A fetch that was in flight when the seed was dropped must not resurrect it.
TEST(SeedCacheTest, DropDiscardsAFetchInFlight) {
  const std::string file = TempFile();
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  std::promise<void> release;
  source.SetGate(release.get_future().share());
  SeedCache cache(Gw(), source, file, clock);
  absl::StatusOr<FirstSeed> got;
  std::thread getter([&] { got = cache.Get(Later()); });
  ASSERT_TRUE(source.WaitForCalls(1));
  ASSERT_TRUE(cache.Drop().ok());
  release.set_value();
  getter.join();
  EXPECT_EQ(got.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(cache.held().has_value());
  EXPECT_EQ(LoadSeedFile(file, Gw()).status().code(), absl::StatusCode::kNotFound);
}

TEST(SeedCacheTest, ReportsTheHeldSeedAndTheLastUpstreamContact) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, "", clock);
  EXPECT_FALSE(cache.held().has_value());
  EXPECT_EQ(cache.last_upstream_contact(), absl::InfinitePast());
  ASSERT_TRUE(cache.Get(Later()).ok());
  const std::optional<HeldSeedInfo> held = cache.held();
  ASSERT_TRUE(held.has_value());
  EXPECT_EQ(held->seed_epoch, 1u);
  EXPECT_EQ(held->created_at, Start());
  EXPECT_EQ(held->expires_at, Start() + kLifetime);
  EXPECT_EQ(cache.last_upstream_contact(), Start());
  clock.Advance(absl::Minutes(1));
  ASSERT_TRUE(cache.QueryStatus(Later(), 1).ok());
  EXPECT_EQ(cache.last_upstream_contact(), Start() + absl::Minutes(1));
  clock.Advance(absl::Minutes(1));
  source.SetStatusError(absl::UnavailableError("down"));
  EXPECT_FALSE(cache.QueryStatus(Later(), 1).ok());
  EXPECT_EQ(cache.last_upstream_contact(), Start() + absl::Minutes(1)) << "failures do not count";
}

// A gateway holding a seed only asks the server for its status between
// renewals: those queries alone must show the server going away and coming
// back. A refusal is the server answering.
TEST(SeedCacheTest, StatusQueriesShowWhetherTheServerCanBeReached) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, "", clock);
  FakeGauge up;
  cache.SetMetrics({.upstream_up = &up});
  ASSERT_TRUE(cache.Get(Later()).ok());
  const std::pair<absl::Status, double> cases[] = {
      {absl::UnavailableError("connection refused"), 0},
      {absl::OkStatus(), 1},
      {absl::DeadlineExceededError("no answer"), 0},
      {absl::PermissionDeniedError("gateway revoked"), 1},
      {absl::UnavailableError("connection refused"), 0},
      {absl::NotFoundError("unknown gateway"), 1},
  };
  for (const auto& [outcome, expected] : cases) {
    source.SetStatusError(outcome);
    (void)cache.QueryStatus(Later(), 1);
    EXPECT_EQ(up.value(), expected) << outcome;
  }
}

TEST(SeedCacheTest, ARefusedFetchShowsTheServerReachable) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kLifetime);
  SeedCache cache(Gw(), source, "", clock);
  FakeGauge up;
  cache.SetMetrics({.upstream_up = &up});
  source.SetFetchError(absl::UnavailableError("connection refused"));
  ASSERT_FALSE(cache.Get(Later()).ok());
  EXPECT_EQ(up.value(), 0);
  clock.Advance(SeedCache::kRetryCap);  // past the back-off
  source.SetFetchError(absl::PermissionDeniedError("gateway revoked"));
  ASSERT_FALSE(cache.Get(Later()).ok());
  EXPECT_EQ(up.value(), 1);
}

}  // namespace
}  // namespace cpns::gateway
