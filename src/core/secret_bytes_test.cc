#include "cpns/core/secret_bytes.h"

#include <gtest/gtest.h>

#include <type_traits>

namespace cpns {
namespace {

template <typename T, typename = void>
struct IsStreamable : std::false_type {};
template <typename T>
struct IsStreamable<T, std::void_t<decltype(std::declval<std::ostream&>() << std::declval<T>())>>
    : std::true_type {};

TEST(SecretBytesTest, HasNoStreamOperator) { static_assert(!IsStreamable<SecretBytes>::value); }

TEST(SecretBytesTest, EqualityComparesContents) {
  EXPECT_EQ(SecretBytes::CopyFrom("abc"), SecretBytes::CopyFrom("abc"));
  EXPECT_FALSE(SecretBytes::CopyFrom("abc") == SecretBytes::CopyFrom("abd"));
  EXPECT_FALSE(SecretBytes::CopyFrom("abc") == SecretBytes::CopyFrom("abcd"));
}

TEST(SecretBytesTest, MovedFromIsEmpty) {
  SecretBytes a = SecretBytes::CopyFrom("secret");
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the contract under test
  EXPECT_EQ(b.RevealSecret(), "secret");
}

TEST(SecretBytesTest, ConcatJoinsInOrder) {
  EXPECT_EQ(SecretBytes::CopyFrom("ab").Concat(SecretBytes::CopyFrom("cd")).RevealSecret(), "abcd");
}

TEST(SecretBytesTest, WipeStringZeroizesAndClears) {
  std::string s = "key material";
  char* data = s.data();
  const size_t n = s.size();
  WipeString(s);
  EXPECT_TRUE(s.empty());
  for (size_t i = 0; i < n; ++i) EXPECT_EQ(data[i], '\0') << "byte " << i;
}

TEST(ConstantTimeEqualsTest, LengthAndContents) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("xyz", "xyz"));
  EXPECT_FALSE(ConstantTimeEquals("xyz", "xyZ"));
  EXPECT_FALSE(ConstantTimeEquals("xyz", "xy"));
}

}  // namespace
}  // namespace cpns
