#include "storage/sealed_seed.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cpns::storage {
namespace {

using ::testing::HasSubstr;

TEST(ParseSeedStateTest, EveryNameParsesBackToItsState) {
  for (SeedState s : {SeedState::kActive, SeedState::kRotated, SeedState::kRetired,
                      SeedState::kRevoked}) {
    absl::StatusOr<SeedState> parsed = ParseSeedState(SeedStateName(s));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, s);
  }
}

TEST(ParseSeedStateTest, AnUnknownStateIsDataLossNamingItNeverActive) {
  for (absl::string_view bad : {"suspended", "", "Active", "active "}) {
    absl::StatusOr<SeedState> parsed = ParseSeedState(bad);
    ASSERT_FALSE(parsed.ok()) << "'" << bad << "' parsed";
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(std::string(parsed.status().message()),
                HasSubstr(absl::StrCat("'", bad, "' is unknown")));
  }
}

TEST(ParseSeedStateTest, AnUnknownStateIsShownEscapedAndShort) {
  absl::StatusOr<SeedState> parsed = ParseSeedState(std::string(200, 'x') + "\n");
  ASSERT_FALSE(parsed.ok());
  EXPECT_LT(parsed.status().message().size(), 120u);
  EXPECT_THAT(std::string(parsed.status().message()), ::testing::Not(HasSubstr("\n")));
}

}  // namespace
}  // namespace cpns::storage
