// A gateway without its WAN link, with the real programs: a cached seed keeps
// assignments going; without one, requests fail fast while the gateway
// retries in the background, and it recovers with one upstream request.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "flow_fixture.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;

// A loopback port that was free a moment ago.
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

int Count(const std::string& log, const std::string& what) {
  int n = 0;
  for (size_t at = log.find(what); at != std::string::npos; at = log.find(what, at + 1)) ++n;
  return n;
}

class WanTest : public FlowTest {
 protected:
  std::unique_ptr<Process> ServerOn(const std::string& address) {
    const std::string ready = dir_ + "/fixed-server.ready";
    ::unlink(ready.c_str());
    auto p = std::make_unique<Process>(
        std::vector<std::string>{Program("cpns-server"), "serve", "--listen", address, "--db",
                                 db_, "--cert", Pki("server.crt"), "--key", Pki("server.key"),
                                 "--client-ca", Pki("ca.crt"), "--ready-file", ready},
        dir_ + "/fixed-server.log");
    EXPECT_TRUE(WaitForFile(ready)) << p->log();
    return p;
  }
};

TEST_F(WanTest, WithACachedSeedEveryAssignmentSucceedsWhileTheServerIsDown) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  ASSERT_EQ(Request(gw.address, "headset", "alice").exit_code, 0);
  server.process->Kill();
  int ok = 0;
  for (int i = 0; i < 40; ++i) ok += Request(gw.address, absl::StrCat("pne-", i), "alice").exit_code == 0;
  EXPECT_EQ(ok, 40);
}

TEST_F(WanTest, WithoutASeedRequestsFailFastAndTheGatewayRecoversByItself) {
  const std::string address = absl::StrCat("127.0.0.1:", FreePort());
  Daemon gw = StartGateway("gw-A", address);  // nothing listens there yet
  const RunResult first = Request(gw.address, "headset", "alice", {"--timeout", "20s"});
  EXPECT_EQ(first.exit_code, 1);
  EXPECT_THAT(first.err, HasSubstr("UNAVAILABLE: the gateway holds no 1st seed"));
  // A burst while the server is away: every request is refused at once with
  // UNAVAILABLE (never a wait for the 20 s deadline).
  std::vector<RunResult> burst(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      burst[i] = Request(gw.address, absl::StrCat("pne-", i), "alice", {"--timeout", "20s"});
    });
  }
  for (auto& t : threads) t.join();
  for (const RunResult& r : burst) {
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));
  }
  // The server comes back; the gateway's background retry fetches the seed,
  // and assignments resume without an operator.
  auto server = ServerOn(address);
  ASSERT_TRUE(WaitUntil([&] { return !ReadFileOrEmpty(StateDir("gw-A") + "/first_seed").empty(); },
                        absl::Seconds(60)))
      << gw.process->log();
  EXPECT_EQ(Request(gw.address, "headset", "alice").exit_code, 0);
  EXPECT_EQ(Count(server->log(), "1st Seed Response gw_id=gw-A "), 1) << server->log();
  EXPECT_THAT(gw.process->log(), HasSubstr("background 1st Seed Request result=ok"));
}

}  // namespace
}  // namespace cpns::test
