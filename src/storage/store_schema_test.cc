// Upgrading server stores made by earlier releases, on a real SQLite file and
// on the real PostgreSQL server of the ctest fixture: a store of any earlier
// version ends exactly as the releases that migrated all steps in one
// transaction left it, and replicas starting together apply each step once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <functional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "core/fake_clock.h"
#include "storage/kek.h"
#include "storage/migrations.h"
#include "storage/open_store.h"
#include "support/postgres.h"
#include "support/sqlite_files.h"
#include "support/temp_dir.h"

namespace cpns::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Backend {
  std::string name;
  std::function<std::string()> new_database;  // returns a --db URL
  std::function<void(const std::string& url, const std::string& sql)> exec;
  // Rows of `sql`, each row's columns joined by '|'.
  std::function<std::vector<std::string>(const std::string& url, const std::string& sql)> rows;
  std::string schema_query;  // the whole schema, as rows to compare
  // The version table as the releases before the runner made it.
  std::string old_version_table;
};

void PrintTo(const Backend& backend, std::ostream* os) { *os << backend.name; }

// The SQL that left a store at `version` in the releases before the runner:
// the version table, then every step up to `version`, with its row.
std::string OldStoreAt(const Backend& backend, int version) {
  std::string sql = backend.old_version_table + ";";
  for (const Migration& m : Migrations()) {
    if (m.version > version) break;
    absl::StrAppend(&sql, backend.name == "sqlite" ? m.sqlite_sql : m.postgres_sql,
                    "INSERT INTO cpns_schema_migrations VALUES (", m.version, ", '",
                    m.description, "', 1700000000);");
  }
  return sql;
}

class StoreSchemaTest : public ::testing::TestWithParam<Backend> {
 protected:
  absl::StatusOr<std::unique_ptr<SeedStore>> Open(const std::string& url) {
    return OpenSeedStore(url, {.keys = &ring_, .migrate = true}, clock_);
  }
  std::vector<std::string> Schema(const std::string& url) {
    return GetParam().rows(url, GetParam().schema_query);
  }
  std::vector<std::string> Versions(const std::string& url) {
    return GetParam().rows(url, "SELECT version || '|' || description "
                                "FROM cpns_schema_migrations ORDER BY version");
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  Kek kek_ = *Kek::Generate();
  KeyRing ring_ = *KeyRing::Create({kek_});
};

TEST_P(StoreSchemaTest, EveryEarlierVersionEndsAsTheReleasesBeforeLeftTheLatest) {
  const std::string reference = GetParam().new_database();
  GetParam().exec(reference, OldStoreAt(GetParam(), kLatestSchemaVersion));
  ASSERT_GT(Schema(reference).size(), 10u) << "the schema query reads nothing";
  for (int version = 0; version < kLatestSchemaVersion; ++version) {
    SCOPED_TRACE(absl::StrCat("from version ", version));
    const std::string url = GetParam().new_database();
    if (version > 0) GetParam().exec(url, OldStoreAt(GetParam(), version));
    absl::StatusOr<std::unique_ptr<SeedStore>> store = Open(url);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ((*store)->SchemaVersion().value_or(-1), kLatestSchemaVersion);
    store->reset();
    EXPECT_EQ(Schema(url), Schema(reference));
    EXPECT_EQ(Versions(url), Versions(reference));
  }
}

TEST_P(StoreSchemaTest, SeedOfVersion1KeepsItsBytesAndGetsAYearOfLifetime) {
  const std::string url = GetParam().new_database();
  GetParam().exec(url, absl::StrCat(OldStoreAt(GetParam(), 1),
                                    "INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, "
                                    "kek_id, created_at) VALUES ('gw-a', 1, ",
                                    GetParam().name == "sqlite" ? "x'0102'" : "'\\x0102'",
                                    ", 'kek-old', 1700000000);"));
  absl::StatusOr<std::unique_ptr<SeedStore>> store = Open(url);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::StatusOr<std::vector<SeedRecord>> seeds = (*store)->List();
  ASSERT_TRUE(seeds.ok()) << seeds.status();
  ASSERT_EQ(seeds->size(), 1u);
  EXPECT_EQ((*seeds)[0].gw_id.value(), "gw-a");
  EXPECT_EQ((*seeds)[0].kek_id, "kek-old");
  EXPECT_EQ((*seeds)[0].state, SeedState::kActive);
  EXPECT_EQ((*seeds)[0].expires_at, absl::FromUnixSeconds(1700000000) + absl::Hours(24 * 365));
  store->reset();
  EXPECT_THAT(GetParam().rows(url, "SELECT sealed_seed = " +
                                   std::string(GetParam().name == "sqlite" ? "x'0102'"
                                                                           : "'\\x0102'") +
                                   " FROM first_seeds"),
              ElementsAre(GetParam().name == "sqlite" ? "1" : "t"));
}

TEST_P(StoreSchemaTest, ReplicasStartingTogetherApplyEachStepOnce) {
  const std::string url = GetParam().new_database();
  constexpr int kReplicas = 4;
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.emplace_back([&, i] { results[i] = Open(url).status(); });
  }
  for (std::thread& t : replicas) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(Versions(url).size(), static_cast<size_t>(kLatestSchemaVersion));
}

