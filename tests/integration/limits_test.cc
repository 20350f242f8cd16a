// Bursts of connections and idle connections against the real daemons: after
// any burst, once its connections are closed, each listener serves again;
// connections are bounded per listener and per peer, idle ones are closed;
// a listener that cannot go on ends the daemon with a non-zero exit code.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "flow_fixture.h"
#include "seed_client.h"

namespace cpns::test {
namespace {

// Descriptors each daemon gets in the burst tests (soft and hard limit):
// well under the burst, so that without bounds accept4 fails with EMFILE.
constexpr int kDaemonFdLimit = 256;
constexpr int kBurst = 400;

// Connects to "HOST:PORT" (IPv4) or "unix:PATH"; -1 on failure.
int Connect(const std::string& address) {
  if (address.rfind("unix:", 0) == 0) {
    const std::string path = address.substr(5);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }
  std::string hostport = address.rfind("tls:", 0) == 0 ? address.substr(4) : address;
  const size_t colon = hostport.rfind(':');
  int port = 0;
  if (!absl::SimpleAtoi(hostport.substr(colon + 1), &port)) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, hostport.substr(0, colon).c_str(), &addr.sin_addr);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Opens up to `n` idle connections (a full backlog may refuse some).
std::vector<int> OpenIdle(const std::string& address, int n) {
  std::vector<int> fds;
  for (int i = 0; i < n; ++i) {
    const int fd = Connect(address);
    if (fd >= 0) fds.push_back(fd);
  }
  return fds;
}

void CloseAll(std::vector<int>& fds) {
  for (int fd : fds) close(fd);
  fds.clear();
}

// True when the daemon closed `fd` (EOF or reset) within `timeout_ms`.
bool ClosedByPeer(int fd, int timeout_ms) {
  pollfd p{.fd = fd, .events = POLLIN};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char byte;
  const ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

// Retries `attempt` (a call that succeeds once the daemon serves) for up to
// `seconds`; returns whether it succeeded.
bool Eventually(int seconds, const std::function<bool()>& attempt) {
  return WaitUntil(attempt, absl::Seconds(seconds), absl::Milliseconds(200));
}

class LimitsTest : public FlowTest {
 protected:
  void SetUp() override {
    FlowTest::SetUp();
    // The test itself holds two bursts at once.
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }

  void LowerDaemonFdLimit() {
    launcher_ = {"/bin/sh", "-c", absl::StrCat("ulimit -n ", kDaemonFdLimit, " && exec \"$@\""),
                 "sh"};
  }

  // Waits (at most 10 s) until `daemon` has reported refusing or delaying
  // connections: it has met the burst at its bound.
  static bool Refusing(const Daemon& daemon) {
    return Eventually(10, [&] {
      return daemon.process->log().find("connections refused or delayed") != std::string::npos;
    });
  }

  bool GatewayGetsSeed(const std::string& server, const std::string& gw) {
    auto stub = GatewayStub(server, pki_dir_, gw);
    cpns::v1::FirstSeedResponse response;
    return RequestSeed(*stub, gw, &response, 3).ok();
  }
};

TEST_F(LimitsTest, ServerServesAgainAfterABurstBeyondItsDescriptorLimit) {
  LowerDaemonFdLimit();
  Daemon server = StartServer();
  ASSERT_TRUE(GatewayGetsSeed(server.address, "gw-00"));

  std::vector<int> burst = OpenIdle(server.address, kBurst);
  EXPECT_GT(burst.size(), static_cast<size_t>(kDaemonFdLimit)) << "the burst did not exceed the limit";
  EXPECT_TRUE(Refusing(server)) << server.process->log();
  CloseAll(burst);

  EXPECT_TRUE(Eventually(10, [&] { return GatewayGetsSeed(server.address, "gw-01"); }))
      << server.process->log();
  EXPECT_TRUE(server.process->running());
  // The refusals were reported, in a bounded number of lines.
  EXPECT_NE(server.process->log().find("connections refused or delayed"), std::string::npos)
      << server.process->log();
  EXPECT_EQ(server.process->Terminate(), 0);
}

TEST_F(LimitsTest, GatewayServesAgainOnUnixAndTlsAfterABurst) {
  Daemon server = StartServer();
  LowerDaemonFdLimit();
  Daemon local = StartGateway("gw-A", server.address);
  Daemon remote = StartGateway("gw-B", server.address, "",
                               {"--admission", "certificate", "--device-ca", Pki("device-ca.crt"),
                                "--pn-listen", "tls:127.0.0.1:0", "--pn-cert", Pki("gw-gw-B.crt"),
                                "--pn-key", Pki("gw-gw-B.key")});
  const std::string tls = TlsAddress(remote);
  auto request_tls = [&] {
    return Request(tls, "headset-42", "alice",
                   {"--gateway-ca", Pki("ca.crt"), "--cert", Pki("device-headset-42.crt"), "--key",
                    Pki("device-headset-42.key"), "--timeout", "3s"});
  };
  ASSERT_EQ(Request(local.address, "headset-42", "alice").exit_code, 0);
  ASSERT_EQ(request_tls().exit_code, 0);

  // Both of gw-B's listeners at once: they share its descriptors.
  std::vector<int> unix_burst = OpenIdle(local.address, kBurst);
  std::vector<int> tls_burst = OpenIdle(tls, kBurst);
  std::vector<int> remote_unix_burst = OpenIdle(remote.address, kBurst);
  EXPECT_GT(unix_burst.size(), static_cast<size_t>(kDaemonFdLimit));
  EXPECT_GT(tls_burst.size() + remote_unix_burst.size(), static_cast<size_t>(kDaemonFdLimit));
  EXPECT_TRUE(Refusing(local)) << local.process->log();
  EXPECT_TRUE(Refusing(remote)) << remote.process->log();
  CloseAll(unix_burst);
  CloseAll(tls_burst);
  CloseAll(remote_unix_burst);

  EXPECT_TRUE(Eventually(10, [&] {
    return Request(local.address, "watch-7", "alice", {"--timeout", "3s"}).exit_code == 0;
  })) << local.process->log();
  EXPECT_TRUE(Eventually(10, [&] { return request_tls().exit_code == 0; }))
      << remote.process->log();
  EXPECT_EQ(local.process->Terminate(), 0);
  EXPECT_EQ(remote.process->Terminate(), 0);
}

TEST_F(LimitsTest, ConnectionsBeyondThePerPeerBoundAreClosedAtOnce) {
  Daemon server = StartServer({"--max-connections-per-peer", "4"});
  std::vector<int> held = OpenIdle(server.address, 10);
  ASSERT_EQ(held.size(), 10u);
  int closed = 0;
  for (int fd : held) closed += ClosedByPeer(fd, 2000) ? 1 : 0;
  EXPECT_EQ(closed, 6) << "4 of 10 connections from one address should be held";
  CloseAll(held);
  EXPECT_TRUE(Eventually(10, [&] { return GatewayGetsSeed(server.address, "gw-02"); }));
}

TEST_F(LimitsTest, IdleConnectionsAreClosed) {
  Daemon server = StartServer({"--idle-timeout", "2s"});
  const int fd = Connect(server.address);
  ASSERT_GE(fd, 0);
  // Never starts its TLS handshake: closed at the handshake deadline (2 s).
  EXPECT_FALSE(ClosedByPeer(fd, 500));
  EXPECT_TRUE(ClosedByPeer(fd, 10000));
  close(fd);
}

// On a Unix socket too: a client that connects and never speaks HTTP/2 is
// closed at the handshake deadline, while one that does is served.
TEST_F(LimitsTest, GatewayClosesASilentUnixConnection) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address, "", {"--idle-timeout", "2s"});
  const int fd = Connect(gw.address);
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(ClosedByPeer(fd, 500));
  EXPECT_EQ(Request(gw.address, "headset-42", "alice").exit_code, 0);
  EXPECT_TRUE(ClosedByPeer(fd, 10000));
  close(fd);
}

TEST_F(LimitsTest, GatewayExitsNonZeroWhenItsSocketFileIsRemoved) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  const std::string path = gw.address.substr(5);
  ASSERT_EQ(unlink(path.c_str()), 0);
  EXPECT_TRUE(Eventually(10, [&] { return !gw.process->running(); })) << gw.process->log();
  EXPECT_EQ(gw.process->Terminate(), 1) << gw.process->log();
  EXPECT_NE(gw.process->log().find("was removed or replaced"), std::string::npos)
      << gw.process->log();
}

