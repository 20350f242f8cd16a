#include "wire/redact.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "cpns/v1/cpns.pb.h"

namespace cpns::wire {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactTest, HidesSensitiveFieldsAndKeepsTheRest) {
  cpns::v1::EUKeyAssignmentResponse r;
  r.set_second_seed("SECOND-SEED-BYTES");
  r.set_eukey("EUKEY-BYTES-0123");
  r.set_gw_id("gw-7");
  r.set_seed_epoch(3);
  const std::string text = Redacted(r);
  EXPECT_THAT(text, Not(HasSubstr("SECOND-SEED-BYTES")));
  EXPECT_THAT(text, Not(HasSubstr("EUKEY-BYTES")));
  EXPECT_THAT(text, HasSubstr("<redacted 17 bytes>"));
  EXPECT_THAT(text, HasSubstr("gw-7"));
  EXPECT_EQ(r.eukey(), "EUKEY-BYTES-0123") << "the original is untouched";
}

TEST(RedactTest, FirstSeedIsSensitive) {
  cpns::v1::FirstSeedResponse r;
  r.set_first_seed(std::string(32, 'S'));
  EXPECT_THAT(Redacted(r), Not(HasSubstr("SSSS")));
}

TEST(RedactTest, OverwriteZeroesTheFieldsOwnBuffer) {
  cpns::v1::FirstSeedResponse r;
  r.set_first_seed(std::string(32, 'S'));
  const char* buffer = r.first_seed().data();
  OverwriteSensitiveFields(r);
  EXPECT_EQ(r.first_seed().data(), buffer) << "the same buffer, not a replacement";
  EXPECT_EQ(r.first_seed(), std::string(32, '\0'));
}

TEST(RedactTest, WipeClearsSensitiveFieldsOnly) {
  cpns::v1::FirstSeedResponse r;
  r.set_first_seed(std::string(32, 'S'));
  r.set_gw_id("gw");
  WipeSensitiveFields(r);
  EXPECT_TRUE(r.first_seed().empty());
  EXPECT_EQ(r.gw_id(), "gw");
}

}  // namespace
// What a cpns 0.1 device sends: its pairing code in the retired field 4,
// which this version keeps as an unknown field. It is neither logged nor
// left in memory.
TEST(RedactTest, UnknownFieldsAreLeftOutOfLogsAndWiped) {
  cpns::v1::EUKeyAssignmentRequest request;
  request.set_entity_id("headset");
  ASSERT_TRUE(request.MergeFromString(std::string("\x22\x0b") + "ABCDE-12345"));
  ASSERT_EQ(request.GetReflection()->GetUnknownFields(request).field_count(), 1);
  EXPECT_EQ(Redacted(request).find("ABCDE"), std::string::npos) << Redacted(request);
  EXPECT_NE(Redacted(request).find("headset"), std::string::npos);
  WipeSensitiveFields(request);
  EXPECT_EQ(request.GetReflection()->GetUnknownFields(request).field_count(), 0);
  EXPECT_EQ(request.SerializeAsString().find("ABCDE"), std::string::npos);
  EXPECT_EQ(request.entity_id(), "headset");
}

}  // namespace cpns::wire
