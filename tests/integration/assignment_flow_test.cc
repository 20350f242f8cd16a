// The EUKey assignment flow end to end, with the real programs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/match.h"
#include "core/file_util.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"
#include "flow_fixture.h"
#include "gateway/seed_file.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;

int CountOccurrences(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos; pos = text.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

// Recomputes the EUKey as the CPNS Server would: from the 1st seed (here read
// from the gateway's state) and what the assignee received.
void ExpectEUKeyDerivesFrom(const gateway::FirstSeed& seed, const nlohmann::json& a) {
  const SecretBytes second = *HexDecodeSecret("second_seed", a["second_seed"].get<std::string>());
  const Assignee assignee{*ParseEntityType(a["entity_type"].get<std::string>()),
                          *EntityId::Parse(a["entity_id"].get<std::string>()),
                          *UserId::Parse(a["user_id"].get<std::string>())};
  const AssignmentContext ctx{seed.gw_id, a["seed_epoch"].get<uint32_t>(), assignee,
                              a["not_after"].get<int64_t>()};
  const SecretBytes eukey = *DeriveEUKey(seed.first_seed, second, ctx);
  EXPECT_EQ(HexEncode(eukey.RevealSecret()), a["eukey"].get<std::string>());
}

TEST_F(FlowTest, FirstAssignmentMakesOneSeedSecondAndRestartMakeNone) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);

  // First assignment: steps 1-7, one 1st Seed Request.
  const RunResult first = Request(gw.address, "headset-1", "alice");
  ASSERT_EQ(first.exit_code, 0) << first.err << gw.process->log();
  const nlohmann::json a1 = nlohmann::json::parse(first.out);
  EXPECT_EQ(a1["gw_id"], "gw-A");
  EXPECT_EQ(a1["seed_epoch"], 1);
  EXPECT_EQ(a1["eukey"].get<std::string>().size(), 64u);
  nlohmann::json seeds = SeedsList();
  ASSERT_EQ(seeds.size(), 1u);
  EXPECT_EQ(seeds[0]["gw_id"], "gw-A");
  EXPECT_EQ(seeds[0]["seed_epoch"], 1);
  EXPECT_FALSE(seeds[0].contains("first_seed"));

  const auto saved = gateway::LoadSeedFile(StateDir("gw-A") + "/first_seed", *GatewayId::Parse("gw-A"));
  ASSERT_TRUE(saved.ok()) << saved.status();
  ExpectEUKeyDerivesFrom(*saved, a1);

  // Second assignment: step 2 finds the seed; a fresh 2nd seed and EUKey.
  const RunResult second = Request(gw.address, "headset-1", "alice");
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const nlohmann::json a2 = nlohmann::json::parse(second.out);
  EXPECT_NE(a2["second_seed"], a1["second_seed"]);
  EXPECT_NE(a2["eukey"], a1["eukey"]);
  ExpectEUKeyDerivesFrom(*saved, a2);
  EXPECT_EQ(SeedsList().size(), 1u);

  // The server saw exactly one request; then it goes away entirely.
  EXPECT_EQ(server.process->Terminate(), 0) << "server did not shut down cleanly";
  EXPECT_EQ(CountOccurrences(server.process->log(), "1st Seed Response gw_id=gw-A "), 1)
      << server.process->log();

  // Gateway restart: it serves from its saved seed without the server.
  EXPECT_EQ(gw.process->Terminate(), 0) << "gateway did not shut down cleanly";
  Daemon restarted = StartGateway("gw-A", server.address);
  const RunResult third = Request(restarted.address, "speaker-2", "bob");
  ASSERT_EQ(third.exit_code, 0) << third.err << restarted.process->log();
  const nlohmann::json a3 = nlohmann::json::parse(third.out);
  EXPECT_EQ(a3["seed_epoch"], 1);
  ExpectEUKeyDerivesFrom(*saved, a3);
  EXPECT_EQ(SeedsList().size(), 1u);
}

TEST_F(FlowTest, ConcurrentFirstAssignmentsMakeOneSeedRequest) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  constexpr int kAssignees = 24;
  std::vector<RunResult> results(kAssignees);
  std::vector<std::thread> threads;
  for (int i = 0; i < kAssignees; ++i) {
    threads.emplace_back([&, i] { results[i] = Request(gw.address, "pne-" + std::to_string(i), "alice"); });
  }
  for (auto& t : threads) t.join();
  for (const RunResult& r : results) {
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(nlohmann::json::parse(r.out)["seed_epoch"], 1);
  }
  EXPECT_EQ(SeedsList().size(), 1u);
  EXPECT_EQ(CountOccurrences(server.process->log(), "1st Seed Response gw_id=gw-A "), 1)
      << server.process->log();
}

