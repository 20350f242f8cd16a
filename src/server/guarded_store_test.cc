#include "server/guarded_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "core/fake_clock.h"
#include "storage/kek.h"
#include "storage/open_store.h"
#include "storage/testing/fake_seed_store.h"
#include "support/temp_dir.h"

namespace cpns::server {
namespace {

// A SQLite store whose file gets corrupted while it is open, as a failing
// disk or a stray writer would.
TEST(GuardedStoreTest, ACorruptStoreIsReportedOnceAndNeverUsedAgain) {
  const std::string path = test::NewTempDir("cpns_guarded") + "/seeds.db";
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const storage::KeyRing ring = *storage::KeyRing::Create({*storage::Kek::Generate()});
  const storage::StoreOptions options{.keys = &ring, .migrate = true};
  {
    // Closed, so every page is in the database file rather than its WAL.
    auto store = *storage::OpenSeedStore(path, options, clock);
    ASSERT_TRUE(store->GetOrCreateActive(*GatewayId::Parse("gw-a")).ok());
  }
  auto store = *storage::OpenSeedStore(path, options, clock);
  std::vector<absl::Status> reported;
  GuardedStore guarded(*store, [&](const absl::Status& s) { reported.push_back(s); });
  ASSERT_TRUE(guarded.GetOrCreateActive(*GatewayId::Parse("gw-a")).ok());

  {
    // Every page but the first (the header and the schema) becomes garbage.
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const std::streamoff size = f.tellg();
    ASSERT_GT(size, 4096);
    f.seekp(4096);
    const std::string garbage(static_cast<size_t>(size - 4096), '\x5A');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  const absl::Status s = guarded.GetOrCreateActive(*GatewayId::Parse("gw-b")).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("corrupt"));
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_TRUE(guarded.corrupt());

  const absl::Status after = guarded.GetOrCreateActive(*GatewayId::Parse("gw-c")).status();
  EXPECT_EQ(after.code(), absl::StatusCode::kUnavailable) << after;
  EXPECT_EQ(guarded.ListAudit({}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(reported.size(), 1u) << "reported once";
}

// Only a database that reports itself corrupt trips the guard (not an
// outage, not one bad row); once tripped, no call of any guarded role
// reaches the store.
TEST(GuardedStoreTest, OnceCorruptNoRoleReachesTheStore) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  storage::fakes::FakeSeedStore store(clock);
  int reported = 0;
  GuardedStore guarded(store, [&](const absl::Status&) { ++reported; });
  store.FailWith(absl::UnavailableError("down"));
  EXPECT_EQ(guarded.AppendAudit({.actor = "a", .action = "note"}).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_FALSE(guarded.corrupt()) << "only a corrupt store trips the guard";
  store.FailWith(absl::DataLossError("gateway gw-a epoch 1 does not decrypt"));
  EXPECT_EQ(guarded.Get(*GatewayId::Parse("gw-a"), 1).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_FALSE(guarded.corrupt()) << "one bad row is not a corrupt database";
  store.FailWith(storage::fakes::CorruptStoreError());
  EXPECT_EQ(guarded.ConsumeChallenge("c", clock.Now()).code(), absl::StatusCode::kDataLoss);
  EXPECT_TRUE(guarded.corrupt());
  store.FailWith(absl::OkStatus());
  const int calls = store.calls();
  const GatewayId gw = *GatewayId::Parse("gw-a");
  EXPECT_EQ(guarded.GetOrCreateActive(gw).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.Get(gw, 1).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.ListGateways(gw).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.List().status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.PruneAudit(clock.Now(), "a").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.LookupForAuth(gw, 1, "").status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.GetOrCreateServerSecret("k").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.ConsumeChallenge("c", clock.Now()).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.AppendAudit({.actor = "a", .action = "note"}).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(guarded.ListAudit({}).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store.calls(), calls) << "the store was reached after it was found corrupt";
  EXPECT_EQ(reported, 1);
}

}  // namespace
}  // namespace cpns::server
