// A gateway gw-A that admits by pairing code, on its Unix socket and on a
// plain tcp: listener (127.0.0.1 port 0), for the pairing tests.
#ifndef CPNS_TESTS_INTEGRATION_PAIRING_FIXTURE_H_
#define CPNS_TESTS_INTEGRATION_PAIRING_FIXTURE_H_

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "flow_fixture.h"

namespace cpns::test {

class PairingTest : public FlowTest {
 protected:
  void StartPairingGateway(std::vector<std::string> extra = {}) {
    server_ = StartServer();
    extra.insert(extra.begin(),
                 {"--admission", "pairing", "--pn-listen", "tcp:127.0.0.1:0"});
    gw_ = StartGateway("gw-A", server_.address, "", extra);
    tcp_ = TcpAddress(gw_);
    const std::string port = tcp_.substr(tcp_.rfind(':') + 1);
    EXPECT_TRUE(absl::SimpleAtoi(port, &tcp_port_)) << tcp_;
  }
  std::string PairAdd(const std::string& entity, const std::string& user) {
    const RunResult r = RunProgram({Program("cpns-gw"), "pair", "add", "--state-dir",
                                    StateDir("gw-A"), "--entity-id", entity, "--user-id", user,
                                    "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out)["code"].get<std::string>() : "";
  }
  // cpns-pne request with a code over `gateway`, with the extra flags.
  RunResult Pair(const std::string& gateway, const std::string& entity, const std::string& user,
                 const std::string& code, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), {"--pairing-code", code});
    return Request(gateway, entity, user, extra);
  }
  nlohmann::json OwnerJson(std::vector<std::string> args) {
    std::vector<std::string> argv = {Program("cpns-gw")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--state-dir", StateDir("gw-A"), "--json"});
    const RunResult r = RunProgram(argv);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
  }
  // The failed attempts `pair list` shows for the pending code of
  // entity/user; -1 when none is pending.
  int FailedAttempts(const std::string& entity, const std::string& user) {
    for (const nlohmann::json& p : OwnerJson({"pair", "list"})) {
      if (p["entity_id"] == entity && p["user_id"] == user) return p["failed_attempts"];
    }
    return -1;
  }
  size_t Assignments() { return OwnerJson({"assignments", "list"}).size(); }

  Daemon server_, gw_;
  std::string tcp_;  // tcp:127.0.0.1:PORT
  int tcp_port_ = 0;
};

}  // namespace cpns::test

#endif  // CPNS_TESTS_INTEGRATION_PAIRING_FIXTURE_H_
