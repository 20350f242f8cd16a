// PostgreSQL clusters of a test's own, for integration tests that stop,
// start, freeze or dump their server. The shared server of the ctest fixture
// and new databases come from support/postgres.h.
#ifndef CPNS_TESTS_INTEGRATION_PG_UTIL_H_
#define CPNS_TESTS_INTEGRATION_PG_UTIL_H_

#include <sys/types.h>

#include <string>

#include "support/postgres.h"

namespace cpns::test {

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
  // The server's main process; 0 when it is not running.
  pid_t PostmasterPid() const;

 private:
  std::string state_dir_;
  std::string url_;
};

}  // namespace cpns::test

#endif  // CPNS_TESTS_INTEGRATION_PG_UTIL_H_
