#include "support/postgres.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <fstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "storage/pg_pool.h"

namespace cpns::test {

std::string PgFixtureUrl() {
  std::ifstream in(std::string(CPNS_PG_STATE_DIR) + "/url");
  std::string url;
  std::getline(in, url);
  return url;
}

void PgExec(const std::string& url, const std::string& sql) {
  storage::pg::Pool pool({.conninfo = url, .max_connections = 1});
  absl::StatusOr<storage::pg::Connection> c = pool.Acquire();
  ASSERT_TRUE(c.ok()) << c.status();
  const absl::Status s = c->Exec(sql).status();
  EXPECT_TRUE(s.ok()) << s << " (" << sql << ")";
}

std::vector<std::string> PgRows(const std::string& url, const std::string& sql) {
  storage::pg::Pool pool({.conninfo = url, .max_connections = 1});
  absl::StatusOr<storage::pg::Connection> c = pool.Acquire();
  EXPECT_TRUE(c.ok()) << c.status();
  if (!c.ok()) return {};
  absl::StatusOr<storage::pg::Result> r = c->Exec(sql);
  EXPECT_TRUE(r.ok()) << r.status() << " (" << sql << ")";
  if (!r.ok()) return {};
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) out.emplace_back(r->Text(i, 0));
  return out;
}

std::string NewPgDatabase(const std::string& base_url) {
  static std::atomic<int> n{0};
  EXPECT_FALSE(base_url.empty()) << "no PostgreSQL server: run the test through ctest";
  const std::string name = absl::StrCat("cpns_test_", getpid(), "_", n++);
  PgExec(base_url, absl::StrCat("DROP DATABASE IF EXISTS ", name));
  PgExec(base_url, absl::StrCat("CREATE DATABASE ", name,
                                " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"));
  return base_url.substr(0, base_url.rfind('/') + 1) + name;
}

}  // namespace cpns::test
