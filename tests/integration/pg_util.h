// PostgreSQL for integration tests: the shared ctest fixture's server, fresh
// databases on it, and private clusters a test may stop and start.
#ifndef CPNS_TESTS_INTEGRATION_PG_UTIL_H_
#define CPNS_TESTS_INTEGRATION_PG_UTIL_H_

#include <string>

namespace cpns::test {

// The URL of the fixture's server (ctest fixture "postgres"); empty if none.
std::string PgFixtureUrl();

// Creates a new, empty database on the server of `base_url`; returns its URL.
std::string NewPgDatabase(const std::string& base_url);

// A cluster of the test's own (tests/pg/pg-cluster), destroyed with the object.
class PrivatePgCluster {
 public:
  explicit PrivatePgCluster(const std::string& state_dir);
  ~PrivatePgCluster();
  const std::string& url() const { return url_; }
  bool Stop();
  bool Start();
  // pg_dump of `database` as plain SQL.
  std::string Dump(const std::string& database) const;

 private:
  std::string state_dir_;
  std::string url_;
};

}  // namespace cpns::test

#endif  // CPNS_TESTS_INTEGRATION_PG_UTIL_H_
