// Bad input at both daemons: each gets a clear INVALID_ARGUMENT (or the right
// refusal) naming what was wrong, and the daemon keeps serving.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include "cpns/v1/cpns.grpc.pb.h"
#include "flow_fixture.h"
#include "seed_client.h"
#include "wire/tls.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;

grpc::Status Assign(cpns::v1::EUKeyService::Stub& stub, cpns::v1::EntityType type,
                    const std::string& entity, const std::string& user,
                    cpns::v1::EUKeyAssignmentResponse* response = nullptr) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(15));
  cpns::v1::EUKeyAssignmentRequest req;
  req.set_entity_type(type);
  req.set_entity_id(entity);
  req.set_user_id(user);
  cpns::v1::EUKeyAssignmentResponse ignored;
  return stub.AssignEUKey(&ctx, req, response ? response : &ignored);
}

TEST_F(FlowTest, MalformedAssignmentRequestsAreRefusedAndTheGatewayKeepsServing) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  auto stub = cpns::v1::EUKeyService::NewStub(
      grpc::CreateChannel(gw.address, grpc::InsecureChannelCredentials()));

  struct Case {
    cpns::v1::EntityType type;
    std::string entity, user, expected;
  };
  const std::vector<Case> cases = {
      {cpns::v1::ENTITY_TYPE_UNSPECIFIED, "e", "u", "entity_type is ENTITY_TYPE_UNSPECIFIED"},
      {static_cast<cpns::v1::EntityType>(7), "e", "u", "entity_type 7"},
      {cpns::v1::ENTITY_TYPE_PNE, "", "u", "entity_id is empty"},
      {cpns::v1::ENTITY_TYPE_PNE, "e", "", "user_id is empty"},
      {cpns::v1::ENTITY_TYPE_PNE, std::string(256, 'x'), "u", "entity_id is 256 bytes"},
      {cpns::v1::ENTITY_TYPE_PNE, "e", "bad user", "user_id has byte 0x20 at offset 3"},
      {cpns::v1::ENTITY_TYPE_PNGW, std::string("a\0b", 3), "u", "entity_id has byte 0x00"},
      {cpns::v1::ENTITY_TYPE_PNE, "e", "caf\xC3\xA9", "user_id has byte 0xC3"},
  };
  for (const Case& c : cases) {
    const grpc::Status s = Assign(*stub, c.type, c.entity, c.user);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.expected;
    EXPECT_THAT(s.error_message(), HasSubstr(c.expected));
  }
  // An oversized message is refused by the transport before it is parsed.
  EXPECT_EQ(Assign(*stub, cpns::v1::ENTITY_TYPE_PNE, std::string(64 * 1024, 'x'), "u").error_code(),
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  // No seed was requested for any of them, and the gateway still serves.
  EXPECT_TRUE(SeedsList().empty());
  cpns::v1::EUKeyAssignmentResponse ok;
  const grpc::Status s = Assign(*stub, cpns::v1::ENTITY_TYPE_PNGW, "car-7", "alice", &ok);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(ok.entity_type(), cpns::v1::ENTITY_TYPE_PNGW);
  EXPECT_EQ(ok.second_seed().size(), 32u);
  EXPECT_TRUE(gw.process->running());
}

TEST_F(FlowTest, ServerRefusesForeignAndMalformedSeedRequestsAndKeepsServing) {
  Daemon server = StartServer();
  auto as_a = ServerStub(server.address, {.ca_file = Pki("ca.crt"),
                                          .cert_file = Pki("gw-gw-A.crt"),
                                          .key_file = Pki("gw-gw-A.key")});
  cpns::v1::FirstSeedResponse r;
  grpc::Status s = RequestSeed(*as_a, "gw-B", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(s.error_message(), HasSubstr("'gw-B' is not the authenticated gateway 'gw-A'"));
  s = RequestSeed(*as_a, "", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("gw_id is empty"));
  s = RequestSeed(*as_a, "gw A", &r);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(SeedsList().empty()) << "nothing may be stored for a refused request";

  // A client without a certificate (as an assignee calling AuthService
  // directly) gets through TLS but not to a seed.
  auto anonymous = ServerStub(server.address, {.ca_file = Pki("ca.crt")});
  const grpc::Status anon = RequestSeed(*anonymous, "gw-A", &r);
  EXPECT_EQ(anon.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(anon.error_message(), HasSubstr("no verified client certificate"));
  EXPECT_TRUE(SeedsList().empty());

  // The server still serves, and the request is idempotent.
  cpns::v1::FirstSeedResponse first, again;
  ASSERT_TRUE(RequestSeed(*as_a, "gw-A", &first).ok());
  ASSERT_TRUE(RequestSeed(*as_a, "gw-A", &again).ok());
  EXPECT_EQ(first.first_seed().size(), 32u);
  EXPECT_EQ(first.first_seed(), again.first_seed());
  EXPECT_EQ(first.seed_epoch(), 1u);
  EXPECT_EQ(again.seed_epoch(), 1u);
  EXPECT_EQ(SeedsList().size(), 1u);
}

TEST_F(FlowTest, ProgramsRejectBadFlagsWithOneLineAndExitCode2) {
  for (const std::string program : {"cpns-server", "cpns-gw", "cpns-pne", "cpns-keytool"}) {
    const RunResult r = RunProgram({Program(program), "no-such-command"});
    EXPECT_EQ(r.exit_code, 2) << program;
    EXPECT_THAT(r.err, HasSubstr(program + ": error:"));
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    const RunResult help = RunProgram({Program(program), "--help"});
    EXPECT_EQ(help.exit_code, 0) << program;
    EXPECT_THAT(help.out, HasSubstr("Usage"));
  }
  const RunResult bad = Request("unix:/nonexistent.sock", "e", "u", {"--timeout", "forever"});
  EXPECT_EQ(bad.exit_code, 2) << "a bad flag value is a usage error";
  EXPECT_THAT(bad.err, HasSubstr("--timeout 'forever' is not a whole number of seconds"));
  const RunResult inf = Request("unix:/nonexistent.sock", "e", "u", {"--timeout", "inf"});
  EXPECT_EQ(inf.exit_code, 2);
}

}  // namespace
}  // namespace cpns::test
