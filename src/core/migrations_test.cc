// The migration runner on real SQLite files, with both ways SQLite keeps the
// version (the file header's user_version; the cpns_schema_migrations table).
#include "core/migrations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <thread>
#include <vector>

#include "core/fake_clock.h"
#include "absl/strings/str_cat.h"
#include "core/sqlite.h"
#include "core/sqlite_schema.h"
#include "support/migration_steps.h"
#include "support/temp_dir.h"

namespace cpns {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using sqlite::Versioning;

using test::kBrokenSecondStep;
constexpr const auto& kSteps = test::kLoggedSteps;

Schema Steps(std::span<const SchemaStep> steps) { return {steps, "cpns-test"}; }

std::string NewPath() { return test::NewTempDir("cpns_migrations") + "/state.db"; }

sqlite3* OpenFile(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10'000);  // bounds the wait of a second migrator
  return db;
}

std::vector<int64_t> Column(sqlite3* db, const char* sql) {
  std::vector<int64_t> out;
  absl::StatusOr<sqlite::Statement> q = sqlite::Statement::Prepare(db, sql);
  if (!q.ok()) return {-1};  // no such table: a value no test expects
  while (q->Step().value_or(false)) out.push_back(q->Int(0));
  return out;
}

class MigrationsTest : public ::testing::TestWithParam<Versioning> {
 protected:
  ~MigrationsTest() override { sqlite3_close_v2(db_); }

  absl::StatusOr<int> Migrate(std::span<const SchemaStep> steps) {
    sqlite::SqliteSchemaBackend backend(db_, GetParam(), clock_);
    return MigrateSchema(backend, Steps(steps));
  }
  // The version as stored, read without the backend.
  int64_t StoredVersion() {
    if (GetParam() == Versioning::kUserVersion) return Column(db_, "PRAGMA user_version").at(0);
    const std::vector<int64_t> v =
        Column(db_, "SELECT coalesce(max(version), 0) FROM cpns_schema_migrations");
    return v == std::vector<int64_t>{-1} ? 0 : v.at(0);  // no table yet: version 0
  }
  void SetStoredVersion(int v) {
    ASSERT_TRUE(sqlite::Exec(db_, GetParam() == Versioning::kUserVersion
        ? absl::StrCat("PRAGMA user_version = ", v).c_str()
        : absl::StrCat("INSERT INTO cpns_schema_migrations VALUES (", v, ", 'future', 0)").c_str())
                    .ok());
  }
  std::vector<int64_t> Log() { return Column(db_, "SELECT step FROM log ORDER BY rowid"); }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  std::string path_ = NewPath();
  sqlite3* db_ = OpenFile(path_);
};

TEST_P(MigrationsTest, FreshDatabaseGetsEveryStepInOrder) {
  EXPECT_EQ(StoredVersion(), 0);
  absl::StatusOr<int> version = Migrate(kSteps);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 3);
  EXPECT_EQ(StoredVersion(), 3);
  EXPECT_THAT(Log(), ElementsAre(1, 2, 3));
}

TEST_P(MigrationsTest, OlderDatabaseGetsOnlyTheMissingSteps) {
  ASSERT_EQ(Migrate(std::span(kSteps).first(1)).value_or(-1), 1);
  ASSERT_TRUE(sqlite::Exec(db_, "INSERT INTO seeds VALUES (42)").ok());
  EXPECT_EQ(StoredVersion(), 1);
  absl::StatusOr<int> version = Migrate(kSteps);
  ASSERT_TRUE(version.ok()) << version.status();
  EXPECT_EQ(*version, 3);
  EXPECT_THAT(Log(), ElementsAre(1, 2, 3));
  EXPECT_THAT(Column(db_, "SELECT id FROM seeds"), ElementsAre(42)) << "data kept";
}

TEST_P(MigrationsTest, RunningAgainChangesNothing) {
  ASSERT_TRUE(Migrate(kSteps).ok());
  const int changes_before = sqlite3_total_changes(db_);
  absl::StatusOr<int> again = Migrate(kSteps);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(*again, 3);
  EXPECT_THAT(Log(), ElementsAre(1, 2, 3));
  EXPECT_EQ(sqlite3_total_changes(db_), changes_before);
}

TEST_P(MigrationsTest, NewerDatabaseIsRefusedNamingItAndWhatToDo) {
  ASSERT_TRUE(Migrate(kSteps).ok());
  SetStoredVersion(5);
  absl::StatusOr<int> version = Migrate(kSteps);
  ASSERT_EQ(version.status().code(), absl::StatusCode::kFailedPrecondition);
  const std::string message(version.status().message());
  EXPECT_THAT(message, HasSubstr("SQLite database " + path_ + " has schema version 5"));
  EXPECT_THAT(message, HasSubstr("newer than this cpns-test knows (3)"));
  EXPECT_THAT(message, HasSubstr("Run that version, or restore a copy"));
  EXPECT_EQ(StoredVersion(), 5);
  EXPECT_THAT(Log(), ElementsAre(1, 2, 3));
}

