// AuthServiceImpl on an in-memory store: every answer to Authenticate,
// without a network or a database (the real path: tests/integration).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "server/auth_service_fixture.h"
#include "storage/store_deadline.h"

namespace cpns::server::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

void ExpectRefused(const absl::Status& s, absl::StatusCode code, absl::string_view why) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr(std::string(why)));
}

TEST_F(AuthServiceTest, AValidProofAuthenticatesAndSaysWho) {
  const cpns::v1::AuthenticateRequest r = Valid();
  cpns::v1::AuthenticateResponse response;
  ASSERT_TRUE(service_.Authenticate(Anonymous(), r, response).ok());
  EXPECT_EQ(response.gw_id(), "gw-a");
  EXPECT_EQ(response.seed_epoch(), 1u);
  EXPECT_EQ(response.entity_id(), "pne-1");
  EXPECT_EQ(response.user_id(), "alice");
  EXPECT_EQ(response.not_after(), r.not_after());
  EXPECT_TRUE(RefusalRows().empty());
}

TEST_F(AuthServiceTest, MalformedFieldsAreInvalidArgument) {
  const std::vector<std::pair<std::function<void(cpns::v1::AuthenticateRequest&)>, std::string>>
      cases = {
          {[](auto& r) { r.set_gw_id("bad id\n"); }, "gw_id"},
          {[](auto& r) { r.set_entity_id(""); }, "entity_id"},
          {[](auto& r) { r.set_user_id(std::string(300, 'u')); }, "user_id"},
          {[](auto& r) { r.set_seed_epoch(0); }, "seed_epoch must be at least 1"},
          {[](auto& r) { r.set_second_seed("short"); }, "second_seed is 5 bytes"},
          {[](auto& r) { r.set_client_nonce(""); }, "client_nonce is 0 bytes"},
          {[](auto& r) { r.set_proof(std::string(31, 'p')); }, "proof is 31 bytes"},
          {[](auto& r) { r.set_entity_type(cpns::v1::EntityType(99)); }, "entity"},
      };
  for (const auto& [spoil, why] : cases) {
    cpns::v1::AuthenticateRequest r = Valid();
    spoil(r);
    ExpectRefused(Authenticate(r), absl::StatusCode::kInvalidArgument, why);
  }
}

TEST_F(AuthServiceTest, ABadOrExpiredChallengeIsFailedPrecondition) {
  cpns::v1::AuthenticateRequest forged = Valid();
  forged.mutable_challenge()->back() ^= 1;
  EXPECT_EQ(Authenticate(forged).code(), absl::StatusCode::kFailedPrecondition);
  cpns::v1::AuthenticateRequest late = Valid();
  clock_.Advance(absl::Seconds(61));
  EXPECT_EQ(Authenticate(late).code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(AuthServiceTest, AReplayedProofIsRefused) {
  const cpns::v1::AuthenticateRequest r = Valid();
  ASSERT_TRUE(Authenticate(r).ok());
  ExpectRefused(Authenticate(r), absl::StatusCode::kFailedPrecondition, "already used");
}

TEST_F(AuthServiceTest, AnUnknownGatewayOrEpochIsNotFound) {
  ExpectRefused(Authenticate(Valid(/*epoch=*/5)), absl::StatusCode::kNotFound,
                "unknown gateway or seed epoch");
  cpns::v1::AuthenticateRequest other = Valid();
  other.set_gw_id("gw-z");
  EXPECT_EQ(Authenticate(other).code(), absl::StatusCode::kNotFound);
}

TEST_F(AuthServiceTest, AWrongProofIsUnauthenticated) {
  cpns::v1::AuthenticateRequest r = Valid();
  r.mutable_proof()->front() ^= 1;
  ExpectRefused(Authenticate(r), absl::StatusCode::kUnauthenticated, "does not verify");
  cpns::v1::AuthenticateRequest tampered = Valid();
  tampered.set_not_after(tampered.not_after() + 1);  // a longer life than the key has
  EXPECT_EQ(Authenticate(tampered).code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(AuthServiceTest, AnExpiredEUKeyOrSeedEpochIsUnauthenticated) {
  ExpectRefused(Authenticate(Valid(1, clock_.Now() - absl::Seconds(1))),
                absl::StatusCode::kUnauthenticated, "EUKey expired");
  clock_.Advance(kSeedLifetime + absl::Seconds(1));
  ExpectRefused(Authenticate(Valid()), absl::StatusCode::kUnauthenticated,
                "seed epoch 1 of gateway gw-a expired");
}

TEST_F(AuthServiceTest, ARevokedGatewayEpochOrKeyAndARetiredEpochArePermissionDenied) {
  ASSERT_TRUE(store_.Rotate(kGw, kSeedLifetime, "admin:test").ok());
  ASSERT_TRUE(store_.Retire(kGw, 1, "admin:test").ok());
  ExpectRefused(Authenticate(Valid(1)), absl::StatusCode::kPermissionDenied, "is retired");
  ASSERT_TRUE(store_.RevokeKey(SecondSeedFingerprint(SecondSeed(2)), "gw-a", "lost", "a").ok());
  ExpectRefused(Authenticate(Valid(2)), absl::StatusCode::kPermissionDenied,
                "this EUKey is revoked");
  ASSERT_TRUE(store_.RevokeEpoch(kGw, 2, "leaked", "admin:test").ok());
  ExpectRefused(Authenticate(Valid(2)), absl::StatusCode::kPermissionDenied,
                "seed epoch 2 of gateway gw-a is revoked");
  ASSERT_TRUE(store_.RevokeGateway(kGw, "stolen", "admin:test").ok());
  ExpectRefused(Authenticate(Valid(2)), absl::StatusCode::kPermissionDenied,
                "gateway gw-a is revoked");
}

TEST_F(AuthServiceTest, OnlyAProvenCallerLearnsOfRevocation) {
  ASSERT_TRUE(store_.RevokeGateway(kGw, "stolen", "admin:test").ok());
  cpns::v1::AuthenticateRequest r = Valid();
  r.mutable_proof()->front() ^= 1;
  const absl::Status s = Authenticate(r);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), Not(HasSubstr("revoked")));
}

TEST_F(AuthServiceTest, AFailingStoreIsUnavailableWithoutItsDetails) {
  for (const absl::Status& cause : {absl::UnavailableError("connection refused"),
                                    storage::fakes::CorruptStoreError()}) {
    const cpns::v1::AuthenticateRequest r = Valid();
    store_.FailWith(cause);
    const absl::Status s = Authenticate(r);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << cause;
    EXPECT_THAT(std::string(s.message()), HasSubstr("retry later"));
    EXPECT_THAT(std::string(s.message()), Not(HasSubstr(std::string(cause.message()))));
    store_.FailWith(absl::OkStatus());
  }
  const cpns::v1::AuthenticateRequest r = Valid();
  store_.FailWith(storage::StoreDeadlineError("looking up a seed"));
  EXPECT_THAT(std::string(Authenticate(r).message()), HasSubstr("did not answer in time"));
}

}  // namespace
}  // namespace cpns::server::test
