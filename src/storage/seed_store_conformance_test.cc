// One behavioural suite that every SeedStore implementation must pass, run on
// a real SQLite file and on the real PostgreSQL server of the ctest fixture.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <future>
#include <set>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/fake_clock.h"
#include "cpns/core/hex.h"
#include "storage/kek.h"
#include "storage/migrations.h"
#include "storage/open_store.h"
#include "storage/pg_pool.h"

namespace cpns::storage {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A backend: how to make a fresh database, and how to run raw SQL on it (to
// tamper with rows as an attacker with database access would).
struct BackendUnderTest {
  std::string name;
  std::function<std::string()> new_database;  // returns a --db URL
  std::function<void(const std::string& url, const std::string& sql)> raw_sql;
};

void PrintTo(const BackendUnderTest& backend, std::ostream* os) { *os << backend.name; }

KeyRing Ring(const std::vector<const Kek*>& keys) {
  std::vector<Kek> copy;
  for (const Kek* k : keys) copy.push_back(*k);
  return *KeyRing::Create(std::move(copy));
}

class SeedStoreConformanceTest : public ::testing::TestWithParam<BackendUnderTest> {
 protected:
  void SetUp() override { url_ = GetParam().new_database(); }

  std::unique_ptr<SeedStore> OpenWith(const StoreOptions& options) {
    auto s = OpenSeedStore(url_, options, clock_);
    // gtest reports the exception as this test's failure.
    if (!s.ok()) throw std::runtime_error("cannot open the store: " + s.status().ToString());
    return std::move(*s);
  }
  std::unique_ptr<SeedStore> Open(const KeyRing* keys, bool migrate = true) {
    return OpenWith({.keys = keys, .migrate = migrate});
  }
  std::unique_ptr<SeedStore> Open() { return Open(&ring_); }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  Kek kek_ = *Kek::Generate();
  KeyRing ring_ = Ring({&kek_});
  std::string url_;
};

GatewayId Gw(absl::string_view id) { return *GatewayId::Parse(id); }

// The value, or an exception that gtest reports as this test's failure (on
// the test's own thread only).
template <typename T>
T Ok(absl::StatusOr<T> s) {
  if (!s.ok()) throw std::runtime_error("unexpected error: " + s.status().ToString());
  return std::move(*s);
}

// A SecondSeedFingerprint-sized key fingerprint: zero bytes, then `last`.
// Two of them differ only past the first NUL, as binary data must be compared.
std::string Fingerprint(char last) { return std::string(31, '\0') + last; }

std::vector<SeedState> States(const std::vector<SeedRecord>& seeds) {
  std::vector<SeedState> out;
  for (const SeedRecord& s : seeds) out.push_back(s.state);
  return out;
}

// Runs body(0..n-1) on n threads released at the same moment.
void RunTogether(int n, const std::function<void(int)>& body) {
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.wait();
      body(i);
    });
  }
  go.set_value();
  for (std::thread& t : threads) t.join();
}

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

