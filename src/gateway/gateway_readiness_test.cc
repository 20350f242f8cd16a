// GatewayReadiness: what the gateway's health service says, from what its
// SeedCache knows.
#include <gtest/gtest.h>

#include "core/fake_clock.h"
#include "gateway/gateway.h"
#include "gateway/seed_cache.h"
#include "gateway/test_fakes.h"

namespace cpns::gateway {
namespace {

using test::FakeSeedSource;
using test::Gw;

constexpr absl::Duration kLifetime = absl::Hours(100);

class GatewayReadinessTest : public ::testing::Test {
 protected:
  absl::Time Later() { return absl::Now() + absl::Minutes(5); }
  wire::Readiness::State Now() { return GatewayReadiness(cache_, clock_.Now()); }

  FakeClock clock_{absl::FromUnixSeconds(1'700'000'000)};
  FakeSeedSource source_{clock_, kLifetime};
  SeedCache cache_{Gw(), source_, "", clock_};
};

TEST_F(GatewayReadinessTest, BeforeAnyRequestItIsNotKnownUnable) {
  EXPECT_TRUE(Now().ready);
  EXPECT_EQ(Now().reason, "no 1st seed yet; the CPNS Server is reachable");
}

TEST_F(GatewayReadinessTest, AHeldSeedServesWhileTheServerIsAway) {
  ASSERT_TRUE(cache_.Get(Later()).ok());
  EXPECT_TRUE(Now().ready);
  EXPECT_EQ(Now().reason, "1st seed epoch 1 held");
  source_.SetStatusError(absl::UnavailableError("connection refused"));
  source_.SetFetchError(absl::UnavailableError("connection refused"));
  EXPECT_FALSE(cache_.Refresh(Later(), 1).ok());
  EXPECT_TRUE(Now().ready);
}

TEST_F(GatewayReadinessTest, NoUsableSeedAndTheServerAwayIsNotReady) {
  ASSERT_TRUE(cache_.Get(Later()).ok());
  clock_.Advance(kLifetime);  // the held seed has expired
  source_.SetFetchError(absl::UnavailableError("connection refused"));
  EXPECT_FALSE(cache_.Get(Later()).ok());
  EXPECT_FALSE(Now().ready);
  EXPECT_EQ(Now().reason, "no 1st seed and the CPNS Server is unreachable");
}

TEST_F(GatewayReadinessTest, ARevokedGatewayIsNotReadyUntilItHoldsASeedAgain) {
  ASSERT_TRUE(cache_.Get(Later()).ok());
  ASSERT_TRUE(cache_.Drop().ok());  // what the refresher does on PERMISSION_DENIED
  EXPECT_FALSE(Now().ready);
  EXPECT_EQ(Now().reason, "gateway revoked at the server");
  ASSERT_TRUE(cache_.Get(Later()).ok());  // reinstated by the operator
  EXPECT_TRUE(Now().ready);
}

}  // namespace
}  // namespace cpns::gateway
