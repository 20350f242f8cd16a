// Authentication with the EUKey at the CPNS Server, with the real programs:
// direct and relayed by the gateway, and every refusal.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <functional>

#include "absl/strings/str_cat.h"
#include "cpns/assignee/key_file.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "flow_fixture.h"
#include "gateway/seed_file.h"
#include "pg_util.h"
#include "wire/tls.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;

class AuthTest : public FlowTest {
 protected:
  // A server, a gateway, and an assignment saved by `cpns-pne request --save`.
  void StartAndAssign() {
    server_ = StartServer();
    gw_ = StartGateway("gw-A", server_.address);
    key_file_ = dir_ + "/headset.key";
    const RunResult r = Request(gw_.address, "headset", "alice", {"--save", key_file_});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  RunResult Authenticate(const std::string& key_file, std::vector<std::string> path) {
    std::vector<std::string> argv = {Program("cpns-pne"), "authenticate", "--key-file", key_file};
    argv.insert(argv.end(), path.begin(), path.end());
    return RunProgram(argv);
  }
  std::vector<std::string> Direct() { return {"--server", server_.address, "--server-ca", Pki("ca.crt")}; }
  std::vector<std::string> Relayed() { return {"--gateway", gw_.address}; }

  // A direct AuthService stub, as an assignee with no client certificate.
  std::unique_ptr<cpns::v1::AuthService::Stub> AuthStub(const std::string& address) {
    auto creds = wire::MakeChannelCredentials({.ca_file = Pki("ca.crt")});
    return cpns::v1::AuthService::NewStub(grpc::CreateChannel(address, *creds));
  }
  std::string Challenge(cpns::v1::AuthService::Stub& stub) {
    grpc::ClientContext ctx;
    cpns::v1::ChallengeResponse r;
    EXPECT_TRUE(stub.GetChallenge(&ctx, {}, &r).ok());
    return r.challenge();
  }
  // A request with a correct proof for `a` over `challenge`.
  cpns::v1::AuthenticateRequest Proven(const assignee::EUKeyAssignment& a,
                                       const std::string& challenge) {
    const std::string nonce(16, 'n');
    const SecretBytes proof = *DeriveAuthProof(
        a.eukey, {a.gw_id, a.seed_epoch, a.assignee, a.not_after}, a.second_seed, challenge, nonce);
    cpns::v1::AuthenticateRequest r;
    r.set_challenge(challenge);
    r.set_client_nonce(nonce);
    r.set_gw_id(a.gw_id.value());
    r.set_seed_epoch(a.seed_epoch);
    r.set_entity_type(cpns::v1::ENTITY_TYPE_PNE);
    r.set_entity_id(a.assignee.entity_id.value());
    r.set_user_id(a.assignee.user_id.value());
    r.set_second_seed(std::string(a.second_seed.RevealSecret()));
    r.set_not_after(a.not_after);
    r.set_proof(std::string(proof.RevealSecret()));
    return r;
  }
  grpc::Status Send(cpns::v1::AuthService::Stub& stub, const cpns::v1::AuthenticateRequest& r) {
    grpc::ClientContext ctx;
    cpns::v1::AuthenticateResponse response;
    return stub.Authenticate(&ctx, r, &response);
  }

  Daemon server_, gw_;
  std::string key_file_;
};

TEST_F(AuthTest, AcceptedDirectlyAndRelayedByTheGateway) {
  StartAndAssign();
  const RunResult direct = Authenticate(key_file_, Direct());
  EXPECT_EQ(direct.exit_code, 0) << direct.err;
  EXPECT_THAT(direct.out, HasSubstr("authenticated"));
  const RunResult relayed = Authenticate(key_file_, Relayed());
  EXPECT_EQ(relayed.exit_code, 0) << relayed.err;
  EXPECT_THAT(relayed.out, HasSubstr("relayed by the gateway"));
  EXPECT_THAT(server_.process->log(), HasSubstr("authenticated entity_id=headset user_id=alice"));
}

TEST_F(AuthTest, AReplayedProofIsRefused) {
  StartAndAssign();
  const auto a = *assignee::LoadAssignment(key_file_);
  auto stub = AuthStub(server_.address);
  const cpns::v1::AuthenticateRequest r = Proven(a, Challenge(*stub));
  ASSERT_TRUE(Send(*stub, r).ok());
  const grpc::Status replay = Send(*stub, r);
  EXPECT_EQ(replay.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(replay.error_message(), HasSubstr("already used"));
}

TEST_F(AuthTest, TamperedFieldsWrongProofUnknownEpochAndBadChallengeAreRefused) {
  StartAndAssign();
  const auto a = *assignee::LoadAssignment(key_file_);
  auto stub = AuthStub(server_.address);
  struct Case {
    std::string name;
    std::function<void(cpns::v1::AuthenticateRequest&)> tamper;
    grpc::StatusCode code;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {"2nd seed", [](auto& r) { r.mutable_second_seed()->at(0) ^= 1; },
       grpc::StatusCode::UNAUTHENTICATED, "does not verify"},
      {"user id", [](auto& r) { r.set_user_id("mallory"); }, grpc::StatusCode::UNAUTHENTICATED,
       "does not verify"},
      {"not_after", [](auto& r) { r.set_not_after(r.not_after() + 86400); },
       grpc::StatusCode::UNAUTHENTICATED, "does not verify"},
      {"entity type", [](auto& r) { r.set_entity_type(cpns::v1::ENTITY_TYPE_PNGW); },
       grpc::StatusCode::UNAUTHENTICATED, "does not verify"},
      {"proof", [](auto& r) { r.mutable_proof()->at(5) ^= 1; }, grpc::StatusCode::UNAUTHENTICATED,
       "does not verify"},
      {"epoch", [](auto& r) { r.set_seed_epoch(2); }, grpc::StatusCode::NOT_FOUND,
       "unknown gateway or seed epoch"},
      {"gateway", [](auto& r) { r.set_gw_id("gw-B"); }, grpc::StatusCode::NOT_FOUND,
       "unknown gateway or seed epoch"},
      {"challenge", [](auto& r) { r.mutable_challenge()->at(3) ^= 1; },
       grpc::StatusCode::FAILED_PRECONDITION, "challenge is not valid"},
      {"client nonce size", [](auto& r) { r.set_client_nonce("short"); },
       grpc::StatusCode::INVALID_ARGUMENT, "client_nonce is 5 bytes"},
  };
  for (const Case& c : cases) {
    cpns::v1::AuthenticateRequest r = Proven(a, Challenge(*stub));
    c.tamper(r);
    const grpc::Status s = Send(*stub, r);
    EXPECT_EQ(s.error_code(), c.code) << c.name << ": " << s.error_message();
    EXPECT_THAT(s.error_message(), HasSubstr(c.reason)) << c.name;
  }
  // Nothing above consumed a challenge: a correct proof still works.
  EXPECT_TRUE(Send(*stub, Proven(a, Challenge(*stub))).ok());
}

// An expired key, made without waiting: the EUKey for a not_after in the past
// is derived from the gateway's own 1st seed, exactly as the gateway would.
TEST_F(AuthTest, AnExpiredKeyIsRefused) {
  StartAndAssign();
  const auto seed = *gateway::LoadSeedFile(StateDir("gw-A") + "/first_seed", *GatewayId::Parse("gw-A"));
  auto a = *assignee::LoadAssignment(key_file_);
  a.not_after = 1'000'000'000;  // 2001
  a.eukey = *DeriveEUKey(seed.first_seed, a.second_seed,
                         {a.gw_id, a.seed_epoch, a.assignee, a.not_after});
  const std::string expired_file = dir_ + "/expired.key";
  ASSERT_TRUE(assignee::SaveAssignment(expired_file, a).ok());
  const RunResult r = Authenticate(expired_file, Direct());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("UNAUTHENTICATED: the EUKey expired at 1000000000"));
}

TEST_F(AuthTest, AChallengeFromOneReplicaIsAcceptedByAnotherOnce) {
  ASSERT_NO_FATAL_FAILURE(UsePostgres());
  const std::string kek = NewKek();
  Daemon r1 = StartServer({"--kek-file", kek});
  Daemon r2 = StartServer({"--kek-file", kek});
  server_ = StartServer({"--kek-file", kek});
  gw_ = StartGateway("gw-A", r1.address);
  key_file_ = dir_ + "/headset.key";
  ASSERT_EQ(Request(gw_.address, "headset", "alice", {"--save", key_file_}).exit_code, 0);
  const auto a = *assignee::LoadAssignment(key_file_);
  auto one = AuthStub(r1.address);
  auto two = AuthStub(r2.address);
  const cpns::v1::AuthenticateRequest r = Proven(a, Challenge(*one));
  const grpc::Status first = Send(*two, r);
  EXPECT_TRUE(first.ok()) << first.error_message();
  EXPECT_EQ(Send(*one, r).error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << "replayed at the replica that issued the challenge";
}

}  // namespace
}  // namespace cpns::test
