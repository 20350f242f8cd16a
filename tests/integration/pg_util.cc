#include "pg_util.h"

#include <gtest/gtest.h>

#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "harness.h"

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

pid_t PrivatePgCluster::PostmasterPid() const {
  // pg-cluster's env file names the data directory (PGDATA=...), whose
  // postmaster.pid starts with the pid.
  std::ifstream env(state_dir_ + "/env");
  std::string data;
  for (std::string line; std::getline(env, line);) {
    if (absl::StartsWith(line, "PGDATA=")) data = line.substr(7);
  }
  pid_t pid = 0;
  if (data.empty() || !absl::SimpleAtoi(FirstLine(data + "/postmaster.pid"), &pid)) return 0;
  return pid;
}

}  // namespace cpns::test