TEST_F(FlowTest, StateIsPrivateAndSocketIsGroupOnly) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  ASSERT_EQ(Request(gw.address, "e", "u").exit_code, 0);
  struct stat st;
  ASSERT_EQ(stat(StateDir("gw-A").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  ASSERT_EQ(stat((StateDir("gw-A") + "/first_seed").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  ASSERT_EQ(stat(gw.address.substr(5).c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u) << "owner and group only";
}

TEST_F(FlowTest, GatewayWithAnotherGatewaysCertificateIsRefusedAndNothingStored) {
  Daemon server = StartServer();
  // gw-B's daemon holding gw-A's certificate asks for gw-B's seed.
  Daemon gw = StartGateway("gw-B", server.address, /*cert_id=*/"gw-A");
  const RunResult r = Request(gw.address, "headset", "alice");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNAVAILABLE"));
  EXPECT_THAT(r.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(r.err, HasSubstr("not the authenticated gateway 'gw-A'"));
  EXPECT_TRUE(SeedsList().empty());
  EXPECT_TRUE(server.process->running());
}

TEST_F(FlowTest, ServerDownWithoutSeedGivesUnavailableWithinTheDeadline) {
  Daemon server = StartServer();
  const std::string address = server.address;
  ASSERT_EQ(server.process->Terminate(), 0);
  Daemon gw = StartGateway("gw-A", address);
  const RunResult r = Request(gw.address, "headset", "alice", {"--timeout", "8s"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cpns-pne: UNAVAILABLE: the gateway holds no 1st seed"));
  EXPECT_TRUE(gw.process->running());

  // The server comes back: the next request succeeds and the seed is stored.
  // (A second gateway on the same socket and state directory is refused
  // while the first runs: it is stopped first.)
  ASSERT_EQ(gw.process->Terminate(), 0);
  Daemon back = StartServer();
  Daemon gw2 = StartGateway("gw-A", back.address);
  const RunResult ok = Request(gw2.address, "headset", "alice");
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(SeedsList().size(), 1u);
}

// A server that accepts TCP connections but never answers (a black hole):
// the assignee still gets UNAVAILABLE from the gateway, before its own deadline.
TEST_F(FlowTest, SilentServerGivesUnavailableBeforeTheCallersDeadline) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  Daemon gw = StartGateway("gw-A", "127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  const RunResult r = Request(gw.address, "headset", "alice", {"--timeout", "3s"});
  close(fd);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cpns-pne: UNAVAILABLE: "));
  EXPECT_TRUE(gw.process->running());
}

TEST_F(FlowTest, PnTlsListenerServesWithTheGatewayCertificate) {
  Daemon server = StartServer();
  // A TCP listener cannot be open: the device brings a pairing code.
  Daemon gw = StartGateway("gw-A", server.address, "",
                           {"--pn-listen", "tls:127.0.0.1:0", "--pn-cert", Pki("gw-gw-A.crt"),
                            "--pn-key", Pki("gw-gw-A.key"), "--admission", "pairing"});
  const RunResult pair = RunProgram({Program("cpns-gw"), "pair", "add", "--state-dir",
                                     StateDir("gw-A"), "--entity-id", "tv", "--user-id", "alice",
                                     "--json"});
  ASSERT_EQ(pair.exit_code, 0) << pair.err;
  const std::string code = nlohmann::json::parse(pair.out)["code"];
  const std::string tls = TlsAddress(gw);
  ASSERT_FALSE(tls.empty());
  const RunResult r = Request(tls, "tv", "alice",
                              {"--gateway-ca", Pki("ca.crt"), "--pairing-code", code});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  // Without the right CA the assignee refuses the gateway.
  const RunResult untrusted = Request(tls, "tv", "alice", {"--gateway-ca", Pki("gw-gw-B.crt")});
  EXPECT_NE(untrusted.exit_code, 0);
}

TEST_F(FlowTest, DaemonsExitCleanlyOnSigterm) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  EXPECT_EQ(gw.process->Terminate(), 0);
  EXPECT_EQ(server.process->Terminate(), 0);
  EXPECT_THAT(gw.process->log(), HasSubstr("stopped"));
}

}  // namespace
}  // namespace cpns::test
