#include "core/spake2plus.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <string>

#include "core/digest.h"
#include "core/hmac_sha256.h"
#include "cpns/core/hex.h"

namespace cpns::spake2plus {
namespace {

std::string H(absl::string_view hex) { return *HexDecode("test vector", hex); }
SecretBytes S(absl::string_view hex) { return *HexDecodeSecret("test vector", hex); }
std::string Hex(const SecretBytes& s) { return HexEncode(s.RevealSecret()); }

// SHA-256(data): the label is empty.
std::string Sha256(absl::string_view data) { return LabeledSha256("", data); }

std::string Mac(absl::string_view key, absl::string_view message) {
  HmacSha256Out out;
  HmacSha256(key, message, out);
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

// RFC 9383 appendix C, P256-SHA256-HKDF-SHA256-HMAC-SHA256.
struct RfcVector {
  const Identities ids{"SPAKE2+-P256-SHA256-HKDF-SHA256-HMAC-SHA256 Test Vectors", "client",
                       "server"};
  const char* w0 = "bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3";
  const char* w1 = "7e945f34d78785b8a3ef44d0df5a1a97d6b3b460409a345ca7830387a74b1dba";
  const char* l =
      "04eb7c9db3d9a9eb1f8adab81b5794c1f13ae3e225efbe91ea487425854c7fc00f00bfedcbd09b2400142d40a14f"
      "2064ef31dfaa903b91d1faea7093d835966efd";
  const char* x = "d1232c8e8693d02368976c174e2088851b8365d0d79a9eee709c6a05a2fad539";
  const char* share_p =
      "04ef3bd051bf78a2234ec0df197f7828060fe9856503579bb1733009042c15c0c1de127727f418b5966afadfdd95"
      "a6e4591d171056b333dab97a79c7193e341727";
  const char* y = "717a72348a182085109c8d3917d6c43d59b224dc6a7fc4f0483232fa6516d8b3";
  const char* share_v =
      "04c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810fb5cc1ca7494db39e82ff2f50665"
      "255d76173e09986ab46742c798a9a68437b048";
  const char* z =
      "04bbfce7dd7f277819c8da21544afb7964705569bdf12fb92aa388059408d50091a0c5f1d3127f56813b5337f9e4"
      "e67e2ca633117a4fbd559946ab474356c41839";
  const char* v =
      "0458bf27c6bca011c9ce1930e8984a797a3419797b936629a5a937cf2f11c8b9514b82b993da8a46e664f23db7c0"
      "1edc87faa530db01c2ee405230b18997f16b68";
  const char* tt =
      "38000000000000005350414b45322b2d503235362d5348413235362d484b44462d5348413235362d484d41432d"
      "534841323536205465737420566563746f72730600000000000000636c69656e7406000000000000007365727665"
      "72410000000000000004886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f5ff35516"
      "3e43ce224e0b0e65ff02ac8e5c7be09419c785e0ca547d55a12e2d20410000000000000004d8bbd6c639c62937b0"
      "4d997f38c3770719c629d7014d49a24b4f98baa1292b4907d60aa6bfade45008a636337f5168c64d9bd36034808c"
      "d564490b1e656edbe7410000000000000004ef3bd051bf78a2234ec0df197f7828060fe9856503579bb173300904"
      "2c15c0c1de127727f418b5966afadfdd95a6e4591d171056b333dab97a79c7193e341727410000000000000004c0"
      "f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810fb5cc1ca7494db39e82ff2f50665255d"
      "76173e09986ab46742c798a9a68437b048410000000000000004bbfce7dd7f277819c8da21544afb796470556"
      "9bdf12fb92aa388059408d50091a0c5f1d3127f56813b5337f9e4e67e2ca633117a4fbd559946ab474356c418394"
      "1000000000000000458bf27c6bca011c9ce1930e8984a797a3419797b936629a5a937cf2f11c8b9514b82b993da8"
      "a46e664f23db7c01edc87faa530db01c2ee405230b18997f16b682000000000000000bb8e1bbcf3c48f62c08db24"
      "3652ae55d3e5586053fca77102994f23ad95491b3";
  const char* k_main = "4c59e1ccf2cfb961aa31bd9434478a1089b56cd11542f53d3576fb6c2a438a29";
  const char* k_confirm_p = "871ae3f7b78445e34438fb284504240239031c39d80ac23eb5ab9be5ad6db58a";
  const char* k_confirm_v = "ccd53c7c1fa37b64a462b40db8be101cedcf838950162902054e644b400f1680";
  const char* confirm_p = "926cc713504b9b4d76c9162ded04b5493e89109f6d89462cd33adc46fda27527";
  const char* confirm_v = "9747bcc4f8fe9f63defee53ac9b07876d907d55047e6ff2def2e7529089d3e68";
  const char* k_shared = "0c5f8ccd1413423a54f6c1fb26ff01534a87f893779c6e68666d772bfd91f3e7";

  ProverSecrets Secrets() const { return ProverSecrets{S(w0), S(w1)}; }
};

void ExpectRfcKeys(const RfcVector& rfc, const Keys& keys) {
  EXPECT_EQ(Hex(keys.k_main), rfc.k_main);
  EXPECT_EQ(HexEncode(keys.confirm_p), rfc.confirm_p);
  EXPECT_EQ(HexEncode(keys.confirm_v), rfc.confirm_v);
  EXPECT_EQ(Hex(keys.k_shared), rfc.k_shared);
}

TEST(Spake2PlusTest, RfcVectorVerifierRecord) {
  const RfcVector rfc;
  const VerifierRecord record = *MakeVerifierRecord(rfc.Secrets());
  EXPECT_EQ(Hex(record.w0), rfc.w0);
  EXPECT_EQ(HexEncode(record.l), rfc.l);
}

TEST(Spake2PlusTest, RfcVectorProver) {
  const RfcVector rfc;
  const Prover prover = *Prover::StartWithScalarForTesting(rfc.Secrets(), S(rfc.x));
  EXPECT_EQ(HexEncode(prover.share()), rfc.share_p);
  absl::StatusOr<Keys> keys = prover.Finish(rfc.ids, H(rfc.share_v));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectRfcKeys(rfc, *keys);
}

TEST(Spake2PlusTest, RfcVectorVerifier) {
  const RfcVector rfc;
  const Verifier verifier =
      *Verifier::StartWithScalarForTesting(*MakeVerifierRecord(rfc.Secrets()), S(rfc.y));
  EXPECT_EQ(HexEncode(verifier.share()), rfc.share_v);
  absl::StatusOr<Keys> keys = verifier.Finish(rfc.ids, H(rfc.share_p));
  ASSERT_TRUE(keys.ok()) << keys.status();
  ExpectRfcKeys(rfc, *keys);
}

// The RFC's intermediate values, which the API does not expose, are tied to
// the outputs checked above: TT holds Z and V where section 3.3 puts them and
// hashes to K_main, and K_confirmP/K_confirmV are the keys of the MACs.
TEST(Spake2PlusTest, RfcVectorIntermediatesAreConsistent) {
  const RfcVector rfc;
  const std::string tt = H(rfc.tt);
  ASSERT_EQ(tt.size(), 8 + 56 + 8 + 6 + 8 + 6 + 6 * (8 + 65) + 8 + 32);
  const size_t z_at = 8 + 56 + 8 + 6 + 8 + 6 + 4 * (8 + 65) + 8;
  EXPECT_EQ(HexEncode(tt.substr(z_at, 65)), rfc.z);
  EXPECT_EQ(HexEncode(tt.substr(z_at + 65 + 8, 65)), rfc.v);
  EXPECT_EQ(HexEncode(Sha256(tt)), rfc.k_main);
  EXPECT_EQ(HexEncode(Mac(H(rfc.k_confirm_p), H(rfc.share_v))), rfc.confirm_p);
  EXPECT_EQ(HexEncode(Mac(H(rfc.k_confirm_v), H(rfc.share_p))), rfc.confirm_v);
}

ProverSecrets FromPassword(absl::string_view password) {
  return *DeriveProverSecrets(SecretBytes::CopyFrom(password), "0123456789abcdef", 1000);
}

const Identities kIds{"ctx", "prover", "verifier"};

TEST(Spake2PlusTest, SamePasswordAgreesOnBothSides) {
  const ProverSecrets secrets = FromPassword("7K3QF9M2XP");
  const Prover prover = *Prover::Start(secrets);
  const Verifier verifier = *Verifier::Start(*MakeVerifierRecord(secrets));
  const Keys p = *prover.Finish(kIds, verifier.share());
  const Keys v = *verifier.Finish(kIds, prover.share());
  EXPECT_EQ(p.k_main, v.k_main);
  EXPECT_EQ(p.k_shared, v.k_shared);
  EXPECT_TRUE(ConfirmationMatches(v.confirm_p, p.confirm_p));
  EXPECT_TRUE(ConfirmationMatches(p.confirm_v, v.confirm_v));
}

TEST(Spake2PlusTest, DifferentPasswordsFailConfirmation) {
  const Prover prover = *Prover::Start(FromPassword("7K3QF9M2XP"));
  const Verifier verifier = *Verifier::Start(*MakeVerifierRecord(FromPassword("7K3QF9M2XQ")));
  const Keys p = *prover.Finish(kIds, verifier.share());
  const Keys v = *verifier.Finish(kIds, prover.share());
  EXPECT_FALSE(ConfirmationMatches(v.confirm_p, p.confirm_p));
  EXPECT_FALSE(ConfirmationMatches(p.confirm_v, v.confirm_v));
  EXPECT_NE(p.k_shared, v.k_shared);
}

TEST(Spake2PlusTest, DifferentIdentitiesFailConfirmation) {
  const ProverSecrets secrets = FromPassword("7K3QF9M2XP");
  const Prover prover = *Prover::Start(secrets);
  const Verifier verifier = *Verifier::Start(*MakeVerifierRecord(secrets));
  const Keys p = *prover.Finish(kIds, verifier.share());
  const Keys v = *verifier.Finish(Identities{"ctx", "prover", "other gateway"}, prover.share());
  EXPECT_FALSE(ConfirmationMatches(v.confirm_p, p.confirm_p));
}

TEST(Spake2PlusTest, ConfirmationMatchesOnlyEqualFullLengthMacs) {
  const std::string mac(kConfirmSize, 'a');
  EXPECT_TRUE(ConfirmationMatches(mac, mac));
  std::string last = mac;
  last.back() ^= 1;
  EXPECT_FALSE(ConfirmationMatches(mac, last));
  EXPECT_FALSE(ConfirmationMatches(mac, mac.substr(0, 31)));
  EXPECT_FALSE(ConfirmationMatches(mac.substr(0, 31), mac.substr(0, 31)));
  EXPECT_FALSE(ConfirmationMatches("", ""));
}

TEST(Spake2PlusTest, FreshScalarsEachStart) {
  const ProverSecrets secrets = FromPassword("7K3QF9M2XP");
  EXPECT_NE(Prover::Start(secrets)->share(), Prover::Start(secrets)->share());
  const VerifierRecord record = *MakeVerifierRecord(secrets);
  EXPECT_NE(Verifier::Start(record)->share(), Verifier::Start(record)->share());
}

// Shares that are not points of P-256 other than the identity, in the
// uncompressed form, are refused before any secret is used with them.
TEST(Spake2PlusTest, RefusesInvalidShares) {
  const RfcVector rfc;
  const VerifierRecord record = *MakeVerifierRecord(rfc.Secrets());
  std::string off_curve = H(rfc.share_v);
  off_curve.back() ^= 1;
  std::string hybrid = H(rfc.share_v);
  hybrid[0] = 0x06 | (hybrid.back() & 1);
  const std::string identity_like = H("04" + std::string(128, '0'));
  const std::string compressed = H("02c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810fb");
  // x-coordinate p (not reduced): the encoding of no point.
  const std::string x_is_p =
      H("04ffffffff00000001000000000000000000000000ffffffffffffffffffffffff" + std::string(64, '0'));
  for (const std::string& bad : {off_curve, hybrid, identity_like, compressed, x_is_p,
                                 H(rfc.share_v).substr(0, 64), H(rfc.share_v) + "x",
                                 std::string("\0", 1), std::string()}) {
    const Prover prover = *Prover::StartWithScalarForTesting(rfc.Secrets(), S(rfc.x));
    absl::StatusOr<Keys> p = prover.Finish(rfc.ids, bad);
    EXPECT_EQ(p.status().code(), absl::StatusCode::kInvalidArgument) << HexEncode(bad);
    EXPECT_NE(p.status().message().find("shareV"), std::string::npos) << p.status();
    const Verifier verifier = *Verifier::StartWithScalarForTesting(record, S(rfc.y));
    absl::StatusOr<Keys> v = verifier.Finish(rfc.ids, bad);
    EXPECT_EQ(v.status().code(), absl::StatusCode::kInvalidArgument) << HexEncode(bad);
    EXPECT_NE(v.status().message().find("shareP"), std::string::npos) << v.status();
  }
}

// One share per exchange: a second Finish is refused, even after a first one
// that failed, so that a peer cannot try several guesses against one x or y.
TEST(Spake2PlusTest, FinishesOncePerStart) {
  const RfcVector rfc;
  const Prover prover = *Prover::StartWithScalarForTesting(rfc.Secrets(), S(rfc.x));
  EXPECT_TRUE(prover.Finish(rfc.ids, H(rfc.share_v)).ok());
  EXPECT_EQ(prover.Finish(rfc.ids, H(rfc.share_v)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  const Verifier verifier =
      *Verifier::StartWithScalarForTesting(*MakeVerifierRecord(rfc.Secrets()), S(rfc.y));
  EXPECT_FALSE(verifier.Finish(rfc.ids, "not a share").ok());
  EXPECT_EQ(verifier.Finish(rfc.ids, H(rfc.share_p)).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

// w0*N (uncompressed), the shareV that cancels to the identity.
std::string W0TimesN(absl::string_view w0_hex) {
  EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  EC_POINT* n = EC_POINT_new(group);
  EC_POINT* out = EC_POINT_new(group);
  BIGNUM* w0 = nullptr;
  BN_hex2bn(&w0, std::string(w0_hex).c_str());
  const std::string n_hex = H("03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49");
  EC_POINT_oct2point(group, n, reinterpret_cast<const unsigned char*>(n_hex.data()), n_hex.size(),
                     nullptr);
  EC_POINT_mul(group, out, nullptr, n, w0, nullptr);
  std::string bytes(kPointSize, '\0');
  EC_POINT_point2oct(group, out, POINT_CONVERSION_UNCOMPRESSED,
                     reinterpret_cast<unsigned char*>(bytes.data()), bytes.size(), nullptr);
  BN_free(w0);
  EC_POINT_free(out);
  EC_POINT_free(n);
  EC_GROUP_free(group);
  return bytes;
}

// A peer that knows w0 can send w0*N, a valid point, so that Z and V would be
// the identity; that is refused too rather than hashed into the transcript.
TEST(Spake2PlusTest, RefusesAShareThatCancelsToTheIdentity) {
  const RfcVector rfc;
  const Prover prover = *Prover::StartWithScalarForTesting(rfc.Secrets(), S(rfc.x));
  absl::StatusOr<Keys> keys = prover.Finish(rfc.ids, W0TimesN(rfc.w0));
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(keys.status().message().find("Z is the identity"), std::string::npos) << keys.status();
}

TEST(Spake2PlusTest, RefusesAVerifierRecordWithABadL) {
  VerifierRecord record = *MakeVerifierRecord(RfcVector().Secrets());
  record.l.back() ^= 1;
  EXPECT_EQ(Verifier::Start(record).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Spake2PlusTest, RefusesAZeroEphemeralScalar) {
  const RfcVector rfc;
  const std::string n = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
  EXPECT_EQ(Prover::StartWithScalarForTesting(rfc.Secrets(), S(n)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// w0 = w0s mod n and w1 = w1s mod n for 40-byte halves, including values
// above n (reference values computed independently).
TEST(Spake2PlusTest, ReducesPbkdfHalvesModN) {
  const SecretBytes all_ones = S(std::string(80, 'f'));
  const SecretBytes above_n = S(std::string(16, '0') + std::string(64, 'f'));  // 2^256 - 1
  const ProverSecrets secrets = *ProverSecretsFromPbkdfOutput(all_ones, above_n);
  EXPECT_EQ(Hex(secrets.w0), "fffffffe00000001431905529c0166cd22159165b6faae70f756a571fc632550");
  EXPECT_EQ(Hex(secrets.w1), "00000000ffffffff00000000000000004319055258e8617b0c46353d039cdaae");
  EXPECT_EQ(ProverSecretsFromPbkdfOutput(SecretBytes(), above_n).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Spake2PlusTest, PbkdfRefusesEmptySaltAndZeroIterations) {
  const SecretBytes pw = SecretBytes::CopyFrom("pw");
  EXPECT_EQ(DeriveProverSecrets(pw, "", 1000).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(DeriveProverSecrets(pw, "salt", 0).status().code(), absl::StatusCode::kInvalidArgument);
  // Different salts give different secrets.
  EXPECT_NE(DeriveProverSecrets(pw, "salt1", 1000)->w0, DeriveProverSecrets(pw, "salt2", 1000)->w0);
}

}  // namespace
}  // namespace cpns::spake2plus
