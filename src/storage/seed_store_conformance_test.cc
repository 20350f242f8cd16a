// One behavioural suite that every SeedStore implementation must pass.
// Each backend registers a factory with INSTANTIATE_TEST_SUITE_P below.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <functional>
#include <set>
#include <thread>

#include "cpns/core/clock.h"
#include "storage/sqlite_seed_store.h"

namespace cpns::storage {
namespace {

// Opens a fresh store; a second call with the same `db` opens another handle
// (another connection, as another server process would) on the same database.
struct Backend {
  std::string name;
  std::function<std::string()> new_database;
  std::function<std::unique_ptr<SeedStore>(const std::string& db, const Clock&)> open;
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

class SeedStoreConformanceTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { db_ = GetParam().new_database(); }
  std::unique_ptr<SeedStore> Open() { return GetParam().open(db_, clock_); }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string db_;
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

TEST_P(SeedStoreConformanceTest, ListIsOrderedAndActive) {
  auto store = Open();
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-b")).ok());
  ASSERT_TRUE(store->GetOrCreateActive(Gw("gw-a")).ok());
  std::vector<SeedRecord> list = *store->List();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].gw_id.value(), "gw-a");
  EXPECT_EQ(list[1].gw_id.value(), "gw-b");
  EXPECT_EQ(list[0].state, SeedState::kActive);
  EXPECT_EQ(list[0].seed_epoch, 1u);
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
      seen[i] = s.ok() ? std::string(s->first_seed.RevealSecret()) + char('0' + s->seed_epoch)
                       : "error: " + s.status().ToString();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1u) << seen[0];
  EXPECT_EQ(seen[0].size(), 33u) << seen[0];
  EXPECT_EQ(handles[0]->List()->size(), 1u);
}

std::string NewSqliteFile() {
  std::string tmpl = ::testing::TempDir() + "cpns_store_XXXXXX";
  return std::string(mkdtemp(tmpl.data())) + "/seeds.db";
}

INSTANTIATE_TEST_SUITE_P(
    Sqlite, SeedStoreConformanceTest,
    ::testing::Values(Backend{"sqlite", NewSqliteFile,
                              [](const std::string& db, const Clock& clock) {
                                auto s = SqliteSeedStore::Open({.path = db}, clock);
                                EXPECT_TRUE(s.ok()) << s.status();
                                return std::unique_ptr<SeedStore>(std::move(*s));
                              }}),
    [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

TEST(SqliteSeedStoreTest, MissingFileIsNotFoundWhenCreationIsOff) {
  RealClock clock;
  auto s = SqliteSeedStore::Open({.path = NewSqliteFile(), .create_if_missing = false}, clock);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
}

TEST(SqliteSeedStoreTest, RefusesANewerSchema) {
  const std::string path = NewSqliteFile();
  RealClock clock;
  ASSERT_TRUE(SqliteSeedStore::Open({.path = path}, clock).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO cpns_schema VALUES (99)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto s = SqliteSeedStore::Open({.path = path}, clock);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace cpns::storage
