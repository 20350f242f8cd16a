// FirstSeedServiceImpl on an in-memory store: every answer it gives a
// gateway, without a network or a database. The path through a real TLS
// handshake and a real store is covered by tests/integration.
#include "server/first_seed_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "storage/store_deadline.h"
#include "storage/testing/fake_seed_store.h"

namespace cpns::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const GatewayId kGw = *GatewayId::Parse("gw-a");
constexpr absl::Duration kLifetime = absl::Hours(24);

class FirstSeedServiceTest : public ::testing::Test {
 protected:
  Caller Gateway(const GatewayId& gw = kGw) {
    return Caller{.gateway = gw, .peer = "ipv4:192.0.2.1:5000",
                  .store_deadline = absl::Now() + absl::Seconds(30)};
  }
  absl::StatusOr<cpns::v1::FirstSeedResponse> Request(const Caller& caller,
                                                      absl::string_view gw_id,
                                                      uint32_t renew_epoch = 0) {
    cpns::v1::FirstSeedRequest request;
    request.set_gw_id(std::string(gw_id));
    request.set_renew_epoch(renew_epoch);
    cpns::v1::FirstSeedResponse response;
    absl::Status s = service_.FirstSeed(caller, request, response);
    if (!s.ok()) return s;
    return response;
  }
  absl::StatusOr<cpns::v1::SeedStatusResponse> AskStatus(const Caller& caller,
                                                      absl::string_view gw_id, uint32_t epoch) {
    cpns::v1::SeedStatusRequest request;
    request.set_gw_id(std::string(gw_id));
    request.set_seed_epoch(epoch);
    cpns::v1::SeedStatusResponse response;
    absl::Status s = service_.SeedStatus(caller, request, response);
    if (!s.ok()) return s;
    return response;
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  storage::fakes::FakeSeedStore store_{clock_};
  FirstSeedServiceImpl service_{store_, store_, kLifetime};
};

TEST_F(FirstSeedServiceTest, IssuesTheGatewaysSeedAndTheSameOneAgain) {
  auto first = Request(Gateway(), "gw-a");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->gw_id(), "gw-a");
  EXPECT_EQ(first->seed_epoch(), 1u);
  EXPECT_EQ(first->first_seed(), store_.Get(kGw, 1)->first_seed.RevealSecret());
  EXPECT_EQ(first->expires_at() - first->created_at(), absl::ToInt64Seconds(kLifetime));
  auto again = Request(Gateway(), "gw-a");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->seed_epoch(), 1u);
  EXPECT_EQ(again->first_seed(), first->first_seed());
}

TEST_F(FirstSeedServiceTest, ARenewalOfAnOldEnoughSeedIsANewEpoch) {
  ASSERT_TRUE(Request(Gateway(), "gw-a").ok());
  clock_.Advance(kLifetime * storage::kRenewMinFraction);
  auto renewed = Request(Gateway(), "gw-a", /*renew_epoch=*/1);
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_EQ(renewed->seed_epoch(), 2u);
}