TEST_P(MigrationsTest, FailingStepRollsBackAndLeavesTheVersionBeforeIt) {
  absl::StatusOr<int> version = Migrate(kBrokenSecondStep);
  ASSERT_FALSE(version.ok());
  const std::string message(version.status().message());
  EXPECT_THAT(message, HasSubstr("migration of SQLite database " + path_ +
                                 " to schema version 2 (owners) failed, the database stays at "
                                 "version 1: "));
  EXPECT_THAT(message, HasSubstr("no_such_table"));
  EXPECT_EQ(StoredVersion(), 1);
  EXPECT_THAT(Log(), ElementsAre(1)) << "step 2 rolled back, step 3 never ran";
  EXPECT_THAT(Column(db_, "SELECT count(*) FROM sqlite_master WHERE name = 'owners'"),
              ElementsAre(0));
  // A program with the step fixed finishes the job.
  ASSERT_EQ(Migrate(kSteps).value_or(-1), 3);
  EXPECT_THAT(Log(), ElementsAre(1, 2, 3));
}

TEST_P(MigrationsTest, TwoProgramsMigratingAtOnceApplyEachStepOnce) {
  std::vector<absl::Status> results(2);
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      sqlite3* db = OpenFile(path_);
      sqlite::SqliteSchemaBackend backend(db, GetParam(), clock_);
      results[i] = MigrateSchema(backend, Steps(kSteps)).status();
      sqlite3_close_v2(db);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_TRUE(results[0].ok()) << results[0];
  EXPECT_TRUE(results[1].ok()) << results[1];
  EXPECT_THAT(Log(), ElementsAre(1, 2, 3));
}

INSTANTIATE_TEST_SUITE_P(Versionings, MigrationsTest,
                         ::testing::Values(Versioning::kUserVersion, Versioning::kVersionTable),
                         [](const ::testing::TestParamInfo<Versioning>& p) {
                           return p.param == Versioning::kUserVersion ? "UserVersion"
                                                                      : "VersionTable";
                         });

TEST(SqliteSchemaBackendTest, VersionTableRecordsEachStepWithItsNameAndTime) {
  const std::string path = NewPath();
  sqlite3* db = OpenFile(path);
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  sqlite::SqliteSchemaBackend backend(db, Versioning::kVersionTable, clock);
  ASSERT_TRUE(MigrateSchema(backend, Steps(kSteps)).ok());
  auto q = sqlite::Statement::Prepare(
      db, "SELECT version, description, applied_at FROM cpns_schema_migrations ORDER BY version");
  ASSERT_TRUE(q.ok());
  for (const SchemaStep& step : kSteps) {
    ASSERT_TRUE(q->Step().value_or(false));
    EXPECT_EQ(q->Int(0), step.version);
    EXPECT_EQ(q->Text(1), step.name);
    EXPECT_EQ(q->Int(2), 1'800'000'000);
  }
  EXPECT_THAT(Column(db, "PRAGMA user_version"), ElementsAre(0)) << "the header is left alone";
  q = absl::InternalError("finalized");  // before the connection closes
  sqlite3_close_v2(db);
}

TEST(MigrateSchemaTest, StepsNotNumberedOneToNAreRefusedBeforeAnyChange) {
  const std::string path = NewPath();
  sqlite3* db = OpenFile(path);
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  sqlite::SqliteSchemaBackend backend(db, Versioning::kUserVersion, clock);
  constexpr SchemaStep kGap[] = {kSteps[0], kSteps[2]};
  absl::StatusOr<int> version = MigrateSchema(backend, Steps(kGap));
  EXPECT_EQ(version.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(version.status().message()), HasSubstr("has step 3 at position 2"));
  EXPECT_THAT(Column(db, "SELECT count(*) FROM sqlite_master"), ElementsAre(0));
  sqlite3_close_v2(db);
}

// A backend whose every step fails with a corrupt-file error.
class CorruptBackend final : public SchemaBackend, SchemaTransaction {
 public:
  std::string Name() override { return "the corrupt database"; }
  absl::StatusOr<int> Version() override { return 0; }
  absl::Status InMigrationTransaction(
      absl::FunctionRef<absl::Status(SchemaTransaction&)> body) override {
    return body(*this);
  }
  absl::Status Execute(const char*) override {
    absl::Status s = absl::DataLossError("file is not a database");
    s.SetPayload(sqlite::kCorruptPayloadUrl, absl::Cord("sqlite"));
    return s;
  }
  absl::Status RecordVersion(const SchemaStep&) override { return absl::OkStatus(); }
};

TEST(MigrateSchemaTest, AFailedStepKeepsItsErrorsCodeAndPayload) {
  CorruptBackend backend;
  absl::StatusOr<int> version = MigrateSchema(backend, Steps(kSteps));
  EXPECT_TRUE(sqlite::IsCorrupt(version.status())) << version.status();
  EXPECT_THAT(std::string(version.status().message()),
              HasSubstr("migration of the corrupt database to schema version 1 (log and seeds) "
                        "failed, the database stays at version 0: file is not a database"));
}

}  // namespace
}  // namespace cpns
