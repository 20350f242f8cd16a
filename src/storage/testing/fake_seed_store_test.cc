// The in-memory FakeSeedStore keeps the parts of the store contract that the
// services' unit tests rely on, as the conformance suite checks them for the
// real backends.
#include "core/fake_clock.h"
#include "storage/testing/fake_seed_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cpns::storage::fakes {
namespace {

using ::testing::ElementsAre;

const GatewayId kGw = *GatewayId::Parse("gw-a");

class FakeSeedStoreTest : public ::testing::Test {
 protected:
  std::vector<std::string> Actions() {
    const std::vector<AuditEvent> events = *store_.ListAudit({});
    std::vector<std::string> out;
    for (const AuditEvent& e : events) out.push_back(e.action);
    return out;
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  FakeSeedStore store_{clock_};
};

TEST_F(FakeSeedStoreTest, IssuesEpochOneOnceAndRenewsAfterAQuarterOfItsLifetime) {
  const IssueOptions renew{.lifetime = absl::Hours(100), .renew_epoch = 1};
  const StoredSeed first = *store_.GetOrCreateActive(kGw, renew);
  EXPECT_EQ(first.seed_epoch, 1u);
  EXPECT_EQ(first.first_seed.size(), 32u);
  EXPECT_EQ(first.expires_at, clock_.Now() + absl::Hours(100));
  clock_.Advance(absl::Hours(24));
  EXPECT_EQ(store_.GetOrCreateActive(kGw, renew)->first_seed, first.first_seed);
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(store_.GetOrCreateActive(kGw, renew)->seed_epoch, 2u);
  EXPECT_EQ(store_.Get(kGw, 1)->state, SeedState::kRotated);
  EXPECT_THAT(Actions(), ElementsAre(kAuditSeedIssue, kAuditSeedRotate));
}

TEST_F(FakeSeedStoreTest, AnExpiredSeedIsReplaced) {
  ASSERT_TRUE(store_.GetOrCreateActive(kGw, {.lifetime = absl::Hours(1)}).ok());
  clock_.Advance(absl::Hours(1));
  EXPECT_EQ(store_.GetOrCreateActive(kGw)->seed_epoch, 2u);
}

TEST_F(FakeSeedStoreTest, LifecycleRefusalsAreTheBackends) {
  EXPECT_EQ(store_.Rotate(kGw, absl::Hours(1), "admin").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_.GetOrCreateActive(kGw).ok());
  EXPECT_EQ(store_.Retire(kGw, 1, "admin").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_.Retire(kGw, 9, "admin").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.Rotate(kGw, absl::Hours(1), "admin")->seed_epoch, 2u);
  EXPECT_TRUE(store_.Retire(kGw, 1, "admin").ok());
  EXPECT_TRUE(store_.Retire(kGw, 1, "admin").ok()) << "retiring twice changes nothing";
  ASSERT_TRUE(store_.RevokeEpoch(kGw, 2, "leaked", "admin").ok());
  EXPECT_EQ(store_.GetOrCreateActive(kGw)->seed_epoch, 3u);
  ASSERT_TRUE(store_.RevokeGateway(kGw, "stolen", "admin").ok());
  EXPECT_EQ(store_.GetOrCreateActive(kGw).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_.Rotate(kGw, absl::Hours(1), "admin").status().code(),
            absl::StatusCode::kPermissionDenied);
  const GatewayRecord record = store_.ListGateways(kGw)->front();
  EXPECT_TRUE(record.revoked_at.has_value());
  EXPECT_EQ(record.active(), nullptr);
}

TEST_F(FakeSeedStoreTest, LookupForAuthSaysWhatIsRevoked) {
  ASSERT_TRUE(store_.GetOrCreateActive(kGw).ok());
  const std::string key(32, '\x01');
  EXPECT_FALSE(store_.LookupForAuth(kGw, 1, key)->key_revoked);
  ASSERT_TRUE(store_.RevokeKey(key, "gw-a", "lost", "admin").ok());
  EXPECT_TRUE(store_.LookupForAuth(kGw, 1, key)->key_revoked);
  EXPECT_FALSE(store_.LookupForAuth(kGw, 1, std::string(32, '\x02'))->key_revoked);
  EXPECT_EQ(store_.LookupForAuth(kGw, 2, key).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_.RevokeKey("short", "", "", "admin").code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(FakeSeedStoreTest, ChallengesAreUsedOnceAndSecretsKept) {
  EXPECT_TRUE(store_.ConsumeChallenge("c1", clock_.Now()).ok());
  EXPECT_EQ(store_.ConsumeChallenge("c1", clock_.Now()).code(), absl::StatusCode::kAlreadyExists);
  const SecretBytes key = *store_.GetOrCreateServerSecret("challenge-key");
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(*store_.GetOrCreateServerSecret("challenge-key"), key);
}

TEST_F(FakeSeedStoreTest, AuditIsFilteredAndPruned) {
  ASSERT_TRUE(store_.AppendAudit({.actor = "a", .action = "note", .gw_id = "gw-a"}).ok());
  clock_.Advance(absl::Hours(1));
  ASSERT_TRUE(store_.AppendAudit({.actor = "b", .action = "note", .gw_id = "gw-b"}).ok());
  EXPECT_EQ(store_.ListAudit({.gw_id = "gw-b"})->size(), 1u);
  EXPECT_EQ(store_.ListAudit({.after_id = 1})->front().actor, "b");
  EXPECT_EQ(store_.ListAudit({.limit = 1})->size(), 1u);
  EXPECT_EQ(store_.ListAudit({.limit = -1}).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(*store_.PruneAudit(clock_.Now(), "admin"), 1);
  EXPECT_THAT(Actions(), ElementsAre("note", kAuditPrune));
}

TEST_F(FakeSeedStoreTest, AnInjectedFailureFailsEveryCallAndChangesNothing) {
  store_.FailWith(absl::UnavailableError("down"));
  EXPECT_EQ(store_.GetOrCreateActive(kGw).status().code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_.AppendAudit({.actor = "a", .action = "note"}).code(),
            absl::StatusCode::kUnavailable);
  EXPECT_EQ(store_.calls(), 2);
  store_.FailWith(absl::OkStatus());
  EXPECT_TRUE(store_.List()->empty());
  EXPECT_TRUE(store_.ListAudit({})->empty());
}

}  // namespace
}  // namespace cpns::storage::fakes