TEST_F(FirstSeedServiceTest, ACallerWithoutAGatewayCertificateIsRefusedBeforeTheStore) {
  Caller anonymous = Gateway();
  anonymous.gateway = absl::UnauthenticatedError("the peer presented no verified certificate");
  EXPECT_EQ(Request(anonymous, "gw-a").status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(AskStatus(anonymous, "gw-a", 1).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(store_.calls(), 0);
}

TEST_F(FirstSeedServiceTest, AMalformedGatewayIdIsRefusedBeforeTheStore) {
  EXPECT_EQ(Request(Gateway(), "not a gateway\n").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(AskStatus(Gateway(), "", 1).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_.calls(), 0);
}

TEST_F(FirstSeedServiceTest, AnotherGatewaysSeedIsRefusedBeforeTheStore) {
  const absl::Status s = Request(Gateway(), "gw-b").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("not the authenticated gateway 'gw-a'"));
  EXPECT_EQ(AskStatus(Gateway(), "gw-b", 1).status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(store_.calls(), 0);
}

TEST_F(FirstSeedServiceTest, ARevokedGatewayGetsNoSeedAndNoStatus) {
  ASSERT_TRUE(store_.RevokeGateway(kGw, "stolen", "admin:test").ok());
  const absl::Status s = Request(Gateway(), "gw-a").status();
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(s.message(), HasSubstr("revoked"));
  EXPECT_EQ(AskStatus(Gateway(), "gw-a", 1).status().code(), absl::StatusCode::kPermissionDenied);
}

TEST_F(FirstSeedServiceTest, AnUnavailableStoreIsRetryLater) {
  for (const absl::Status& cause :
       {absl::UnavailableError("connection refused"), absl::AbortedError("serialization"),
        storage::StoreDeadlineError("issuing a seed")}) {
    store_.FailWith(cause);
    for (const absl::Status& s :
         {Request(Gateway(), "gw-a").status(), AskStatus(Gateway(), "gw-a", 1).status()}) {
      EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << cause;
      EXPECT_THAT(s.message(), HasSubstr("retry later"));
      EXPECT_THAT(s.message(), Not(HasSubstr(cause.message()))) << "details stay in the log";
    }
  }
  store_.FailWith(storage::StoreDeadlineError("issuing a seed"));
  EXPECT_THAT(Request(Gateway(), "gw-a").status().message(), HasSubstr("did not answer in time"));
}

TEST_F(FirstSeedServiceTest, ACorruptStoreOrSeedIsInternalWithoutItsDetails) {
  for (const absl::Status& cause :
       {storage::fakes::CorruptStoreError(),
        absl::DataLossError("gateway gw-a epoch 1 does not decrypt under KEK kek-1234")}) {
    store_.FailWith(cause);
    for (const absl::Status& s :
         {Request(Gateway(), "gw-a").status(), AskStatus(Gateway(), "gw-a", 1).status()}) {
      EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << cause;
      EXPECT_THAT(s.message(), HasSubstr("see the server log"));
      EXPECT_THAT(s.message(), Not(HasSubstr("kek-1234")));
      EXPECT_THAT(s.message(), Not(HasSubstr("malformed")));
    }
  }
}

TEST_F(FirstSeedServiceTest, SeedStatusOfAnUnknownGatewayIsUnknown) {
  auto status = AskStatus(Gateway(), "gw-a", 1);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->epoch_state(), cpns::v1::SEED_STATE_UNKNOWN);
  EXPECT_EQ(status->active_epoch(), 0u);
}

TEST_F(FirstSeedServiceTest, SeedStatusNamesTheActiveEpochAndTheAskedOnesState) {
  ASSERT_TRUE(Request(Gateway(), "gw-a").ok());
  ASSERT_TRUE(store_.Rotate(kGw, kLifetime, "admin:test").ok());
  ASSERT_TRUE(store_.RevokeEpoch(kGw, 1, "leaked", "admin:test").ok());
  auto status = AskStatus(Gateway(), "gw-a", 1);
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ(status->active_epoch(), 2u);
  EXPECT_EQ(status->epoch_state(), cpns::v1::SEED_STATE_REVOKED);
  EXPECT_EQ(AskStatus(Gateway(), "gw-a", 2)->epoch_state(), cpns::v1::SEED_STATE_ACTIVE);
  EXPECT_EQ(AskStatus(Gateway(), "gw-a", 7)->epoch_state(), cpns::v1::SEED_STATE_UNKNOWN);
}

// The gRPC methods themselves, with a context that carries no certificate:
// the refusal reaches the caller as gRPC's status, converted in wire/.
TEST_F(FirstSeedServiceTest, TheGrpcMethodsRefuseACallWithoutCertificate) {
  grpc::ServerContext context;
  cpns::v1::FirstSeedRequest request;
  request.set_gw_id("gw-a");
  cpns::v1::FirstSeedResponse response;
  const grpc::Status s = service_.RequestFirstSeed(&context, &request, &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(s.error_message(), HasSubstr("client certificate"));
  cpns::v1::SeedStatusRequest status_request;
  status_request.set_gw_id("gw-a");
  cpns::v1::SeedStatusResponse status_response;
  EXPECT_EQ(service_.GetSeedStatus(&context, &status_request, &status_response).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(store_.calls(), 0);
}

}  // namespace
}  // namespace cpns::server
