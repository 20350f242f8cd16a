#include "core/aead.h"

#include <gtest/gtest.h>

#include "cpns/core/hex.h"

namespace cpns {
namespace {

SecretBytes Key(char c) { return SecretBytes::CopyFrom(std::string(32, c)); }

TEST(AeadTest, RoundTripsAndHidesThePlaintext) {
  const SecretBytes plain = SecretBytes::CopyFrom("first seed bytes, 32 of them!!!!");
  absl::StatusOr<std::string> sealed = AeadSeal(Key('k'), plain, "aad");
  ASSERT_TRUE(sealed.ok());
  EXPECT_EQ(sealed->size(), 12u + 32u + 16u);
  EXPECT_EQ(sealed->find("first seed"), std::string::npos);
  EXPECT_EQ(*AeadOpen(Key('k'), *sealed, "aad"), plain);
}

TEST(AeadTest, FreshNonceEachTime) {
  const SecretBytes plain = SecretBytes::CopyFrom("x");
  EXPECT_NE(*AeadSeal(Key('k'), plain, ""), *AeadSeal(Key('k'), plain, ""));
}

TEST(AeadTest, WrongKeyAadOrTamperingIsDataLoss) {
  const std::string sealed = *AeadSeal(Key('k'), SecretBytes::CopyFrom("secret"), "gw-A/1");
  EXPECT_EQ(AeadOpen(Key('j'), sealed, "gw-A/1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(AeadOpen(Key('k'), sealed, "gw-B/1").status().code(), absl::StatusCode::kDataLoss);
  std::string tampered = sealed;
  tampered[14] ^= 1;
  EXPECT_EQ(AeadOpen(Key('k'), tampered, "gw-A/1").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(AeadOpen(Key('k'), sealed.substr(0, 20), "gw-A/1").status().code(),
            absl::StatusCode::kDataLoss);
}

// NIST GCM test vector (AES-256, 96-bit IV, empty plaintext; gcmEncryptExtIV256 Count 0)
// checks that the construction is standard AES-256-GCM.
TEST(AeadTest, OpensAKnownAnswerVector) {
  const SecretBytes key = *HexDecodeSecret(
      "k", "b52c505a37d78eda5dd34f20c22540ea1b58963cf8e5bf8ffa85f9f2492505b4");
  const std::string sealed = *HexDecode("s", "516c33929df5a3284ff463d7" "bdc1ac884d332457a1d2664f168c76f0");
  EXPECT_TRUE(AeadOpen(key, sealed, "").ok());
}

}  // namespace
}  // namespace cpns
