#include "core/p256.h"

#include <gtest/gtest.h>

#include "cpns/core/hex.h"

namespace cpns::p256 {
namespace {

// SEC 2's generator of P-256, uncompressed.
constexpr absl::string_view kGeneratorHex =
    "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c2964fe342e2fe1a7f9b8ee7eb4a7c0f9e"
    "162bce33576b315ececbb6406837bf51f5";

TEST(P256Test, OneTimesTheGeneratorEncodesAsSec2Says) {
  const GroupPtr group = *NewGroup();
  const SecretBn one = *ScalarModN(group.get(), std::string(1, '\x01'));
  const PointPtr g = *Mul(group.get(), nullptr, one.get());
  EXPECT_EQ(HexEncode(*EncodePublicPoint(group.get(), g.get())), kGeneratorHex);
  const PointPtr decoded = *DecodePoint(group.get(), "G", *HexDecode("G", kGeneratorHex), true);
  const PointPtr twice = *Add(group.get(), g.get(), decoded.get(), false);
  const PointPtr back = *Add(group.get(), twice.get(), g.get(), true);
  EXPECT_EQ(*EncodePublicPoint(group.get(), back.get()), *HexDecode("G", kGeneratorHex));
}

TEST(P256Test, TheIdentityHasNoEncodingAndIsNeverDecoded) {
  const GroupPtr group = *NewGroup();
  const SecretBn one = *ScalarModN(group.get(), std::string(1, '\x01'));
  const PointPtr g = *Mul(group.get(), nullptr, one.get());
  const PointPtr zero = *Add(group.get(), g.get(), g.get(), true);
  absl::StatusOr<SecretBytes> encoded = EncodePoint(group.get(), zero.get(), "Z");
  EXPECT_EQ(encoded.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(encoded.status().message(), "Z is the identity");
  EXPECT_EQ(DecodePoint(group.get(), "share", std::string(1, '\0'), false).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(P256Test, RandomScalarsAreNonZeroAndDiffer) {
  const GroupPtr group = *NewGroup();
  const SecretBytes a = *RandomScalar(group.get());
  EXPECT_EQ(a.size(), kScalarSize);
  EXPECT_NE(a, SecretBytes(kScalarSize));
  EXPECT_NE(a, *RandomScalar(group.get()));
}

}  // namespace
}  // namespace cpns::p256
