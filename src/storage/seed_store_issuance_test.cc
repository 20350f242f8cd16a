// SeedStore conformance: issuing and reading 1st seeds: epochs, lifetimes, expiry and renewal.
#include "storage/seed_store_conformance.h"

namespace cpns::storage::conformance {
namespace {

TEST_P(SeedStoreConformanceTest, FirstRequestCreatesEpochOneWith32RandomBytes) {
  auto store = Open();
  absl::StatusOr<StoredSeed> seed = store->GetOrCreateActive(Gw("gw-a"));
  ASSERT_TRUE(seed.ok()) << seed.status();
  EXPECT_EQ(seed->seed_epoch, 1u);
  EXPECT_EQ(seed->first_seed.size(), 32u);
  EXPECT_FALSE(seed->first_seed == SecretBytes(32)) << "all-zero seed";
  EXPECT_EQ(seed->created_at, clock_.Now());
}

TEST_P(SeedStoreConformanceTest, RepeatedRequestReturnsTheSameSeed) {
  auto store = Open();
  StoredSeed a = *store->GetOrCreateActive(Gw("gw-a"));
  clock_.Advance(absl::Hours(1));
  StoredSeed b = *store->GetOrCreateActive(Gw("gw-a"));
  EXPECT_EQ(a.first_seed, b.first_seed);
  EXPECT_EQ(a.seed_epoch, b.seed_epoch);
  EXPECT_EQ(a.created_at, b.created_at);
  EXPECT_EQ(store->List()->size(), 1u);
}

TEST_P(SeedStoreConformanceTest, GatewaysGetDifferentSeeds) {
  auto store = Open();
  EXPECT_FALSE(store->GetOrCreateActive(Gw("gw-a"))->first_seed ==
               store->GetOrCreateActive(Gw("gw-b"))->first_seed);
}

TEST_P(SeedStoreConformanceTest, SeedSurvivesReopen) {
  SecretBytes first;
  {
    auto store = Open();
    first = store->GetOrCreateActive(Gw("gw-a"))->first_seed;
  }
  auto reopened = Open();
  EXPECT_EQ(reopened->GetOrCreateActive(Gw("gw-a"))->first_seed, first);
  EXPECT_EQ(reopened->Get(Gw("gw-a"), 1)->first_seed, first);
}

TEST_P(SeedStoreConformanceTest, GetUnknownIsNotFound) {
  auto store = Open();
  EXPECT_EQ(store->Get(Gw("nobody"), 1).status().code(), absl::StatusCode::kNotFound);
}

TEST_P(SeedStoreConformanceTest, ListIsOrderedActiveAndNamesTheKek) {
  auto store = Open();
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-b")).ok());
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-a")).ok());
  std::vector<SeedRecord> list = *store->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].gw_id.value(), "gw-a");
  EXPECT_EQ(list[1].gw_id.value(), "gw-b");
  EXPECT_EQ(list[0].state, SeedState::kActive);
  EXPECT_EQ(list[0].seed_epoch, 1u);
  EXPECT_EQ(list[0].kek_id, kek_.id());
}

TEST_P(SeedStoreConformanceTest, NewSeedExpiresAfterItsLifetime) {
  auto store = Open();
  const StoredSeed a = Ok(store->GetOrCreateActive(Gw("gw-a"), {.lifetime = absl::Hours(48)}));
  EXPECT_EQ(a.expires_at, clock_.Now() + absl::Hours(48));
  EXPECT_EQ(a.state, SeedState::kActive);
  EXPECT_EQ(Ok(store->Get(Gw("gw-a"), 1)).expires_at, a.expires_at);
  EXPECT_EQ(Ok(store->List()).at(0).expires_at, a.expires_at);
  EXPECT_EQ(Ok(store->GetOrCreateActive(Gw("gw-b"))).expires_at,
            clock_.Now() + kDefaultSeedLifetime);
}

TEST_P(SeedStoreConformanceTest, ALifetimeTooShortOrTooLongIsRefused) {
  auto store = Open();
  EXPECT_EQ(store->GetOrCreateActive(Gw("gw-a"), {.lifetime = absl::ZeroDuration()}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->GetOrCreateActive(Gw("gw-a"), {.lifetime = absl::InfiniteDuration()})
                .status().code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-a")).ok());
  EXPECT_EQ(store->Rotate(Gw("gw-a"), -absl::Hours(1), "admin").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Ok(store->List()).size(), 1u);
}

TEST_P(SeedStoreConformanceTest, ExpiredSeedIsReplacedByTheNextEpochAndBecomesRotated) {
  auto store = Open();
  const GatewayId gw = Gw("gw-a");
  const IssueOptions ten_hours{.lifetime = absl::Hours(10)};
  const StoredSeed first = Ok(store->GetOrCreateActive(gw, ten_hours));
  clock_.Advance(absl::Hours(10) - absl::Seconds(1));
  EXPECT_EQ(Ok(store->GetOrCreateActive(gw, ten_hours)).seed_epoch, 1u) << "not expired yet";
  clock_.Advance(absl::Seconds(1));
  const StoredSeed second = Ok(store->GetOrCreateActive(gw, ten_hours));
  EXPECT_EQ(second.seed_epoch, 2u);
  EXPECT_FALSE(second.first_seed == first.first_seed);
  EXPECT_EQ(second.created_at, clock_.Now());
  EXPECT_EQ(second.expires_at, clock_.Now() + absl::Hours(10));
  const StoredSeed old = Ok(store->Get(gw, 1));
  EXPECT_EQ(old.state, SeedState::kRotated);
  EXPECT_EQ(old.first_seed, first.first_seed);
  EXPECT_EQ(Ok(Open()->GetOrCreateActive(gw, ten_hours)).first_seed, second.first_seed)
      << "another replica gets the new epoch too";
  EXPECT_THAT(States(Ok(store->List())), ElementsAre(SeedState::kRotated, SeedState::kActive));
}

TEST_P(SeedStoreConformanceTest, RenewalIsGrantedForTheActiveEpochAfterAQuarterOfItsLifetime) {
  auto store = Open();
  auto request = [&](uint32_t renew_epoch) {
    return Ok(store->GetOrCreateActive(
        Gw("gw-a"), {.lifetime = absl::Hours(100), .renew_epoch = renew_epoch}));
  };
  const StoredSeed first = request(0);
  ASSERT_EQ(first.seed_epoch, 1u);
  clock_.Advance(absl::Hours(25) - absl::Seconds(1));
  EXPECT_EQ(request(1).seed_epoch, 1u) << "less than 25% of the lifetime has passed";
  clock_.Advance(absl::Seconds(1));
  EXPECT_EQ(request(7).seed_epoch, 1u) << "not the active epoch";
  EXPECT_EQ(request(0).seed_epoch, 1u) << "no renewal asked";
  const StoredSeed renewed = request(1);
  EXPECT_EQ(renewed.seed_epoch, 2u);
  EXPECT_FALSE(renewed.first_seed == first.first_seed);
  EXPECT_EQ(renewed.expires_at, clock_.Now() + absl::Hours(100));
  EXPECT_EQ(Ok(store->Get(Gw("gw-a"), 1)).state, SeedState::kRotated);
  EXPECT_EQ(request(1).first_seed, renewed.first_seed) << "a stale renewal gets the new epoch";
  EXPECT_EQ(request(2).seed_epoch, 2u) << "the new epoch is too young to renew";
  EXPECT_EQ(Ok(store->List()).size(), 2u);
}

}  // namespace
}  // namespace cpns::storage::conformance
