#include "core/sqlite.h"
#include "support/temp_dir.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace cpns::sqlite {
namespace {

using ::testing::HasSubstr;

std::string TempPath(const std::string& name) {
  return test::NewTempDir("cpns_sqlite") + "/" + name;
}

// A database file of several pages: a table with `rows` rows of 200 bytes.
void MakeDatabase(const std::string& path, int rows) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_TRUE(Exec(db, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").ok());
  for (int i = 0; i < rows; ++i) {
    auto insert = Statement::Prepare(db, "INSERT INTO t (v) VALUES (?)");
    ASSERT_TRUE(insert.ok());
    insert->Bind(1, std::string(200, 'a' + i % 26));
    ASSERT_TRUE(insert->Step().ok());
  }
  sqlite3_close_v2(db);  // closed once its statements are finalized too
}

// Overwrites `size` bytes at `offset` with garbage, as a failing disk would.
void Scribble(const std::string& path, long offset, size_t size) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offset);
  const std::string garbage(size, '\xA5');
  f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

absl::Status CountRows(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  absl::StatusOr<Statement> q = Statement::Prepare(db, "SELECT count(*), max(v) FROM t");
  absl::Status s = q.ok() ? q->Step().status() : q.status();
  sqlite3_close_v2(db);  // closed once its statements are finalized too
  return s;
}

TEST(SqliteStatementTest, ABindToAParameterTheStatementLacksFailsTheStepNamingIt) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
  ASSERT_TRUE(Exec(db, "CREATE TABLE t (v TEXT)").ok());
  absl::StatusOr<Statement> insert = Statement::Prepare(db, "INSERT INTO t (v) VALUES (?)");
  ASSERT_TRUE(insert.ok());
  insert->Bind(1, "kept");
  insert->Bind(3, int64_t{7});
  const absl::Status s = insert->Step().status();
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(s.message()), HasSubstr("parameter 3"));
  absl::StatusOr<Statement> count = Statement::Prepare(db, "SELECT count(*) FROM t");
  ASSERT_TRUE(count.ok() && *count->Step());
  EXPECT_EQ(count->Int(0), 0) << "the statement ran despite the failed bind";
  sqlite3_close_v2(db);  // closed once its statements are finalized too
}

TEST(SqliteErrorTest, GarbageOverTablePagesIsDataLossMarkedCorrupt) {
  const std::string path = TempPath("pages.db");
  MakeDatabase(path, 200);
  ASSERT_TRUE(CountRows(path).ok());
  Scribble(path, 4096, 4 * 4096);
  const absl::Status s = CountRows(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("the database is corrupt"));
  EXPECT_TRUE(IsCorrupt(s));
}

TEST(SqliteErrorTest, AFileThatIsNotADatabaseIsDataLossMarkedCorrupt) {
  const std::string path = TempPath("header.db");
  MakeDatabase(path, 10);
  Scribble(path, 0, 100);
  const absl::Status s = CountRows(path);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_TRUE(IsCorrupt(s));
}

TEST(SqliteErrorTest, OtherDataLossIsNotCorruption) {
  EXPECT_FALSE(IsCorrupt(absl::DataLossError("stored gw_id is invalid")));
  EXPECT_FALSE(IsCorrupt(absl::UnavailableError("busy")));
}

}  // namespace
}  // namespace cpns::sqlite
