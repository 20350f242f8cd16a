// SeedStore conformance: the seed lifecycle the operator drives: rotation, retirement, revocation.
#include "storage/seed_store_conformance.h"

namespace cpns::storage::conformance {
namespace {

TEST_P(SeedStoreConformanceTest, RotateMakesTheNextEpochActiveAndTheOldOneRotated) {
  auto store = Open();
  const GatewayId gw = Gw("gw-a");
  EXPECT_EQ(store->Rotate(gw, absl::Hours(5), "admin:alice@host").status().code(),
            absl::StatusCode::kNotFound);
  const StoredSeed first = Ok(store->GetOrCreateActive(gw));
  clock_.Advance(absl::Hours(1));
  const SeedRecord rotated = Ok(store->Rotate(gw, absl::Hours(5), "admin:alice@host"));
  EXPECT_EQ(rotated.gw_id, gw);
  EXPECT_EQ(rotated.seed_epoch, 2u);
  EXPECT_EQ(rotated.state, SeedState::kActive);
  EXPECT_EQ(rotated.kek_id, kek_.id());
  EXPECT_EQ(rotated.created_at, clock_.Now());
  EXPECT_EQ(rotated.expires_at, clock_.Now() + absl::Hours(5));
  const StoredSeed active = Ok(Open()->GetOrCreateActive(gw));
  EXPECT_EQ(active.seed_epoch, 2u);
  EXPECT_EQ(active.expires_at, rotated.expires_at);
  EXPECT_FALSE(active.first_seed == first.first_seed);
  EXPECT_EQ(Ok(store->Rotate(gw, absl::Hours(5), "admin:alice@host")).seed_epoch, 3u);
  EXPECT_THAT(States(Ok(store->List())),
              ElementsAre(SeedState::kRotated, SeedState::kRotated, SeedState::kActive));
}

TEST_P(SeedStoreConformanceTest, OnlyARotatedEpochCanBeRetired) {
  auto store = Open();
  const GatewayId gw = Gw("gw-a");
  EXPECT_EQ(store->Retire(gw, 1, "admin").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->GetOrCreateActive(gw).ok());
  EXPECT_EQ(store->Retire(gw, 1, "admin").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Ok(store->Get(gw, 1)).state, SeedState::kActive);
  ASSERT_TRUE(store->Rotate(gw, absl::Hours(5), "admin").ok());
  EXPECT_TRUE(store->Retire(gw, 1, "admin").ok());
  EXPECT_EQ(Ok(store->Get(gw, 1)).state, SeedState::kRetired);
  EXPECT_TRUE(store->Retire(gw, 1, "admin").ok()) << "retiring again changes nothing";
  EXPECT_EQ(store->Retire(gw, 3, "admin").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Retire(gw, 2, "admin").code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(store->RevokeEpoch(gw, 2, "leaked", "admin").ok());
  EXPECT_EQ(store->Retire(gw, 2, "admin").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(States(Ok(store->List())), ElementsAre(SeedState::kRetired, SeedState::kRevoked));
  EXPECT_EQ(Ok(store->ListAudit({.action = kAuditSeedRetire})).size(), 1u);
}

TEST_P(SeedStoreConformanceTest, RevokingTheActiveEpochMakesTheNextRequestIssueANewOne) {
  auto store = Open();
  const GatewayId gw = Gw("gw-a");
  const StoredSeed first = Ok(store->GetOrCreateActive(gw));
  ASSERT_TRUE(store->RevokeEpoch(gw, 1, "leaked", "admin:bob@host").ok());
  EXPECT_EQ(Ok(store->Get(gw, 1)).state, SeedState::kRevoked);
  const StoredSeed next = Ok(store->GetOrCreateActive(gw));
  EXPECT_EQ(next.seed_epoch, 2u);
  EXPECT_FALSE(next.first_seed == first.first_seed);
  EXPECT_EQ(Ok(store->Get(gw, 1)).state, SeedState::kRevoked) << "not turned into rotated";
  EXPECT_EQ(store->RevokeEpoch(gw, 9, "typo", "admin").code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->Rotate(gw, absl::Hours(5), "admin").ok());
  EXPECT_TRUE(store->RevokeEpoch(gw, 2, "old", "admin").ok()) << "a rotated epoch";
  EXPECT_TRUE(store->RevokeEpoch(gw, 1, "again", "admin").ok()) << "idempotent";
  EXPECT_THAT(States(Ok(store->List())),
              ElementsAre(SeedState::kRevoked, SeedState::kRevoked, SeedState::kActive));
  EXPECT_FALSE(Ok(store->ListGateways(gw)).at(0).revoked_at.has_value());
}

TEST_P(SeedStoreConformanceTest, ARevokedGatewayGetsNoSeedAndCannotBeRotated) {
  auto store = Open();
  const GatewayId gw = Gw("gw-a");
  ASSERT_TRUE(store->GetOrCreateActive(gw).ok());
  ASSERT_TRUE(store->Rotate(gw, absl::Hours(5), "admin").ok());
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-other")).ok());
  const absl::Time revoked_at = clock_.Now();
  ASSERT_TRUE(store->RevokeGateway(gw, "stolen", "admin:carol@host").ok());
  clock_.Advance(absl::Hours(1));
  EXPECT_TRUE(store->RevokeGateway(gw, "again", "admin").ok()) << "idempotent";
  const std::vector<GatewayRecord> found = Ok(store->ListGateways(gw));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].revoked_at, revoked_at) << "the first revocation is kept";
  EXPECT_EQ(found[0].revoke_reason, "stolen");
  EXPECT_THAT(States(found[0].seeds), ElementsAre(SeedState::kRevoked, SeedState::kRevoked));
  EXPECT_EQ(found[0].active(), nullptr);
  auto replica = Open();
  EXPECT_EQ(replica->GetOrCreateActive(gw).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store->GetOrCreateActive(gw, {.renew_epoch = 2}).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store->Rotate(gw, absl::Hours(5), "admin").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Ok(store->List()).size(), 3u) << "no epoch was added";
  EXPECT_EQ(Ok(replica->GetOrCreateActive(Gw("gw-other"))).state, SeedState::kActive);
}

TEST_P(SeedStoreConformanceTest, RevokingAGatewayBeforeItsFirstSeedBlocksIt) {
  auto store = Open();
  ASSERT_TRUE(store->RevokeGateway(Gw("gw-new"), "never enrolled", "admin").ok());
  EXPECT_EQ(store->GetOrCreateActive(Gw("gw-new")).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store->Rotate(Gw("gw-new"), absl::Hours(5), "admin").status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(Ok(store->List()), IsEmpty());
  const std::vector<GatewayRecord> found = Ok(store->ListGateways(Gw("gw-new")));
  ASSERT_EQ(found.size(), 1u);
  EXPECT_THAT(found[0].seeds, IsEmpty());
  EXPECT_EQ(found[0].revoked_at, clock_.Now());
  EXPECT_EQ(found[0].revoke_reason, "never enrolled");
}

TEST_P(SeedStoreConformanceTest, ListGatewaysIsOrderedBytewiseFilteredAndShowsRevocations) {
  auto store = Open();
  // Bytewise: upper case before lower case, '-' before 'a' before '_'. A
  // linguistic collation would order these differently.
  for (const char* id : {"gw-b", "gw_c", "gw-a", "GW-Z", "gw-B"}) {
    ASSERT_TRUE(store->GetOrCreateActive(Gw(id)).ok());
  }
  ASSERT_TRUE(store->RevokeGateway(Gw("gw-aa"), "test", "admin").ok());
  ASSERT_TRUE(store->Rotate(Gw("gw-a"), absl::Hours(5), "admin").ok());
  std::vector<std::string> ids;
  for (const GatewayRecord& g : Ok(store->ListGateways(std::nullopt))) {
    ids.push_back(g.gw_id.value());
  }
  EXPECT_THAT(ids, ElementsAre("GW-Z", "gw-B", "gw-a", "gw-aa", "gw-b", "gw_c"));
  std::vector<std::string> listed;
  for (const SeedRecord& s : Ok(store->List())) listed.push_back(s.gw_id.value());
  EXPECT_THAT(listed, ElementsAre("GW-Z", "gw-B", "gw-a", "gw-a", "gw-b", "gw_c"));

  const std::vector<GatewayRecord> a = Ok(store->ListGateways(Gw("gw-a")));
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(a[0].seeds.size(), 2u);
  EXPECT_EQ(a[0].seeds[0].seed_epoch, 1u);
  EXPECT_EQ(a[0].seeds[1].seed_epoch, 2u);
  ASSERT_NE(a[0].active(), nullptr);
  EXPECT_EQ(a[0].active()->seed_epoch, 2u);
  EXPECT_FALSE(a[0].revoked_at.has_value());
  EXPECT_THAT(Ok(store->ListGateways(Gw("nobody"))), IsEmpty());
  const std::vector<GatewayRecord> aa = Ok(store->ListGateways(Gw("gw-aa")));
  ASSERT_EQ(aa.size(), 1u);
  EXPECT_THAT(aa[0].seeds, IsEmpty());
  EXPECT_TRUE(aa[0].revoked_at.has_value());
}

TEST_P(SeedStoreConformanceTest, AStoreOpenedWritableWithoutKeysCanRetireRevokeAndAudit) {
  const GatewayId gw = Gw("gw-a");
  {
    auto keyed = Open();
    ASSERT_TRUE(keyed->GetOrCreateActive(gw).ok());
    ASSERT_TRUE(keyed->Rotate(gw, absl::Hours(5), "admin").ok());
    ASSERT_TRUE(keyed->GetOrCreateActive(Gw("gw-b")).ok());
  }
  auto admin = OpenWith({.keys = nullptr, .writable = true});
  EXPECT_TRUE(admin->Retire(gw, 1, "admin:eve@host").ok());
  EXPECT_TRUE(admin->RevokeEpoch(gw, 2, "leaked", "admin:eve@host").ok());
  EXPECT_TRUE(admin->RevokeKey(Fingerprint('\x02'), "gw-a", "lost", "admin:eve@host").ok());
  EXPECT_TRUE(admin->RevokeGateway(Gw("gw-b"), "stolen", "admin:eve@host").ok());
  EXPECT_TRUE(admin->AppendAudit({.actor = "admin:eve@host", .action = "note"}).ok());
  EXPECT_EQ(Ok(admin->ListAudit({.action = kAuditSeedRetire})).size(), 1u);
  EXPECT_EQ(Ok(admin->ListGateways(std::nullopt)).size(), 2u);
  // What needs seed bytes is refused.
  EXPECT_EQ(admin->Rotate(gw, absl::Hours(5), "admin").status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(admin->LookupForAuth(gw, 1, Fingerprint('\x02')).status().code(),
            absl::StatusCode::kFailedPrecondition);

  auto keyed = Open();
  EXPECT_EQ(Ok(keyed->Get(gw, 1)).state, SeedState::kRetired);
  EXPECT_TRUE(Ok(keyed->LookupForAuth(gw, 2, Fingerprint('\x02'))).key_revoked);
  EXPECT_EQ(keyed->GetOrCreateActive(Gw("gw-b")).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(Ok(keyed->GetOrCreateActive(gw)).seed_epoch, 3u) << "epoch 2 was revoked";
}

}  // namespace
}  // namespace cpns::storage::conformance
