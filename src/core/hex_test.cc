#include "cpns/core/hex.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cpns {
namespace {

TEST(HexTest, EncodesLowercase) { EXPECT_EQ(HexEncode(std::string("\x00\xAB\xff", 3)), "00abff"); }

TEST(HexTest, DecodesBothCases) {
  EXPECT_EQ(*HexDecode("x", "00ABff"), std::string("\x00\xAB\xff", 3));
}

TEST(HexTest, RejectsOddLengthAndBadDigitsNamingTheInput) {
  EXPECT_THAT(HexDecode("--nonce", "abc").status().message(),
              ::testing::HasSubstr("--nonce has an odd number"));
  EXPECT_THAT(HexDecode("--nonce", "zz").status().message(),
              ::testing::HasSubstr("--nonce has a non-hex character at position 0"));
}

}  // namespace
}  // namespace cpns
