// SeedStore conformance: the two backends the suite runs on (a real SQLite
// file; a fresh database on the PostgreSQL server of the ctest fixture), and
// what is particular to one backend or to the --db URL.
#include <sqlite3.h>
#include <unistd.h>

#include "storage/seed_store_conformance.h"
#include "support/postgres.h"
#include "support/sqlite_files.h"
#include "support/temp_dir.h"

namespace cpns::storage::conformance {
namespace {

// --- SQLite -----------------------------------------------------------------

std::string NewSqliteFile() { return test::NewTempDir("cpns_store") + "/seeds.db"; }

// --- PostgreSQL ---------------------------------------------------------------

std::string NewPgDatabase() { return test::NewPgDatabase(); }

INSTANTIATE_TEST_SUITE_P(
    Backends, SeedStoreConformanceTest,
    ::testing::Values(BackendUnderTest{"sqlite", NewSqliteFile, test::SqliteExec},
                      BackendUnderTest{"postgres", NewPgDatabase, test::PgExec}),
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
}  // namespace cpns::storage::conformance
