// SeedStore conformance: the audit log: what each change records, queries and retention.
#include "storage/seed_store_conformance.h"

#include "cpns/core/hex.h"

namespace cpns::storage::conformance {
namespace {

// "actor action gw_id epoch" of each event.
std::vector<std::string> Summaries(const std::vector<AuditEvent>& events) {
  std::vector<std::string> out;
  for (const AuditEvent& e : events) {
    out.push_back(absl::StrCat(e.actor, " ", e.action, " ", e.gw_id, " ", e.seed_epoch));
  }
  return out;
}

TEST_P(SeedStoreConformanceTest, EveryLifecycleChangeIsAuditedWithWhoWhatAndWhich) {
  auto store = Open();
  const GatewayId gw = Gw("gw-a");
  const absl::Time start = clock_.Now();
  const IssueOptions by_gateway{.lifetime = absl::Hours(10), .actor = "gw:gw-a"};
  std::vector<SecretBytes> seeds;
  seeds.push_back(Ok(store->GetOrCreateActive(gw, by_gateway)).first_seed);
  clock_.Advance(absl::Hours(10));
  seeds.push_back(Ok(store->GetOrCreateActive(gw, by_gateway)).first_seed);  // expired
  ASSERT_TRUE(store->Rotate(gw, absl::Hours(10), "admin:alice@host").ok());
  ASSERT_TRUE(store->Retire(gw, 1, "admin:alice@host").ok());
  ASSERT_TRUE(store->RevokeEpoch(gw, 2, "leaked", "admin:bob@host").ok());
  ASSERT_TRUE(store->RevokeKey(Fingerprint('\x07'), "gw-a", "lost phone", "admin:bob@host").ok());
  ASSERT_TRUE(store->RevokeGateway(gw, "stolen", "admin:carol@host").ok());
  seeds.push_back(Ok(store->GetOrCreateActive(Gw("gw-b"))).first_seed);  // no actor given

  const std::vector<AuditEvent> events = Ok(store->ListAudit({}));
  EXPECT_THAT(Summaries(events),
              ElementsAre("gw:gw-a seed.issue gw-a 1", "gw:gw-a seed.rotate gw-a 2",
                          "admin:alice@host seed.rotate gw-a 3",
                          "admin:alice@host seed.retire gw-a 1",
                          "admin:bob@host seed.revoke gw-a 2", "admin:bob@host key.revoke gw-a 0",
                          "admin:carol@host gateway.revoke gw-a 0", "server seed.issue gw-b 1"));
  ASSERT_EQ(events.size(), 8u);
  EXPECT_EQ(events[0].at, start);
  EXPECT_EQ(events[1].at, start + absl::Hours(10));
  EXPECT_THAT(events[4].detail, HasSubstr("leaked"));
  EXPECT_THAT(events[5].detail, HasSubstr(HexEncode(Fingerprint('\x07'))));
  EXPECT_THAT(events[6].detail, HasSubstr("stolen"));
  for (size_t i = 1; i < events.size(); ++i) EXPECT_GT(events[i].id, events[i - 1].id);
  for (const AuditEvent& e : events) {
    for (const SecretBytes& s : seeds) {
      EXPECT_THAT(e.detail, ::testing::Not(HasSubstr(HexEncode(s.RevealSecret()))));
    }
  }
}

TEST_P(SeedStoreConformanceTest, ListAuditFiltersByIdGatewayActionAndLimit) {
  auto store = Open();
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-a")).ok());
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-b")).ok());
  ASSERT_TRUE(store->Rotate(Gw("gw-a"), absl::Hours(5), "admin").ok());
  ASSERT_TRUE(store->RevokeGateway(Gw("gw-b"), "stolen", "admin").ok());
  clock_.Advance(absl::Minutes(1));
  ASSERT_TRUE(store->AppendAudit({.id = 999, .at = absl::UnixEpoch(), .actor = "peer:10.0.0.1",
                                  .action = kAuditAuthRefused, .gw_id = "gw-a",
                                  .detail = "bad proof"}).ok());
  const std::vector<AuditEvent> all = Ok(store->ListAudit({}));
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[4].action, kAuditAuthRefused);
  EXPECT_EQ(all[4].at, clock_.Now()) << "the store's clock, not the caller's";
  EXPECT_NE(all[4].id, 999) << "assigned by the store";
  EXPECT_EQ(all[4].detail, "bad proof");

  EXPECT_THAT(Summaries(Ok(store->ListAudit({.gw_id = "gw-a"}))),
              ElementsAre("server seed.issue gw-a 1", "admin seed.rotate gw-a 2",
                          "peer:10.0.0.1 auth.refused gw-a 0"));
  EXPECT_THAT(Summaries(Ok(store->ListAudit({.action = kAuditSeedIssue}))),
              ElementsAre("server seed.issue gw-a 1", "server seed.issue gw-b 1"));
  EXPECT_THAT(Summaries(Ok(store->ListAudit({.gw_id = "gw-b", .action = kAuditGatewayRevoke}))),
              ElementsAre("admin gateway.revoke gw-b 0"));
  EXPECT_THAT(Summaries(Ok(store->ListAudit({.after_id = all[2].id}))),
              ElementsAre(Summaries(all)[3], Summaries(all)[4]));
  EXPECT_THAT(Summaries(Ok(store->ListAudit({.limit = 2}))),
              ElementsAre(Summaries(all)[0], Summaries(all)[1])) << "oldest first";
  EXPECT_THAT(Summaries(Ok(store->ListAudit({.after_id = all[0].id, .limit = 2}))),
              ElementsAre(Summaries(all)[1], Summaries(all)[2]));
  EXPECT_THAT(Ok(store->ListAudit({.after_id = all[4].id})), IsEmpty());
  EXPECT_THAT(Ok(store->ListAudit({.limit = 0})), IsEmpty());
  EXPECT_EQ(store->ListAudit({.limit = -1}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_P(SeedStoreConformanceTest, AnAuditRowKeepsItsCountAndPruneRemovesOnlyOlderRows) {
  auto store = Open();
  ASSERT_TRUE(store->AppendAudit({.actor = "peer:ipv4:10.0.0.1", .action = kAuditAuthRefused,
                                  .detail = "old", .count = 3000}).ok());
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-a")).ok());
  const absl::Time cut = clock_.Now() + absl::Seconds(5);
  clock_.Advance(absl::Seconds(10));
  ASSERT_TRUE(store->RevokeGateway(Gw("gw-b"), "stolen", "admin").ok());
  const std::vector<AuditEvent> before = Ok(store->ListAudit({}));
  ASSERT_EQ(before.size(), 3u);
  EXPECT_EQ(before[0].count, 3000);
  EXPECT_EQ(before[1].count, 1) << "an event counts once unless aggregated";

  EXPECT_EQ(Ok(store->PruneAudit(cut, "admin:ops@host")), 2);
  const std::vector<AuditEvent> after = Ok(store->ListAudit({}));
  ASSERT_EQ(after.size(), 2u);
  EXPECT_EQ(after[0].action, kAuditGatewayRevoke);
  EXPECT_EQ(after[1].action, kAuditPrune);
  EXPECT_EQ(after[1].actor, "admin:ops@host");
  EXPECT_THAT(after[1].detail, HasSubstr("removed 2 audit row(s) recorded before "));
  EXPECT_EQ(Ok(store->PruneAudit(cut, "admin:ops@host")), 0) << "nothing older is left";
}

}  // namespace
}  // namespace cpns::storage::conformance