TEST_P(SeedStoreConformanceTest, ConcurrentRequestsOnSeveralHandlesMakeOneSeed) {
  constexpr int kHandles = 4;
  constexpr int kThreadsPerHandle = 8;
  std::vector<std::unique_ptr<SeedStore>> handles;
  for (int i = 0; i < kHandles; ++i) handles.push_back(Open());
  std::vector<std::string> seen(kHandles * kThreadsPerHandle);
  std::vector<std::thread> threads;
  for (int i = 0; i < kHandles * kThreadsPerHandle; ++i) {
    threads.emplace_back([&, i] {
      absl::StatusOr<StoredSeed> s = handles[i % kHandles]->GetOrCreateActive(Gw("gw-race"));
      seen[i] = s.ok() ? absl::StrCat(s->first_seed.RevealSecret(), "/", s->seed_epoch)
                       : "error: " + s.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1u) << seen[0];
  EXPECT_EQ(seen[0].size(), 34u) << seen[0];
  EXPECT_EQ(handles[0]->List()->size(), 1u);
}

TEST_P(SeedStoreConformanceTest, NoPlaintextSeedAndARowMovedToAnotherGatewayFailsToOpen) {
  auto store = Open();
  const StoredSeed a = *store->GetOrCreateActive(Gw("gw-a"));
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-b")).ok());
  // An attacker with write access copies gw-a's sealed seed onto gw-b.
  GetParam().raw_sql(url_, "UPDATE first_seeds SET sealed_seed = (SELECT sealed_seed FROM "
                           "first_seeds WHERE gw_id = 'gw-a') WHERE gw_id = 'gw-b'");
  auto reopened = Open();
  absl::StatusOr<StoredSeed> b = reopened->GetOrCreateActive(Gw("gw-b"));
  EXPECT_EQ(b.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(b.status().message()), HasSubstr("gateway gw-b epoch 1 does not decrypt"));
  EXPECT_EQ(reopened->GetOrCreateActive(Gw("gw-a"))->first_seed, a.first_seed);
}

TEST_P(SeedStoreConformanceTest, WithoutKeysListWorksAndSeedsAreRefused) {
  ASSERT_TRUE(Open()->GetOrCreateActive(Gw("gw-a")).ok());
  auto metadata_only = Open(nullptr);
  EXPECT_EQ(metadata_only->List()->size(), 1u);
  EXPECT_EQ(metadata_only->GetOrCreateActive(Gw("gw-a")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(SeedStoreConformanceTest, RewrapMovesEveryRowToTheNewKekAndKeepsTheSeeds) {
  const Kek new_kek = *Kek::Generate();
  SecretBytes a, b;
  {
    auto store = Open();
    a = store->GetOrCreateActive(Gw("gw-a"))->first_seed;
    b = store->GetOrCreateActive(Gw("gw-b"))->first_seed;
  }
  const KeyRing both = Ring({&new_kek, &kek_});
  EXPECT_EQ(*Open(&both)->RewrapToPrimary(), 2);
  EXPECT_EQ(*Open(&both)->RewrapToPrimary(), 0) << "nothing left under the old KEK";
  const KeyRing only_new = Ring({&new_kek});
  auto store = Open(&only_new);
  EXPECT_EQ(store->GetOrCreateActive(Gw("gw-a"))->first_seed, a);
  EXPECT_EQ(store->GetOrCreateActive(Gw("gw-b"))->first_seed, b);
  const std::vector<SeedRecord> records = *store->List();
  for (const SeedRecord& r : records) EXPECT_EQ(r.kek_id, new_kek.id());
  const KeyRing only_old = Ring({&kek_});
  EXPECT_EQ(Open(&only_old)->GetOrCreateActive(Gw("gw-a")).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST_P(SeedStoreConformanceTest, SchemaVersionsAreCheckedAtOpen) {
  auto unmigrated = OpenSeedStore(url_, {.keys = &ring_, .migrate = false}, clock_);
  ASSERT_EQ(unmigrated.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(unmigrated.status().message()), HasSubstr("cpns-server migrate"));
  EXPECT_EQ(*Open()->SchemaVersion(), kLatestSchemaVersion);
  GetParam().raw_sql(url_, "INSERT INTO cpns_schema_migrations VALUES (99, 'future', 0)");
  auto future = OpenSeedStore(url_, {.keys = &ring_, .migrate = true}, clock_);
  ASSERT_EQ(future.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(future.status().message()), HasSubstr("newer than this cpns-server"));
}

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

// --- Lifecycle ----------------------------------------------------------------

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

TEST_P(SeedStoreConformanceTest, AuditRowsOfSchemaVersion3CountOnceAfterMigration) {
  const bool sqlite = GetParam().name == "sqlite";
  std::string sql =
      "CREATE TABLE cpns_schema_migrations (version INTEGER PRIMARY KEY, "
      "description TEXT NOT NULL, applied_at BIGINT NOT NULL);";
  for (const Migration& m : Migrations()) {
    if (m.version > 3) break;
    absl::StrAppend(&sql, sqlite ? m.sqlite_sql : m.postgres_sql,
                    "INSERT INTO cpns_schema_migrations VALUES (", m.version, ", 'v', 0);");
  }
  absl::StrAppend(&sql, "INSERT INTO audit_log (at, actor, action, gw_id, seed_epoch, detail) "
                        "VALUES (1, 'admin', 'seed.retire', 'gw-a', 1, 'retired');");
  GetParam().raw_sql(url_, sql);
  auto store = Open();  // migrates
  EXPECT_EQ(Ok(store->SchemaVersion()), kLatestSchemaVersion);
  const std::vector<AuditEvent> rows = Ok(store->ListAudit({}));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].detail, "retired");
  EXPECT_EQ(rows[0].count, 1);
}

TEST_P(SeedStoreConformanceTest, CheckSealedNamesEveryRowThatDoesNotOpenUnderTheKeys) {
  {
    auto store = Open();
    ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-a")).ok());
    ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-b")).ok());
    ASSERT_TRUE(store->GetOrCreateServerSecret("challenge").ok());
    const SealCheck good = Ok(store->CheckSealed());
    EXPECT_EQ(good.checked, 3);
    EXPECT_THAT(good.faults, IsEmpty());
  }
  const Kek other = *Kek::Generate();
  const KeyRing wrong = Ring({&other});
  const SealCheck bad = Ok(Open(&wrong)->CheckSealed());
  EXPECT_EQ(bad.checked, 3);
  ASSERT_EQ(bad.faults.size(), 3u);
  EXPECT_THAT(bad.faults[0], HasSubstr("1st seed of gateway gw-a epoch 1 (KEK "));
  EXPECT_THAT(bad.faults[1], HasSubstr("gateway gw-b epoch 1"));
  EXPECT_THAT(bad.faults[2], HasSubstr("server secret 'challenge'"));
  EXPECT_EQ(Open(nullptr, false)->CheckSealed().status().code(),
            absl::StatusCode::kFailedPrecondition);
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

// --- Lifecycle under concurrency ----------------------------------------------

TEST_P(SeedStoreConformanceTest, ConcurrentRenewalsOfOneEpochMakeExactlyOneNewEpoch) {
  constexpr int kHandles = 3;  // replicas
  constexpr int kThreads = 12;
  std::vector<std::unique_ptr<SeedStore>> handles;
  for (int i = 0; i < kHandles; ++i) handles.push_back(Open());
  const IssueOptions renew{.lifetime = absl::Hours(100), .renew_epoch = 1};
  ASSERT_EQ(Ok(handles[0]->GetOrCreateActive(Gw("gw-a"), renew)).seed_epoch, 1u);
  clock_.Advance(absl::Hours(30));
  std::vector<std::string> seen(kThreads);
  RunTogether(kThreads, [&](int i) {
    absl::StatusOr<StoredSeed> s = handles[i % kHandles]->GetOrCreateActive(Gw("gw-a"), renew);
    seen[i] = s.ok() ? absl::StrCat(s->seed_epoch, "/", HexEncode(s->first_seed.RevealSecret()))
                     : s.status().ToString();
  });
  EXPECT_THAT(seen, Each(Eq(seen[0])));
  EXPECT_THAT(seen[0], StartsWith("2/"));
  EXPECT_THAT(States(Ok(handles[0]->List())), ElementsAre(SeedState::kRotated, SeedState::kActive));
  EXPECT_EQ(Ok(handles[0]->ListAudit({.action = kAuditSeedRotate})).size(), 1u);
}

// Whether `s` is what an issuer or rotator may get while a revocation races
// it: success, PermissionDenied, or NotFound (Rotate before the first seed).
bool ExpectedDuringRevocation(const absl::Status& s) {
  return s.ok() || absl::IsPermissionDenied(s) || absl::IsNotFound(s);
}

TEST_P(SeedStoreConformanceTest, RevokingAGatewayWhileReplicasIssueAndRotateLeavesNoActiveSeed) {
  constexpr int kHandles = 3;  // replicas
  constexpr int kIssuers = 4;
  constexpr int kRotators = 2;
  std::vector<std::unique_ptr<SeedStore>> handles;
  for (int i = 0; i < kHandles; ++i) handles.push_back(Open());
  for (int round = 0; round < 4; ++round) {
    const GatewayId gw = Gw(absl::StrCat("gw-race-", round));
    std::atomic<int> ops{0};
    std::atomic<bool> revoked{false};
    std::vector<std::string> errors(1 + kIssuers + kRotators);
    // One operation by worker i; records what it must not have returned.
    auto work = [&](int i, uint32_t& epoch) -> absl::Status {
      SeedStore& store = *handles[i % kHandles];
      if (i > kIssuers) return store.Rotate(gw, absl::Hours(1), "admin:race").status();
      // Seeds live 4 s and the clock moves 1 s per request, so renewals and
      // expiries keep issuing new epochs.
      clock_.Advance(absl::Seconds(1));
      absl::StatusOr<StoredSeed> s =
          store.GetOrCreateActive(gw, {.lifetime = absl::Seconds(4), .renew_epoch = epoch});
      if (s.ok()) epoch = s->seed_epoch;
      return s.status();
    };
    RunTogether(1 + kIssuers + kRotators, [&](int i) {
      if (i == 0) {  // the revoker, after a few operations (none in round 0)
        while (ops.load() < 4 * round) std::this_thread::yield();
        absl::Status s = handles[0]->RevokeGateway(gw, "race", "admin:race");
        if (!s.ok()) errors[i] = s.ToString();
        revoked.store(true);
        return;
      }
      uint32_t epoch = 0;
      while (!revoked.load()) {
        absl::Status s = work(i, epoch);
        if (!ExpectedDuringRevocation(s)) errors[i] = s.ToString();
        ++ops;
      }
      absl::Status after = work(i, epoch);
      if (!absl::IsPermissionDenied(after)) errors[i] = "after revocation: " + after.ToString();
    });
    EXPECT_THAT(errors, Each(IsEmpty())) << gw.value();
    const std::vector<GatewayRecord> found = Ok(Open()->ListGateways(gw));
    ASSERT_EQ(found.size(), 1u);
    EXPECT_TRUE(found[0].revoked_at.has_value());
    EXPECT_EQ(found[0].active(), nullptr) << gw.value() << " has an active seed";
    EXPECT_THAT(States(found[0].seeds), Each(SeedState::kRevoked));
  }
}

// --- SQLite -----------------------------------------------------------------

std::string NewSqliteFile() {
  std::string tmpl = ::testing::TempDir() + "cpns_store_XXXXXX";
  return std::string(mkdtemp(tmpl.data())) + "/seeds.db";
}

void SqliteExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);
}

// --- PostgreSQL ---------------------------------------------------------------

std::string PgBaseUrl() {
  std::ifstream in(std::string(CPNS_PG_STATE_DIR) + "/url");
  std::string url;
  std::getline(in, url);
  return url;
}

void PgExec(const std::string& url, const std::string& sql) {
  pg::Pool pool({.conninfo = url, .max_connections = 1});
  absl::StatusOr<pg::Connection> c = pool.Acquire();
  ASSERT_TRUE(c.ok()) << c.status();
  absl::Status s = c->Exec(sql).status();
  EXPECT_TRUE(s.ok()) << s;
}

std::string NewPgDatabase() {
  static std::atomic<int> n{0};
  const std::string base = PgBaseUrl();
  EXPECT_FALSE(base.empty()) << "no PostgreSQL fixture: run through ctest";
  const std::string name = absl::StrCat("cpns_conf_", getpid(), "_", n++);
  PgExec(base, absl::StrCat("DROP DATABASE IF EXISTS ", name));
  // A linguistic collation, so that a query ordering gw_id without
  // COLLATE "C" would sort differently from SQLite and fail a test.
  PgExec(base, absl::StrCat("CREATE DATABASE ", name,
                            " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"));
  return base.substr(0, base.rfind('/') + 1) + name;
}

INSTANTIATE_TEST_SUITE_P(
    Backends, SeedStoreConformanceTest,
    ::testing::Values(BackendUnderTest{"sqlite", NewSqliteFile, SqliteExec},
                      BackendUnderTest{"postgres", NewPgDatabase, PgExec}),
    [](const ::testing::TestParamInfo<BackendUnderTest>& p) { return p.param.name; });

TEST(SqliteSeedStoreTest, MissingFileIsNotFoundWhenCreationIsOff) {
  RealClock clock;
  auto s = OpenSeedStore(NewSqliteFile(), {.create_if_missing = false}, clock);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
}

TEST(SqliteSeedStoreTest, WithoutKeysOrWritableTheFileIsNotChanged) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const Kek kek = *Kek::Generate();
  const KeyRing ring = Ring({&kek});
  const std::string path = NewSqliteFile();
  {
    auto store = Ok(OpenSeedStore(path, {.keys = &ring, .migrate = true}, clock));
    ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-a")).ok());
    ASSERT_TRUE(store->Rotate(Gw("gw-a"), absl::Hours(1), "admin").ok());
  }
  auto read_only = Ok(OpenSeedStore(path, {}, clock));
  EXPECT_FALSE(read_only->Retire(Gw("gw-a"), 1, "admin").ok());
  EXPECT_FALSE(read_only->RevokeGateway(Gw("gw-a"), "stolen", "admin").ok());
  EXPECT_FALSE(read_only->AppendAudit({.actor = "admin", .action = "note"}).ok());
  EXPECT_THAT(States(Ok(read_only->List())), ElementsAre(SeedState::kRotated, SeedState::kActive));
  EXPECT_EQ(Ok(read_only->ListAudit({})).size(), 2u);
}

TEST(StoreUrlTest, PicksTheBackend) {
  EXPECT_EQ(ParseStoreUrl("postgresql://u@h/db")->backend, Backend::kPostgres);
  EXPECT_EQ(ParseStoreUrl("postgres://h/db")->backend, Backend::kPostgres);
  EXPECT_EQ(ParseStoreUrl("sqlite:/var/x.db")->target, "/var/x.db");
  EXPECT_EQ(ParseStoreUrl("/var/x.db")->backend, Backend::kSqlite);
  EXPECT_EQ(ParseStoreUrl("mysql://h/db").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseStoreUrl("").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cpns::storage
