// For tests: databases on the throw-away PostgreSQL server of the ctest
// fixture "postgres" (tests/pg), and raw SQL on them.
#ifndef CPNS_STORAGE_TEST_PG_H_
#define CPNS_STORAGE_TEST_PG_H_

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/pg_pool.h"

namespace cpns::storage::pg_test {

inline std::string PgBaseUrl() {
  std::ifstream in(std::string(CPNS_PG_STATE_DIR) + "/url");
  std::string url;
  std::getline(in, url);
  return url;
}

// The first column of each row of `sql`; a failure is the test's.
inline std::vector<std::string> PgRows(const std::string& url, const std::string& sql) {
  pg::Pool pool({.conninfo = url, .max_connections = 1});
  absl::StatusOr<pg::Connection> c = pool.Acquire();
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return {};
  absl::StatusOr<pg::Result> r = c->Exec(sql);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return {};
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.emplace_back(r->Text(i, 0));
  return out;
}

inline void PgExec(const std::string& url, const std::string& sql) { PgRows(url, sql); }

// A new empty database named <prefix>_<pid>_<n>; returns its URL.
inline std::string NewPgDatabase(const std::string& prefix) {
  static std::atomic<int> n{0};
  const std::string base = PgBaseUrl();
  EXPECT_FALSE(base.empty()) << "no PostgreSQL fixture: run through ctest";
  const std::string name = absl::StrCat(prefix, "_", getpid(), "_", n++);
  PgExec(base, absl::StrCat("DROP DATABASE IF EXISTS ", name));
  PgExec(base, absl::StrCat("CREATE DATABASE ", name));
  return base.substr(0, base.rfind('/') + 1) + name;
}

}  // namespace cpns::storage::pg_test

#endif  // CPNS_STORAGE_TEST_PG_H_
