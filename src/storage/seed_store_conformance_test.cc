// One behavioural suite that every SeedStore implementation must pass, run on
// a real SQLite file and on the real PostgreSQL server of the ctest fixture.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <functional>
#include <set>
#include <stdexcept>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cpns/core/clock.h"
#include "storage/kek.h"
#include "storage/migrations.h"
#include "storage/open_store.h"
#include "storage/pg_pool.h"

namespace cpns::storage {
namespace {

using ::testing::HasSubstr;

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

  std::unique_ptr<SeedStore> Open(const KeyRing* keys, bool migrate = true) {
    auto s = OpenSeedStore(url_, {.keys = keys, .migrate = migrate}, clock_);
    // gtest reports the exception as this test's failure.
    if (!s.ok()) throw std::runtime_error("cannot open the store: " + s.status().ToString());
    return std::move(*s);
  }
  std::unique_ptr<SeedStore> Open() { return Open(&ring_); }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  Kek kek_ = *Kek::Generate();
  KeyRing ring_ = Ring({&kek_});
  std::string url_;
};

GatewayId Gw(absl::string_view id) { return *GatewayId::Parse(id); }

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
  PgExec(base, absl::StrCat("CREATE DATABASE ", name));
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