TEST_P(StoreSchemaTest, NewerStoreIsRefusedNamingItAndLeftAlone) {
  const std::string url = GetParam().new_database();
  ASSERT_TRUE(Open(url).ok());
  GetParam().exec(url, "INSERT INTO cpns_schema_migrations VALUES (99, 'future', 0)");
  absl::StatusOr<std::unique_ptr<SeedStore>> store = Open(url);
  ASSERT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(store.status().message());
  EXPECT_THAT(message, HasSubstr(GetParam().name == "sqlite" ? "SQLite database "
                                                             : "PostgreSQL database cpns_test_"));
  EXPECT_THAT(message, HasSubstr(" has schema version 99, newer than this cpns-server knows (" +
                                 std::to_string(kLatestSchemaVersion) + ")"));
  EXPECT_EQ(Versions(url).size(), static_cast<size_t>(kLatestSchemaVersion) + 1);
}

// --- SQLite -----------------------------------------------------------------

std::string NewSqliteFile() { return test::NewTempDir("cpns_schema") + "/store.db"; }

// --- PostgreSQL -------------------------------------------------------------

std::string NewPgDatabase() { return test::NewPgDatabase(); }

// Tables and columns in order, indexes, constraints: one text per row.
constexpr char kPgSchema[] = R"sql(
SELECT concat_ws('|', table_name, ordinal_position, column_name, data_type, is_nullable,
                 column_default)
  FROM information_schema.columns WHERE table_schema = 'public'
UNION ALL SELECT concat_ws('|', indexname, indexdef) FROM pg_indexes WHERE schemaname = 'public'
UNION ALL SELECT concat_ws('|', conrelid::regclass::text, conname, pg_get_constraintdef(oid))
  FROM pg_constraint WHERE connamespace = 'public'::regnamespace
ORDER BY 1
)sql";

INSTANTIATE_TEST_SUITE_P(
    Backends, StoreSchemaTest,
    ::testing::Values(
        Backend{"sqlite", NewSqliteFile, test::SqliteExec, test::SqliteRows,
                // In order of creation; the header's user_version stays 0.
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "UNION ALL SELECT 'user_version', user_version, '', '' FROM pragma_user_version",
                "CREATE TABLE IF NOT EXISTS cpns_schema_migrations (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at INTEGER NOT NULL)"},
        Backend{"postgres", NewPgDatabase, test::PgExec, test::PgRows, kPgSchema,
                "CREATE TABLE IF NOT EXISTS cpns_schema_migrations (version INTEGER PRIMARY KEY, "
                "description TEXT NOT NULL, applied_at BIGINT NOT NULL)"}),
    [](const ::testing::TestParamInfo<Backend>& p) { return p.param.name; });

}  // namespace
}  // namespace cpns::storage
