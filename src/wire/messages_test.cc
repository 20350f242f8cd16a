#include "wire/messages.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cpns::wire {
namespace {

using ::testing::HasSubstr;

cpns::v1::EUKeyAssignmentRequest Valid() {
  cpns::v1::EUKeyAssignmentRequest r;
  r.set_entity_type(cpns::v1::ENTITY_TYPE_PNE);
  r.set_entity_id("headset");
  r.set_user_id("alice");
  return r;
}

TEST(MessagesTest, ParsesAValidRequest) {
  absl::StatusOr<Assignee> a = ParseAssignmentRequest(Valid());
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->entity_type, EntityType::kPne);
  EXPECT_EQ(a->entity_id.value(), "headset");
  EXPECT_EQ(MakeAssignmentRequest(*a).SerializeAsString(), Valid().SerializeAsString());
}

TEST(MessagesTest, NamesTheBadField) {
  auto r = Valid();
  r.set_entity_type(cpns::v1::ENTITY_TYPE_UNSPECIFIED);
  EXPECT_THAT(ParseAssignmentRequest(r).status().message(), HasSubstr("entity_type"));
  r = Valid();
  r.set_entity_type(static_cast<cpns::v1::EntityType>(9));
  EXPECT_THAT(ParseAssignmentRequest(r).status().message(), HasSubstr("entity_type 9"));
  r = Valid();
  r.set_entity_id("");
  EXPECT_THAT(ParseAssignmentRequest(r).status().message(), HasSubstr("entity_id"));
  r = Valid();
  r.set_user_id("al ice");
  EXPECT_EQ(ParseAssignmentRequest(r).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ParseAssignmentRequest(r).status().message(), HasSubstr("user_id"));
}

}  // namespace
}  // namespace cpns::wire
