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
  Admission open({.mode = AdmissionMode::kOpen}, **state, clock);
  const wire::UnixPeers peers;
  EUKeyServiceImpl service(cache, open, **state, peers, clock, {.key_lifetime = kKeyLifetime});
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

}  // namespace
}  // namespace cpns::gateway
