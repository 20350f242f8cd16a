#include "pg_util.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "harness.h"
#include "storage/pg_pool.h"

namespace cpns::test {
namespace {

std::string Script() { return std::string(CPNS_SOURCE_DIR) + "/tests/pg/pg-cluster"; }

std::string FirstLine(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

}  // namespace

std::string PgFixtureUrl() { return FirstLine(std::string(CPNS_PG_STATE_DIR) + "/url"); }

std::string NewPgDatabase(const std::string& base_url) {
  static std::atomic<int> n{0};
  const std::string name = absl::StrCat("cpns_it_", getpid(), "_", n++);
  storage::pg::Pool pool({.conninfo = base_url, .max_connections = 1});
  auto c = pool.Acquire();
  EXPECT_TRUE(c.ok()) << c.status();
  if (c.ok()) {
    absl::Status s = c->Exec(absl::StrCat("CREATE DATABASE ", name)).status();
    EXPECT_TRUE(s.ok()) << s;
  }
  return base_url.substr(0, base_url.rfind('/') + 1) + name;
}

PrivatePgCluster::PrivatePgCluster(const std::string& state_dir) : state_dir_(state_dir) {
  const RunResult r = RunProgram({Script(), "init", state_dir_});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  url_ = FirstLine(state_dir_ + "/url");
}

PrivatePgCluster::~PrivatePgCluster() { RunProgram({Script(), "destroy", state_dir_}); }

bool PrivatePgCluster::Stop() { return RunProgram({Script(), "stop", state_dir_}).exit_code == 0; }
bool PrivatePgCluster::Start() {
  return RunProgram({Script(), "start", state_dir_}).exit_code == 0;
}

std::string PrivatePgCluster::Dump(const std::string& database) const {
  const RunResult r = RunProgram({Script(), "dump", state_dir_, database});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out;
}

}  // namespace cpns::test
