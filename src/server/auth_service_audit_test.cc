// AuthServiceImpl: how each refusal is recorded (a row per identified
// refusal, a count for the others), and its gRPC methods.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/auth_service_fixture.h"

namespace cpns::server::test {
namespace {

using ::testing::HasSubstr;

TEST_F(AuthServiceTest, AnAnonymousUnprovenRefusalIsCountedNotWritten) {
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(Authenticate(Valid(7)).ok());
  EXPECT_TRUE(RefusalRows().empty()) << "a refusal anyone can cause costs no row";
  ASSERT_TRUE(refusals_.Flush().ok());
  const std::vector<storage::AuditEvent> rows = RefusalRows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor, "peer:ipv4:192.0.2.1");  // the port cut off
  EXPECT_EQ(rows[0].count, 3);
  EXPECT_THAT(rows[0].detail, HasSubstr("NOT_FOUND"));
}

TEST_F(AuthServiceTest, ARefusalRelayedByAGatewayIsARowNamingIt) {
  cpns::v1::AuthenticateRequest r = Valid();
  r.mutable_proof()->front() ^= 1;
  EXPECT_EQ(Authenticate(r, Relay()).code(), absl::StatusCode::kUnauthenticated);
  const std::vector<storage::AuditEvent> rows = RefusalRows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor, "gw:gw-a");
  EXPECT_EQ(rows[0].gw_id, "gw-a");
  EXPECT_EQ(rows[0].seed_epoch, 1u);
  EXPECT_THAT(rows[0].detail, HasSubstr("UNAUTHENTICATED"));
  EXPECT_THAT(rows[0].detail, HasSubstr("entity pne-1 user alice"));
}

TEST_F(AuthServiceTest, ARefusalAfterAVerifiedProofIsARowNamingThePeer) {
  ASSERT_TRUE(store_.RevokeEpoch(kGw, 1, "leaked", "admin:test").ok());
  EXPECT_EQ(Authenticate(Valid()).code(), absl::StatusCode::kPermissionDenied);
  const std::vector<storage::AuditEvent> rows = RefusalRows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].actor, absl::StrCat("peer:", kPeer));
  EXPECT_THAT(rows[0].detail, HasSubstr("PERMISSION_DENIED"));
}

TEST_F(AuthServiceTest, AnIdentifierThatCannotBeLoggedIsRecordedAsInvalid) {
  cpns::v1::AuthenticateRequest r = Valid();
  r.set_entity_id("evil\nline");
  EXPECT_EQ(Authenticate(r, Relay()).code(), absl::StatusCode::kInvalidArgument);
  const std::vector<storage::AuditEvent> rows = RefusalRows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_THAT(rows[0].detail, HasSubstr("entity <invalid>"));
}

TEST_F(AuthServiceTest, ARefusalIsStillAnsweredWhenTheAuditLogFails) {
  const cpns::v1::AuthenticateRequest r = Valid(7);
  store_.FailWith(absl::UnavailableError("down"));
  EXPECT_EQ(Authenticate(r, Relay()).code(), absl::StatusCode::kUnavailable);
  store_.FailWith(absl::OkStatus());
  EXPECT_TRUE(RefusalRows().empty());
}

// The gRPC methods, with a context that serves no call (no certificate):
// the answer reaches the caller as gRPC's status, converted in wire/.
TEST_F(AuthServiceTest, TheGrpcMethodsIssueAChallengeAndAnswerWithItsStatus) {
  grpc::ServerContext context;
  cpns::v1::ChallengeRequest challenge_request;
  cpns::v1::ChallengeResponse challenge;
  ASSERT_TRUE(service_.GetChallenge(&context, &challenge_request, &challenge).ok());
  EXPECT_EQ(challenge.challenge().size(), kChallengeSize);
  EXPECT_TRUE(challenges_.Verify(challenge.challenge()).ok());
  EXPECT_EQ(challenge.expires_at(), absl::ToUnixSeconds(clock_.Now() + absl::Seconds(60)));

  cpns::v1::AuthenticateRequest r = Valid();
  cpns::v1::AuthenticateResponse response;
  EXPECT_TRUE(service_.Authenticate(&context, &r, &response).ok());
  EXPECT_EQ(response.entity_id(), "pne-1");
  const grpc::Status replay = service_.Authenticate(&context, &r, &response);
  EXPECT_EQ(replay.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(replay.error_message(), HasSubstr("already used"));
}

}  // namespace
}  // namespace cpns::server::test
