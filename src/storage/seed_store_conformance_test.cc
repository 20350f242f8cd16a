// SeedStore conformance: the two backends the suite runs on (a real SQLite
// file; a fresh database on the PostgreSQL server of the ctest fixture), and
// what is particular to one backend or to the --db URL.
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "storage/pg_pool.h"
#include "storage/seed_store_conformance.h"

namespace cpns::storage::conformance {
namespace {

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
}  // namespace cpns::storage::conformance
