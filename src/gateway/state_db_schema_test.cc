// The gateway state database's schema version: what a new file gets, what
// happens to a file of the releases that kept no version, and what a file of
// a newer cpns-gw gets; a version-1 file's assignments keep their ids.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "core/fake_clock.h"
#include "gateway/state_db.h"
#include "support/sqlite_files.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The schema as the releases without a version made it, kept here verbatim:
// such files exist on gateways and must open with their rows.
constexpr char kUnversionedSchema[] = R"sql(
CREATE TABLE IF NOT EXISTS pairing_codes (
  code_hash   BLOB    PRIMARY KEY,
  entity_type TEXT    NOT NULL,
  entity_id   TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  used_at     INTEGER
);
CREATE TABLE IF NOT EXISTS assignments (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  at          INTEGER NOT NULL,
  entity_type TEXT    NOT NULL,
  entity_id   TEXT    NOT NULL,
  user_id     TEXT    NOT NULL,
  seed_epoch  INTEGER NOT NULL,
  fingerprint BLOB    NOT NULL,
  not_after   INTEGER NOT NULL,
  admitted_by TEXT    NOT NULL,
  peer        TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS status (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  json       TEXT    NOT NULL,
  written_at INTEGER NOT NULL
);
)sql";

constexpr int64_t kNow = 1'800'000'000;

std::string NewDir() { return cpns::test::NewTempDir("gwschema"); }

// Runs `sql` on <dir>/gateway.db (made mode 0600 if missing), as the
// releases before would have, and returns the file's user_version after it.
int RawSql(const std::string& dir, const std::string& sql) {
  const std::string path = dir + "/gateway.db";
  cpns::test::SqliteExec(path, "");  // creates the file
  EXPECT_EQ(chmod(path.c_str(), 0600), 0);
  cpns::test::SqliteExec(path, sql);
  return std::stoi(cpns::test::SqliteRows(path, "PRAGMA user_version").at(0));
}

// The assignments table's definition as stored in the file.
std::string AssignmentsTableSql(const std::string& dir) {
  return cpns::test::SqliteRows(dir + "/gateway.db",
                                "SELECT sql FROM sqlite_master WHERE name = 'assignments'")
      .at(0);
}

AssignmentRecord Record(absl::string_view entity) {
  return {.at = absl::FromUnixSeconds(kNow),
          .assignee = {EntityType::kPne, *EntityId::Parse(entity), *UserId::Parse("alice")},
          .seed_epoch = 1,
          .second_seed_fingerprint = std::string(32, 'f'),
          .not_after = kNow + 3600,
          .admitted_by = "open",
          .peer = "uid:1000"};
}

TEST(StateDbSchemaTest, NewDatabaseIsVersion3WithoutAutoincrementOnAssignments) {
  const std::string dir = NewDir();
  FakeClock clock(absl::FromUnixSeconds(kNow));
  ASSERT_TRUE(GatewayStateDb::Open(dir, clock).ok());
  EXPECT_EQ(RawSql(dir, "SELECT 1 FROM pairing_codes, assignments, status, pairing_decoy_key"),
            3);
  EXPECT_THAT(AssignmentsTableSql(dir), Not(HasSubstr("AUTOINCREMENT")));
}

// A version-1 file (AUTOINCREMENT) keeps its records and their ids, and the
// next record's id follows the largest.
TEST(StateDbSchemaTest, Version1DatabaseKeepsItsAssignmentsAndTheirIds) {
  const std::string dir = NewDir();
  ASSERT_EQ(RawSql(dir, absl::StrCat(kUnversionedSchema, "PRAGMA user_version = 1;")), 1);
  for (int id : {3, 7}) {
    RawSql(dir, absl::StrCat(
        "INSERT INTO assignments VALUES (", id, ", ", kNow, ", 'PNE', 'headset', 'alice', 1, "
        "zeroblob(32), ", kNow + 3600, ", 'pairing-code', 'uid:1000');"));
  }
  FakeClock clock(absl::FromUnixSeconds(kNow));
  absl::StatusOr<std::unique_ptr<GatewayStateDb>> db = GatewayStateDb::Open(dir, clock);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->RecordAssignment(Record("watch")).ok());
  absl::StatusOr<std::vector<AssignmentRecord>> all = (*db)->ListAssignments(0, 10);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, 3);
  EXPECT_EQ((*all)[0].assignee.entity_id.value(), "headset");
  EXPECT_EQ((*all)[0].admitted_by, "pairing-code");
  EXPECT_EQ((*all)[1].id, 7);
  EXPECT_EQ((*all)[2].id, 8);
  EXPECT_EQ((*all)[2].assignee.entity_id.value(), "watch");
  db->reset();
  EXPECT_EQ(RawSql(dir, "SELECT 1"), 3);
  EXPECT_THAT(AssignmentsTableSql(dir), Not(HasSubstr("AUTOINCREMENT")));
}

// Pending codes of schema 2 and before were kept as hashes, from which no
// SPAKE2+ verifier can be made: version 3 drops them (the owner makes new
// ones) and keeps everything else.
TEST(StateDbSchemaTest, UnversionedDatabaseOfEarlierReleasesIsKeptButItsCodesDropped) {
  const std::string dir = NewDir();
  ASSERT_EQ(RawSql(dir, kUnversionedSchema), 0);
  RawSql(dir, absl::StrCat(
      "INSERT INTO pairing_codes VALUES (x'00', 'PNE', 'headset', 'alice', ", kNow, ", ",
      kNow + 600, ", NULL);"
      "INSERT INTO assignments (at, entity_type, entity_id, user_id, seed_epoch, fingerprint, "
      "not_after, admitted_by, peer) VALUES (", kNow, ", 'PNE', 'headset', 'alice', 1, "
      "zeroblob(32), ", kNow + 3600, ", 'pairing-code', 'ipv4:127.0.0.1:5000');"
      "INSERT INTO status VALUES (1, '{\"serving\":true}', ", kNow, ");"));
  FakeClock clock(absl::FromUnixSeconds(kNow));
  absl::StatusOr<std::unique_ptr<GatewayStateDb>> db = GatewayStateDb::Open(dir, clock);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_EQ((*db)->PendingPairingCodes().value_or(-1), 0);
  EXPECT_EQ((*db)->CountAssignments().value_or(-1), 1);
  EXPECT_EQ((*db)->ReadStatus().value_or(""), "{\"serving\":true}");
  db->reset();
  EXPECT_EQ(RawSql(dir, "SELECT 1"), 3);
}

TEST(StateDbSchemaTest, DatabaseOfANewerCpnsGwIsRefusedNamingItAndLeftAlone) {
  const std::string dir = NewDir();
  ASSERT_EQ(RawSql(dir, absl::StrCat(kUnversionedSchema, "PRAGMA user_version = 4;")), 4);
  FakeClock clock(absl::FromUnixSeconds(kNow));
  absl::StatusOr<std::unique_ptr<GatewayStateDb>> db = GatewayStateDb::Open(dir, clock);
  ASSERT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(db.status().message()),
              HasSubstr("SQLite database " + dir + "/gateway.db has schema version 4, newer "
                        "than this cpns-gw knows (3)"));
  EXPECT_EQ(RawSql(dir, "SELECT 1"), 4);
}

}  // namespace
}  // namespace cpns::gateway
