#include "server/challenge.h"

#include <gtest/gtest.h>

#include <array>

#include "core/fake_clock.h"
#include "cpns/core/kdf.h"

namespace cpns::server {
namespace {

SecretBytes Key(char c) { return SecretBytes::CopyFrom(std::string(32, c)); }

TEST(ChallengeCodecTest, AnyReplicaWithTheKeyVerifiesUntilExpiry) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const ChallengeCodec issuer(Key('k'), clock, absl::Seconds(60));
  const ChallengeCodec replica(Key('k'), clock, absl::Seconds(60));
  const Challenge c = *issuer.Issue();
  EXPECT_EQ(c.bytes.size(), kChallengeSize);
  EXPECT_EQ(c.expires_at, clock.Now() + absl::Seconds(60));
  absl::StatusOr<Challenge> v = replica.Verify(c.bytes);
  ASSERT_TRUE(v.ok()) << v.status();
  EXPECT_EQ(v->id, c.id);
  clock.Advance(absl::Seconds(60));
  EXPECT_TRUE(replica.Verify(c.bytes).ok()) << "valid through its expiry second";
  clock.Advance(absl::Seconds(1));
  EXPECT_EQ(replica.Verify(c.bytes).status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ChallengeCodecTest, RefusesForgedTamperedAndForeign) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const ChallengeCodec codec(Key('k'), clock, absl::Seconds(60));
  const Challenge c = *codec.Issue();
  std::string later = c.bytes;
  later[20] ^= 1;  // push the expiry: the tag no longer matches
  EXPECT_EQ(codec.Verify(later).status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_FALSE(ChallengeCodec(Key('x'), clock, absl::Seconds(60)).Verify(c.bytes).ok());
  EXPECT_FALSE(codec.Verify(c.bytes.substr(1)).ok());
  EXPECT_FALSE(codec.Verify("").ok());
  EXPECT_NE(codec.Issue()->id, c.id) << "fresh random ids";
}

// The tag is computed on prepared HMAC states; it must stay the KDF of the
// header's definition, which every replica (of any version) computes.
TEST(ChallengeCodecTest, TagIsTheFirst16BytesOfTheKdfOverTheBody) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const ChallengeCodec codec(Key('k'), clock, absl::Seconds(60));
  const Challenge c = *codec.Issue();
  const std::string body = c.bytes.substr(0, kChallengeSize - 16);
  const std::array<absl::string_view, 2> params = {"CPNS-challenge", body};
  const absl::StatusOr<SecretBytes> mac = Kdf(Key('k'), 0x73, params);
  ASSERT_TRUE(mac.ok()) << mac.status();
  EXPECT_EQ(c.bytes.substr(kChallengeSize - 16), mac->RevealSecret().substr(0, 16));
  EXPECT_EQ(body.substr(1, 16), c.id);
}

}  // namespace
}  // namespace cpns::server
