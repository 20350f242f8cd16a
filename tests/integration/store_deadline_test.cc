// The CPNS Server when its database stops answering: a frozen PostgreSQL
// (every process of the cluster SIGSTOPped) or a SQLite file another process
// keeps locked. The gateway is told UNAVAILABLE before its deadline, never
// left to hit DEADLINE_EXCEEDED, and service resumes as soon as the database
// answers again.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "flow_fixture.h"
#include "pg_util.h"
#include "seed_client.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;

constexpr int kDeadlineSeconds = 3;

// The pids whose parent is `parent`, from /proc.
std::vector<pid_t> Children(pid_t parent) {
  std::vector<pid_t> out;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return out;
  while (dirent* e = readdir(proc)) {
    pid_t pid = 0;
    if (!absl::SimpleAtoi(e->d_name, &pid)) continue;
    std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
    std::string stat;
    std::getline(in, stat);
    // "pid (comm) state ppid ...": comm may hold spaces, so split after ')'.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::vector<std::string> fields = absl::StrSplit(stat.substr(close + 2), ' ');
    pid_t ppid = 0;
    if (fields.size() > 1 && absl::SimpleAtoi(fields[1], &ppid) && ppid == parent) {
      out.push_back(pid);
    }
  }
  closedir(proc);
  return out;
}

// Every process of a pg-cluster, stopped with SIGSTOP (the postmaster first,
// so it forks no new backend), and resumed with SIGCONT when destroyed, even
// when an assertion failed: a frozen cluster would hang the cleanup.
class FrozenCluster {
 public:
  explicit FrozenCluster(const PrivatePgCluster& cluster) {
    const pid_t postmaster = cluster.PostmasterPid();
    if (postmaster <= 0) return;
    Stop(postmaster);
    for (pid_t child : Children(postmaster)) Stop(child);
  }
  ~FrozenCluster() { Thaw(); }
  FrozenCluster(const FrozenCluster&) = delete;
  FrozenCluster& operator=(const FrozenCluster&) = delete;

  size_t size() const { return stopped_.size(); }
  void Thaw() {
    for (pid_t pid : stopped_) kill(pid, SIGCONT);
    stopped_.clear();
  }

 private:
  void Stop(pid_t pid) {
    if (kill(pid, SIGSTOP) == 0) stopped_.push_back(pid);
  }
  std::vector<pid_t> stopped_;
};

class ServerStoreDeadlineTest : public FlowTest {
 protected:
  // A 1st Seed Request with a kDeadlineSeconds deadline that must end in
  // UNAVAILABLE before it, saying the database did not answer in time.
  void ExpectQuickUnavailable(cpns::v1::FirstSeedService::Stub& stub, const std::string& gw_id,
                              const std::string& why) {
    cpns::v1::FirstSeedResponse r;
    const auto start = std::chrono::steady_clock::now();
    const grpc::Status s = RequestSeed(stub, gw_id, &r, kDeadlineSeconds);
    const auto took = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE)
        << why << ": " << s.error_code() << " " << s.error_message();
    EXPECT_LT(took, std::chrono::seconds(kDeadlineSeconds)) << why;
  }
};

TEST_F(ServerStoreDeadlineTest, FrozenPostgresGivesUnavailableBeforeTheDeadlineAndRecoversOnThaw) {
  const std::string state_dir = dir_ + "/pg";
  PrivatePgCluster cluster(state_dir);
  ASSERT_NO_FATAL_FAILURE(UsePostgres(cluster.url()));
  Daemon server = StartServer({"--kek-file", NewKek()});
  auto a = GatewayStub(server.address, pki_dir_, "gw-A");
  auto b = GatewayStub(server.address, pki_dir_, "gw-B");
  cpns::v1::FirstSeedResponse before;
  ASSERT_TRUE(RequestSeed(*a, "gw-A", &before).ok());  // the pool now holds a connection

  {
    FrozenCluster frozen(cluster);  // declared after `cluster`: thawed before it is destroyed
    ASSERT_GE(frozen.size(), 2u) << "the postmaster and its backends";
    // A new gateway on the pooled connection, whose query never returns.
    ExpectQuickUnavailable(*b, "gw-B", "pooled connection");
    // That connection was dropped: a known gateway on a new one, whose
    // connection start-up is never answered.
    ExpectQuickUnavailable(*a, "gw-A", "new connection");
    ExpectQuickUnavailable(*a, "gw-A", "again");
    cpns::v1::FirstSeedResponse r;
    const grpc::Status s = RequestSeed(*a, "gw-A", &r, kDeadlineSeconds);
    EXPECT_THAT(s.error_message(), HasSubstr("the database did not answer in time"));
    EXPECT_TRUE(server.process->running());
  }

  // Thawed: served at once, on new connections.
  cpns::v1::FirstSeedResponse after, fresh;
  const grpc::Status up = RequestSeed(*a, "gw-A", &after, kDeadlineSeconds);
  ASSERT_TRUE(up.ok()) << up.error_message();
  EXPECT_EQ(after.first_seed(), before.first_seed());
  const grpc::Status new_gw = RequestSeed(*b, "gw-B", &fresh, kDeadlineSeconds);
  ASSERT_TRUE(new_gw.ok()) << new_gw.error_message();
  EXPECT_EQ(fresh.seed_epoch(), 1u);
  EXPECT_THAT(server.process->log(), HasSubstr("did not answer in time"));
}

// Rolls back and closes a test's own SQLite connection on every path out.
struct SqliteLock {
  sqlite3* db = nullptr;
  ~SqliteLock() {
    if (db != nullptr) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
};

TEST_F(ServerStoreDeadlineTest, LockedSqliteGivesUnavailableBeforeTheDeadline) {
  Daemon server = StartServer({"--kek-file", NewKek()});
  auto a = GatewayStub(server.address, pki_dir_, "gw-A");
  auto b = GatewayStub(server.address, pki_dir_, "gw-B");
  cpns::v1::FirstSeedResponse r;
  ASSERT_TRUE(RequestSeed(*a, "gw-A", &r).ok());
  {
    SqliteLock other;
    ASSERT_EQ(sqlite3_open(db_.c_str(), &other.db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other.db, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(other.db);
    // A new gateway needs the write lock, which the other process keeps
    // longer than the caller can wait.
    ExpectQuickUnavailable(*b, "gw-B", "locked");
    EXPECT_THAT(server.process->log(), HasSubstr("database is locked"));
  }
  const grpc::Status s = RequestSeed(*b, "gw-B", &r, kDeadlineSeconds);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(r.seed_epoch(), 1u);
}

}  // namespace
}  // namespace cpns::test
