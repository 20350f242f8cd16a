#include "cpns/core/kdf.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>
#include <string>
#include <thread>
#include <vector>
#include <nlohmann/json.hpp>

#include "cpns/core/hex.h"

namespace cpns {
namespace {

SecretBytes Secret(absl::string_view hex) { return *HexDecodeSecret("test", hex); }
std::string Bytes(absl::string_view hex) { return *HexDecode("test", hex); }

nlohmann::json LoadVectors() {
  const std::string path = std::string(CPNS_SOURCE_DIR) + "/tests/vectors/eukey_vectors.json";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return nlohmann::json::parse(in);
}

// RFC 5448 Appendix C, test case 1: CK' || IK' = KDF(CK || IK, 0x20, "WLAN", SQN xor AK).
TEST(KdfTest, Rfc5448TestCase1) {
  const std::string sqn_xor_ak = Bytes("bb52e91c747a");
  const std::array<absl::string_view, 2> params = {"WLAN", sqn_xor_ak};
  absl::StatusOr<SecretBytes> out =
      Kdf(Secret("5349fbe098649f948f5d2e973a81c00f9744871ad32bf9bbd1dd5ce54e3e2e5a"), 0x20, params);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(HexEncode(out->RevealSecret()),
            "0093962d0dd84aa5684b045c9edffa04ccfc230ca74fcc96c0a5d61164f5a76c");
}

TEST(KdfTest, SecondSeedDeriverRefusesParameterLongerThan16BitLength) {
  const std::string big(65536, 'x');
  const Assignee a{EntityType::kPne, *EntityId::Parse("e"), *UserId::Parse("u")};
  EXPECT_EQ(SecondSeedDeriver::Create(Secret("00"))->Derive(*GatewayId::Parse("g"), a, big)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(KdfTest, OneSecondSeedDeriverServesManyThreadsAtOnce) {
  const SecretBytes first = Secret(std::string(64, '5'));
  const std::shared_ptr<const SecondSeedDeriver> deriver = SecondSeedDeriver::Create(first);
  const Assignee a{EntityType::kPne, *EntityId::Parse("e"), *UserId::Parse("u")};
  const GatewayId gw = *GatewayId::Parse("g");
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) {
        const std::string nonce = std::to_string(t * 1000 + i);
        if (!(*deriver->Derive(gw, a, nonce) == *DeriveSecondSeed(first, gw, a, nonce))) {
          ++mismatches[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mismatches, std::vector<int>(4, 0));
}

// OpenSSL's own one-shot HMAC() over S built by hand, as an independent check
// of the stack-built and the heap-built (more than 256 bytes) S.
TEST(KdfTest, MatchesOpenSslHmacOverTheEncodedInputShortAndLong) {
  const SecretBytes key = Secret(std::string(64, '7'));
  for (const size_t size : {size_t{10}, size_t{300}, size_t{5000}}) {
    const std::string p0(size, 'a'), p1 = "b";
    const std::array<absl::string_view, 2> params = {p0, p1};
    std::string s(1, '\x33');
    for (const std::string& p : {p0, p1}) {
      s += p;
      s.push_back(static_cast<char>(p.size() >> 8));
      s.push_back(static_cast<char>(p.size() & 0xFF));
    }
    unsigned char expected[32];
    unsigned int len = 0;
    const absl::string_view k = key.RevealSecret();
    ASSERT_NE(HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
                   reinterpret_cast<const unsigned char*>(s.data()), s.size(), expected, &len),
              nullptr);
    EXPECT_EQ(HexEncode(Kdf(key, 0x33, params)->RevealSecret()),
              HexEncode(absl::string_view(reinterpret_cast<const char*>(expected), len)))
        << size;
  }
}

TEST(KdfTest, EncodesLengthsSoParameterBoundariesMatter) {
  const SecretBytes key = Secret("00");
  const std::array<absl::string_view, 2> ab_c = {"ab", "c"};
  const std::array<absl::string_view, 2> a_bc = {"a", "bc"};
  EXPECT_FALSE(*Kdf(key, 1, ab_c) == *Kdf(key, 1, a_bc));
}

TEST(KdfTest, RefusesParameterLongerThan16BitLength) {
  const std::string big(65536, 'x');
  const std::array<absl::string_view, 1> params = {big};
  EXPECT_EQ(Kdf(Secret("00"), 1, params).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KdfTest, BigEndianEncodings) {
  EXPECT_EQ(HexEncode(BigEndian32(0x01020304)), "01020304");
  EXPECT_EQ(HexEncode(BigEndian64(0x0102030405060708ULL)), "0102030405060708");
}

TEST(EUKeyVectorsTest, SecondSeedAndEUKeyMatchPublishedVectors) {
  const nlohmann::json vectors = LoadVectors();
  ASSERT_GE(vectors["eukey"].size(), 5u);
  for (const auto& v : vectors["eukey"]) {
    SCOPED_TRACE(v["name"].get<std::string>());
    const SecretBytes first = Secret(v["first_seed"].get<std::string>());
    const Assignee assignee{*ParseEntityType(v["entity_type"].get<std::string>()),
                            *EntityId::Parse(v["entity_id"].get<std::string>()),
                            *UserId::Parse(v["user_id"].get<std::string>())};
    const GatewayId gw = *GatewayId::Parse(v["gw_id"].get<std::string>());
    absl::StatusOr<SecretBytes> second =
        DeriveSecondSeed(first, gw, assignee, Bytes(v["nonce"].get<std::string>()));
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(HexEncode(second->RevealSecret()), v["second_seed"].get<std::string>());
    // The gateway's prepared path gives the same 2nd seed.
    absl::StatusOr<SecretBytes> prepared = SecondSeedDeriver::Create(first)->Derive(
        gw, assignee, Bytes(v["nonce"].get<std::string>()));
    ASSERT_TRUE(prepared.ok());
    EXPECT_EQ(HexEncode(prepared->RevealSecret()), v["second_seed"].get<std::string>());
    const AssignmentContext ctx{gw, v["seed_epoch"].get<uint32_t>(), assignee,
                                v["not_after"].get<int64_t>()};
    absl::StatusOr<SecretBytes> eukey = DeriveEUKey(first, *second, ctx);
    ASSERT_TRUE(eukey.ok());
    EXPECT_EQ(HexEncode(eukey->RevealSecret()), v["eukey"].get<std::string>());
    absl::StatusOr<SecretBytes> proof =
        DeriveAuthProof(*eukey, ctx, *second, Bytes(v["challenge"].get<std::string>()),
                        Bytes(v["client_nonce"].get<std::string>()));
    ASSERT_TRUE(proof.ok());
    EXPECT_EQ(HexEncode(proof->RevealSecret()), v["proof"].get<std::string>());
  }
}

TEST(EUKeyTest, EveryBoundFieldChangesTheKey) {
  const SecretBytes first = Secret(std::string(64, '1'));
  const SecretBytes second = Secret(std::string(64, '2'));
  const Assignee a{EntityType::kPne, *EntityId::Parse("e"), *UserId::Parse("u")};
  const AssignmentContext base{*GatewayId::Parse("g"), 1, a, 100};
  const SecretBytes k = *DeriveEUKey(first, second, base);
  AssignmentContext c = base;
  c.seed_epoch = 2;
  EXPECT_FALSE(k == *DeriveEUKey(first, second, c));
  c = base;
  c.not_after = 101;
  EXPECT_FALSE(k == *DeriveEUKey(first, second, c));
  c = base;
  c.assignee.entity_type = EntityType::kPnGw;
  EXPECT_FALSE(k == *DeriveEUKey(first, second, c));
  EXPECT_FALSE(k == *DeriveEUKey(first, Secret(std::string(64, '3')), base));
  EXPECT_FALSE(k == *DeriveEUKey(Secret(std::string(64, '4')), second, base));
  c = base;
  c.gw_id = *GatewayId::Parse("h");
  EXPECT_FALSE(k == *DeriveEUKey(first, second, c));
  c = base;
  c.assignee.entity_id = *EntityId::Parse("f");
  EXPECT_FALSE(k == *DeriveEUKey(first, second, c));
  c = base;
  c.assignee.user_id = *UserId::Parse("v");
  EXPECT_FALSE(k == *DeriveEUKey(first, second, c));
}

}  // namespace
}  // namespace cpns
