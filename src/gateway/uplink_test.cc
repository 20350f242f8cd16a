#include "core/fake_clock.h"
#include "gateway/uplink.h"

#include <gtest/gtest.h>

#include <memory>
#include <optional>

namespace cpns::gateway {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(3);
absl::Time Start() { return absl::FromUnixSeconds(1'700'000'000); }
int64_t Seconds(absl::Time t) { return absl::ToUnixSeconds(t); }

// An upstream gateway and a key file in miniature. The test keeps a pointer
// to it; the Uplink owns it.
class FakeKeySource final : public UplinkKeySource {
 public:
  std::optional<UplinkInfo> kept;
  absl::StatusOr<UplinkInfo> next = absl::UnavailableError("upstream gateway away");
  absl::Status reload = absl::OkStatus();
  int loads = 0, requests = 0, reloads = 0;

  absl::StatusOr<UplinkInfo> LoadKept() override {
    ++loads;
    if (!kept) return absl::NotFoundError("no uplink key kept");
    return *kept;
  }
  absl::StatusOr<UplinkInfo> RequestAndKeep(absl::Duration timeout) override {
    ++requests;
    EXPECT_EQ(timeout, kTimeout);
    if (next.ok()) kept = *next;
    return next;
  }
  absl::Status ReloadTls() override {
    ++reloads;
    return reload;
  }
};

class UplinkTest : public ::testing::Test {
 protected:
  UplinkTest() {
    auto source = std::make_unique<FakeKeySource>();
    source_ = source.get();
    uplink_ = std::make_unique<Uplink>(std::move(source), *GatewayId::Parse("gw-B"), clock_);
  }
  UplinkInfo KeyUntil(absl::Time not_after, uint32_t epoch = 1) {
    return {"gw-A", epoch, Seconds(not_after)};
  }

  FakeClock clock_{Start()};
  FakeKeySource* source_;
  std::unique_ptr<Uplink> uplink_;
};

TEST_F(UplinkTest, AKeptKeyIsHeldWithoutAskingUpstream) {
  source_->kept = KeyUntil(Start() + absl::Hours(1), 4);
  uplink_->Ensure(kTimeout);
  ASSERT_TRUE(uplink_->held().has_value());
  EXPECT_EQ(uplink_->held()->upstream_gw_id, "gw-A");
  EXPECT_EQ(uplink_->held()->seed_epoch, 4u);
  EXPECT_EQ(source_->requests, 0);
}

TEST_F(UplinkTest, WithoutAKeptKeyItAsksOnceAndThenHoldsIt) {
  source_->next = KeyUntil(Start() + absl::Hours(1));
  uplink_->Ensure(kTimeout);
  uplink_->Ensure(kTimeout);
  EXPECT_EQ(source_->requests, 1);
  EXPECT_EQ(source_->loads, 1);  // held: the second call reads nothing
  ASSERT_TRUE(uplink_->held().has_value());
  EXPECT_EQ(uplink_->held()->not_after, Seconds(Start() + absl::Hours(1)));
}

TEST_F(UplinkTest, AnExpiredKeptKeyIsReplaced) {
  source_->kept = KeyUntil(Start() - absl::Seconds(1), 1);
  source_->next = KeyUntil(Start() + absl::Hours(1), 2);
  uplink_->Ensure(kTimeout);
  EXPECT_EQ(source_->requests, 1);
  ASSERT_TRUE(uplink_->held().has_value());
  EXPECT_EQ(uplink_->held()->seed_epoch, 2u);
}

TEST_F(UplinkTest, AHeldKeyPastItsNotAfterIsRenewed) {
  source_->next = KeyUntil(Start() + absl::Hours(1), 1);
  uplink_->Ensure(kTimeout);
  source_->next = KeyUntil(Start() + absl::Hours(3), 2);
  clock_.Advance(absl::Hours(2));
  uplink_->Ensure(kTimeout);
  EXPECT_EQ(source_->requests, 2);
  EXPECT_EQ(uplink_->held()->seed_epoch, 2u);
}

TEST_F(UplinkTest, AFailureBacksOffBeforeAskingAgain) {
  uplink_->Ensure(kTimeout);  // upstream away
  EXPECT_EQ(source_->requests, 1);
  EXPECT_FALSE(uplink_->held().has_value());
  uplink_->Ensure(kTimeout);  // too soon: not asked
  EXPECT_EQ(source_->requests, 1);
  clock_.Advance(absl::Seconds(1));  // the first back-off is under a second
  source_->next = KeyUntil(Start() + absl::Hours(1));
  uplink_->Ensure(kTimeout);
  EXPECT_EQ(source_->requests, 2);
  EXPECT_TRUE(uplink_->held().has_value());
}

TEST_F(UplinkTest, BackOffGrowsWithEachFailure) {
  uplink_->Ensure(kTimeout);
  clock_.Advance(absl::Seconds(1));
  uplink_->Ensure(kTimeout);  // second failure: about 2 s now
  EXPECT_EQ(source_->requests, 2);
  clock_.Advance(absl::Seconds(1));
  uplink_->Ensure(kTimeout);
  EXPECT_EQ(source_->requests, 2);
  clock_.Advance(absl::Seconds(1));
  uplink_->Ensure(kTimeout);
  EXPECT_EQ(source_->requests, 3);
}

// A reload reaches the source and its error comes back as is; the key held
// stays held (the key is not TLS material).
TEST_F(UplinkTest, AReloadGoesToTheSourceAndKeepsTheKeyHeld) {
  source_->kept = KeyUntil(Start() + absl::Hours(1));
  uplink_->Ensure(kTimeout);
  EXPECT_TRUE(uplink_->ReloadTls().ok());
  source_->reload = absl::InvalidArgumentError("--uplink-*: uplink.crt is not PEM");
  EXPECT_EQ(uplink_->ReloadTls(), source_->reload);
  EXPECT_EQ(source_->reloads, 2);
  EXPECT_TRUE(uplink_->held().has_value());
  EXPECT_EQ(source_->requests, 0);
}

}  // namespace
}  // namespace cpns::gateway