// A second daemon on the socket of a running one is refused, and the running
// one keeps serving (neither takes the socket from the other, which would
// make them restart each other for ever under a supervisor).
TEST_F(LimitsTest, ALiveUnixSocketIsNotTakenOver) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  const RunResult second = RunProgram(
      {Program("cpns-gw"), "serve", "--gw-id", "gw-B", "--server", server.address, "--server-ca",
       Pki("ca.crt"), "--cert", Pki("gw-gw-B.crt"), "--key", Pki("gw-gw-B.key"), "--state-dir",
       StateDir("gw-B"), "--pn-listen", gw.address, "--admission", "open"});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_NE(second.err.find("is in use: another process serves on it"), std::string::npos)
      << second.err;
  EXPECT_EQ(Request(gw.address, "headset-42", "alice").exit_code, 0);
  EXPECT_TRUE(gw.process->running());
}

// On a Unix socket the peer is the user that connected (SO_PEERCRED): one
// local user's burst uses up its own budget, not another's, and the owner's
// record names the users.
TEST_F(LimitsTest, OnAUnixSocketEachUserIsItsOwnPeer) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address, "", {"--rate-limit-per-peer", "2"});
  // Let another user reach the socket (the daemon makes it 0660).
  const std::string path = gw.address.substr(5);
  ASSERT_EQ(chmod(dir_.c_str(), 0755), 0);
  ASSERT_EQ(chmod(path.c_str(), 0666), 0);
  // The build tree may be in a directory only root can enter: the other
  // user runs a copy of cpns-pne from the test's own directory.
  const std::string pne = dir_ + "/cpns-pne";
  {
    std::ifstream in(Program("cpns-pne"), std::ios::binary);
    std::ofstream out(pne, std::ios::binary);
    out << in.rdbuf();
  }
  ASSERT_EQ(chmod(pne.c_str(), 0755), 0);
  auto as_nobody = [&](const std::string& entity) {
    return RunProgram({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                       pne, "request", "--gateway", gw.address, "--entity-type",
                       "PNE", "--entity-id", entity, "--user-id", "bob", "--timeout", "10s"});
  };

  EXPECT_EQ(Request(gw.address, "headset-42", "alice").exit_code, 0);
  EXPECT_EQ(Request(gw.address, "watch-7", "alice").exit_code, 0);
  const RunResult third = Request(gw.address, "headset-43", "alice");
  EXPECT_EQ(third.exit_code, 1);
  EXPECT_NE(third.err.find("RESOURCE_EXHAUSTED"), std::string::npos) << third.err;

  const RunResult other_user = as_nobody("headset-44");
  EXPECT_EQ(other_user.exit_code, 0) << other_user.err;

  const RunResult record = RunProgram({Program("cpns-gw"), "assignments", "list", "--state-dir",
                                       StateDir("gw-A"), "--json"});
  ASSERT_EQ(record.exit_code, 0) << record.err;
  std::set<std::string> peers;
  for (const auto& row : nlohmann::json::parse(record.out)) peers.insert(row.at("peer"));
  EXPECT_EQ(peers, (std::set<std::string>{"uid:0", "uid:65534"})) << record.out;
}

}  // namespace
}  // namespace cpns::test
