// The migration runner on the real PostgreSQL server of the ctest fixture,
// with steps of its own: what each step's transaction and the advisory lock
// guarantee.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "core/status_macros.h"
#include "core/fake_clock.h"
#include "storage/store_schema.h"
#include "support/postgres.h"
#include "support/migration_steps.h"
#include "support/temp_dir.h"

namespace cpns::storage {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using test::PgExec;
using test::PgRows;

using test::kBrokenSecondStep;
constexpr const auto& kSteps = test::kLoggedSteps;

class PgSchemaTest : public ::testing::Test {
 protected:
  absl::StatusOr<int> Migrate(std::span<const SchemaStep> steps) {
    pg::Pool pool({.conninfo = url_, .max_connections = 1});
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool.Acquire());
    return MigratePostgresSchema(c, {steps, "cpns-test"}, clock_);
  }
  std::vector<std::string> Log() { return PgRows(url_, "SELECT step FROM log ORDER BY step"); }
  std::vector<std::string> Versions() {
    return PgRows(url_, "SELECT version || ' ' || description || ' ' || applied_at "
                        "FROM cpns_schema_migrations ORDER BY version");
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string url_ = test::NewPgDatabase();
};

TEST_F(PgSchemaTest, FreshDatabaseGetsEveryStepWithItsVersionRow) {
  ASSERT_EQ(Migrate(kSteps).value_or(-1), 3);
  EXPECT_THAT(Log(), ElementsAre("1", "2", "3"));
  EXPECT_THAT(Versions(), ElementsAre("1 log and seeds 1800000000", "2 owners 1800000000",
                                      "3 keys 1800000000"));
}

TEST_F(PgSchemaTest, OlderDatabaseGetsOnlyTheMissingStepsAndAgainNothing) {
  ASSERT_EQ(Migrate(std::span(kSteps).first(1)).value_or(-1), 1);
  PgExec(url_, "INSERT INTO seeds VALUES (42)");
  ASSERT_EQ(Migrate(kSteps).value_or(-1), 3);
  ASSERT_EQ(Migrate(kSteps).value_or(-1), 3);
  EXPECT_THAT(Log(), ElementsAre("1", "2", "3"));
  EXPECT_THAT(PgRows(url_, "SELECT id FROM seeds"), ElementsAre("42"));
}

TEST_F(PgSchemaTest, NewerDatabaseIsRefusedNamingItAndLeftAlone) {
  ASSERT_TRUE(Migrate(kSteps).ok());
  PgExec(url_, "INSERT INTO cpns_schema_migrations VALUES (7, 'future', 0)");
  absl::StatusOr<int> version = Migrate(kSteps);
  ASSERT_EQ(version.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string name = url_.substr(url_.rfind('/') + 1);
  EXPECT_THAT(std::string(version.status().message()),
              HasSubstr("PostgreSQL database " + name + " has schema version 7, newer than this "
                        "cpns-test knows (3)"));
  EXPECT_EQ(Versions().size(), 4u);
}

TEST_F(PgSchemaTest, FailingStepRollsBackAndLeavesTheVersionBeforeIt) {
  absl::StatusOr<int> version = Migrate(kBrokenSecondStep);
  ASSERT_FALSE(version.ok());
  EXPECT_THAT(std::string(version.status().message()),
              HasSubstr("to schema version 2 (owners) failed, the database stays at version 1: "));
  EXPECT_THAT(std::string(version.status().message()), HasSubstr("no_such_table"));
  EXPECT_THAT(Log(), ElementsAre("1"));
  EXPECT_THAT(PgRows(url_, "SELECT to_regclass('owners') IS NULL"), ElementsAre("t"));
  EXPECT_EQ(Versions().size(), 1u);
  ASSERT_EQ(Migrate(kSteps).value_or(-1), 3) << "the fixed program goes on from version 1";
  EXPECT_THAT(Log(), ElementsAre("1", "2", "3"));
}

TEST_F(PgSchemaTest, ReplicasMigratingAtOnceApplyEachStepOnce) {
  constexpr int kReplicas = 4;
  std::vector<absl::Status> results(kReplicas);
  std::vector<std::thread> replicas;
  for (int i = 0; i < kReplicas; ++i) {
    replicas.emplace_back([&, i] { results[i] = Migrate(kSteps).status(); });
  }
  for (std::thread& t : replicas) t.join();
  for (const absl::Status& s : results) EXPECT_TRUE(s.ok()) << s;
  EXPECT_THAT(Log(), ElementsAre("1", "2", "3"));
}

}  // namespace
}  // namespace cpns::storage
