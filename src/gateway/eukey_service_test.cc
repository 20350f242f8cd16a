#include "gateway/eukey_service.h"

#include <grpcpp/server_context.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/fake_clock.h"
#include "gateway/test_fakes.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

using test::FakeSeedSource;
using test::Gw;

absl::Time Start() { return absl::FromUnixSeconds(1'700'000'000); }
constexpr absl::Duration kKeyLifetime = absl::Hours(24 * 30);

// not_after of one assignment served from a seed of `seed_lifetime`.
int64_t NotAfter(absl::Duration seed_lifetime, bool server_sends_expiry = true) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, seed_lifetime);
  if (!server_sends_expiry) source.SetSentExpiry(absl::InfiniteFuture());
  SeedCache cache(Gw(), source, "", clock);
  auto state = GatewayStateDb::Open(cpns::test::NewTempDir("eukey_service"), clock);
  EXPECT_TRUE(state.ok()) << state.status();
  Admission open({.mode = AdmissionMode::kOpen}, clock);
  const wire::UnixPeers peers;
  KeyIssuer issuer(cache, **state, clock, {.key_lifetime = kKeyLifetime});
  EUKeyServiceImpl service(issuer, open, peers);
  grpc::ServerContext context;
  cpns::v1::EUKeyAssignmentRequest request;
  request.set_entity_type(cpns::v1::ENTITY_TYPE_PNE);
  request.set_entity_id("pne-1");
  request.set_user_id("user-1");
  cpns::v1::EUKeyAssignmentResponse response;
  const grpc::Status status = service.AssignEUKey(&context, &request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.not_after();
}

TEST(EUKeyServiceTest, KeyLifetimeWhenTheSeedOutlivesTheKey) {
  EXPECT_EQ(NotAfter(kKeyLifetime * 3), absl::ToUnixSeconds(Start() + kKeyLifetime));
}

TEST(EUKeyServiceTest, AKeyNeverOutlivesItsSeedEpoch) {
  EXPECT_EQ(NotAfter(absl::Hours(100)), absl::ToUnixSeconds(Start() + absl::Hours(100)));
}

TEST(EUKeyServiceTest, KeyLifetimeWhenTheSeedExpiryIsUnknown) {
  EXPECT_EQ(NotAfter(absl::Hours(100), false), absl::ToUnixSeconds(Start() + kKeyLifetime));
}

// A gateway that admits by pairing code does not read a code in the request
// (its field 4 is retired): AssignEUKey is refused and counted, whatever
// the request holds, and nothing is recorded.
TEST(EUKeyServiceTest, PairingGatewaysRefuseAssignEUKey) {
  FakeClock clock(Start());
  FakeSeedSource source(clock, kKeyLifetime);
  SeedCache cache(Gw(), source, "", clock);
  auto state = GatewayStateDb::Open(cpns::test::NewTempDir("eukey_service"), clock);
  ASSERT_TRUE(state.ok()) << state.status();
  const Assignee holder{EntityType::kPne, *EntityId::Parse("pne-1"), *UserId::Parse("user-1")};
  const SecretBytes code = *(*state)->AddPairingCode(holder, absl::Minutes(5), 1000);
  Admission pairing({.mode = AdmissionMode::kPairing}, clock);
  const wire::UnixPeers peers;
  KeyIssuer issuer(cache, **state, clock, {});
  EUKeyServiceImpl service(issuer, pairing, peers);
  grpc::ServerContext context;
  cpns::v1::EUKeyAssignmentRequest request;
  request.set_entity_type(cpns::v1::ENTITY_TYPE_PNE);
  request.set_entity_id("pne-1");
  request.set_user_id("user-1");
  // What a device of an older release sends: the code in field 4.
  std::string old_form = request.SerializeAsString();
  old_form += '\x22';
  old_form += static_cast<char>(code.size());
  old_form.append(code.RevealSecret().data(), code.size());
  ASSERT_TRUE(request.ParseFromString(old_form));
  cpns::v1::EUKeyAssignmentResponse response;
  const grpc::Status status = service.AssignEUKey(&context, &request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_NE(status.error_message().find("PairingService"), std::string::npos)
      << status.error_message();
  EXPECT_TRUE(response.eukey().empty());
  EXPECT_EQ(issuer.refusals().at("no-pairing-code"), 1u);
  EXPECT_EQ(*(*state)->CountAssignments(), 0);
  EXPECT_EQ(*(*state)->PendingPairingCodes(), 1) << "the code is not touched";
}

}  // namespace
}  // namespace cpns::gateway
