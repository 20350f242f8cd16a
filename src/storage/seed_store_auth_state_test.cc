// SeedStore conformance: what authentication reads and shares between replicas: server secrets,
// used challenges, the revocation facts of one key.
#include "storage/seed_store_conformance.h"

#include <fstream>

namespace cpns::storage::conformance {
namespace {

TEST_P(SeedStoreConformanceTest, ServerSecretIsSharedByHandlesAndSealed) {
  auto a = Open();
  auto b = Open();
  const SecretBytes s1 = *a->GetOrCreateServerSecret("challenge-key");
  EXPECT_EQ(s1.size(), 32u);
  EXPECT_EQ(*b->GetOrCreateServerSecret("challenge-key"), s1);
  EXPECT_FALSE(*a->GetOrCreateServerSecret("other") == s1);
  // Re-sealed by a KEK rotation like the seeds.
  const Kek new_kek = *Kek::Generate();
  const KeyRing both = Ring({&new_kek, &kek_});
  EXPECT_EQ(*Open(&both)->RewrapToPrimary(), 2);
  const KeyRing only_new = Ring({&new_kek});
  EXPECT_EQ(*Open(&only_new)->GetOrCreateServerSecret("challenge-key"), s1);
}

TEST_P(SeedStoreConformanceTest, AChallengeIsConsumedOnceAcrossHandles) {
  auto a = Open();
  auto b = Open();
  const absl::Time expiry = clock_.Now() + absl::Minutes(2);
  EXPECT_TRUE(a->ConsumeChallenge("challenge-1", expiry).ok());
  EXPECT_EQ(b->ConsumeChallenge("challenge-1", expiry).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(a->ConsumeChallenge("challenge-1", expiry).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(b->ConsumeChallenge("challenge-2", expiry).ok());
}

TEST_P(SeedStoreConformanceTest, ABatchOfChallengesIsConsumedOnceAcrossHandles) {
  auto a = Open();
  auto b = Open();
  const absl::Time expiry = clock_.Now() + absl::Minutes(2);
  ASSERT_TRUE(a->ConsumeChallenge("used-before", expiry).ok());
  const std::vector<ChallengeUse> batch = {
      {"fresh-1", expiry}, {"used-before", expiry}, {"fresh-2", expiry}, {"fresh-1", expiry}};
  EXPECT_EQ(Ok(b->ConsumeChallenges(batch)), (std::vector<bool>{true, false, true, false}));
  // Committed: every one of them is now used, seen from the other handle too.
  EXPECT_EQ(Ok(a->ConsumeChallenges(batch)), (std::vector<bool>{false, false, false, false}));
  EXPECT_EQ(a->ConsumeChallenge("fresh-2", expiry).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_TRUE(Ok(a->ConsumeChallenges(std::vector<ChallengeUse>{})).empty());
}

// Every replica must make and check challenges under the same key. A SQLite
// store does not sync used challenges, so its key is one per boot of the
// host (all its replicas share the host); PostgreSQL syncs them.
TEST_P(SeedStoreConformanceTest, EveryHandleNamesTheSameChallengeKey) {
  const std::string name = Open()->ChallengeKeyName("challenge-key");
  EXPECT_EQ(Open()->ChallengeKeyName("challenge-key"), name);
  if (GetParam().name == std::string("sqlite") &&
      std::ifstream("/proc/sys/kernel/random/boot_id").good()) {
    std::string boot;
    std::getline(std::ifstream("/proc/sys/kernel/random/boot_id"), boot);
    EXPECT_EQ(name, "challenge-key@boot:" + boot);
  } else {
    EXPECT_EQ(name, "challenge-key");
  }
}

TEST_P(SeedStoreConformanceTest, LookupForAuthSaysWhetherTheKeyOrTheGatewayIsRevoked) {
  auto store = Open();
  const GatewayId gw = Gw("gw-a");
  const std::string lost = Fingerprint('\x01');
  const std::string kept = Fingerprint('\xff');
  const StoredSeed seed = Ok(store->GetOrCreateActive(gw));
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-b")).ok());
  AuthRecord r = Ok(store->LookupForAuth(gw, 1, lost));
  EXPECT_EQ(r.seed.first_seed, seed.first_seed);
  EXPECT_EQ(r.seed.seed_epoch, 1u);
  EXPECT_EQ(r.seed.expires_at, seed.expires_at);
  EXPECT_FALSE(r.gateway_revoked);
  EXPECT_FALSE(r.key_revoked);
  ASSERT_TRUE(store->RevokeKey(lost, "gw-a", "lost phone", "admin:dave@host").ok());
  EXPECT_TRUE(store->RevokeKey(lost, "gw-a", "again", "admin").ok()) << "idempotent";
  EXPECT_TRUE(Ok(store->LookupForAuth(gw, 1, lost)).key_revoked);
  EXPECT_FALSE(Ok(store->LookupForAuth(gw, 1, kept)).key_revoked);
  EXPECT_FALSE(Ok(store->LookupForAuth(gw, 1, kept)).gateway_revoked);
  EXPECT_EQ(store->RevokeKey(std::string(31, 'x'), "gw-a", "short", "admin").code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->LookupForAuth(gw, 2, kept).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store->RevokeGateway(gw, "stolen", "admin").ok());
  r = Ok(store->LookupForAuth(gw, 1, kept));
  EXPECT_TRUE(r.gateway_revoked);
  EXPECT_FALSE(r.key_revoked);
  EXPECT_EQ(r.seed.state, SeedState::kRevoked);
  EXPECT_FALSE(Ok(store->LookupForAuth(Gw("gw-b"), 1, kept)).gateway_revoked);
}

}  // namespace
}  // namespace cpns::storage::conformance
