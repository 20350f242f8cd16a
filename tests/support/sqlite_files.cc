#include "support/sqlite_files.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

namespace cpns::test {

void SqliteExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK) << path;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db) << " (" << sql << ")";
  sqlite3_close_v2(db);
}

std::vector<std::string> SqliteRows(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> out;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK) << path;
  sqlite3_stmt* q = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &q, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db) << " (" << sql << ")";
  while (q != nullptr && sqlite3_step(q) == SQLITE_ROW) {
    std::string row;
    for (int c = 0; c < sqlite3_column_count(q); ++c) {
      const unsigned char* text = sqlite3_column_text(q, c);
      if (c > 0) row += '|';
      row += text ? reinterpret_cast<const char*>(text) : "NULL";
    }
    out.push_back(std::move(row));
  }
  sqlite3_finalize(q);
  sqlite3_close_v2(db);
  return out;
}

}  // namespace cpns::test
