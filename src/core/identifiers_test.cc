#include "cpns/core/identifiers.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cpns {
namespace {

using ::testing::HasSubstr;

TEST(IdentifierTest, AcceptsPrintableAsciiUpTo255Bytes) {
  EXPECT_TRUE(GatewayId::Parse("g").ok());
  EXPECT_TRUE(GatewayId::Parse(std::string(255, '~')).ok());
  EXPECT_TRUE(UserId::Parse("alice@example.com").ok());
  EXPECT_EQ(EntityId::Parse("!x~")->value(), "!x~");
}

TEST(IdentifierTest, RejectsEmptyNamingTheField) {
  absl::StatusOr<EntityId> id = EntityId::Parse("");
  ASSERT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(id.status().message(), HasSubstr("entity_id is empty"));
}

TEST(IdentifierTest, RejectsTooLong) {
  absl::StatusOr<UserId> id = UserId::Parse(std::string(256, 'a'));
  ASSERT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(id.status().message(), HasSubstr("user_id is 256 bytes"));
}

TEST(IdentifierTest, RejectsSpaceControlAndNonAscii) {
  for (const std::string& bad : std::vector<std::string>{"a b", std::string("a\0b", 3), "tab\t", "caf\xC3\xA9", "\x7F"}) {
    absl::StatusOr<GatewayId> id = GatewayId::Parse(bad);
    ASSERT_EQ(id.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(id.status().message(), HasSubstr("gw_id has byte 0x"));
  }
}

TEST(IdentifierTest, ReportsOffendingByteAndOffset) {
  EXPECT_THAT(UserId::Parse("ab cd").status().message(), HasSubstr("0x20 at offset 2"));
}

TEST(EntityTypeTest, RoundTripsNames) {
  EXPECT_EQ(EntityTypeName(EntityType::kPne), "PNE");
  EXPECT_EQ(EntityTypeName(EntityType::kPnGw), "PNGW");
  EXPECT_EQ(*ParseEntityType("PNGW"), EntityType::kPnGw);
  EXPECT_EQ(ParseEntityType("pne").status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cpns
