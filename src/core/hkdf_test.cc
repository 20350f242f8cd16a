#include "core/hkdf.h"

#include <gtest/gtest.h>

#include "cpns/core/hex.h"

namespace cpns {
namespace {

// RFC 5869 appendix A.3: SHA-256, no salt, no info.
TEST(HkdfTest, Rfc5869TestCase3) {
  const SecretBytes ikm = SecretBytes::CopyFrom(std::string(22, '\x0b'));
  absl::StatusOr<SecretBytes> okm = HkdfSha256NoSalt(ikm, "", 42);
  ASSERT_TRUE(okm.ok()) << okm.status();
  EXPECT_EQ(HexEncode(okm->RevealSecret()),
            "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST(HkdfTest, InfoSeparatesOutputs) {
  const SecretBytes ikm = SecretBytes::CopyFrom(std::string(32, 'k'));
  EXPECT_NE(*HkdfSha256NoSalt(ikm, "ConfirmationKeys", 32), *HkdfSha256NoSalt(ikm, "SharedKey", 32));
}

}  // namespace
}  // namespace cpns
