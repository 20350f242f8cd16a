#include "core/pairing.h"

#include <gtest/gtest.h>

namespace cpns::pairing {
namespace {

Assignee Headset() {
  return Assignee{EntityType::kPne, *EntityId::Parse("headset-42"),
                  *UserId::Parse("alice@example.com")};
}

TEST(PairingTest, ProverIdentityJoinsTypeEntityAndUser) {
  EXPECT_EQ(ProverIdentity(Headset()), "PNE\nheadset-42\nalice@example.com");
}

}  // namespace
}  // namespace cpns::pairing
