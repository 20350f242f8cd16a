// tests/vectors/pairing_vectors.json recomputed with our implementation: the
// Python cross-check (tests/vectors/pairing_crosscheck.py) recomputes the
// same file independently, so the two agree byte for byte.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <string>
#include <nlohmann/json.hpp>

#include "core/digest.h"
#include "core/hmac_sha256.h"
#include "core/pairing.h"
#include "core/pairing_code.h"
#include "cpns/core/hex.h"

namespace cpns::pairing {
namespace {

using spake2plus::Keys;

std::string H(const nlohmann::json& hex) { return *HexDecode("vector", hex.get<std::string>()); }
SecretBytes S(const nlohmann::json& hex) {
  return *HexDecodeSecret("vector", hex.get<std::string>());
}
std::string Hex(const SecretBytes& s) { return HexEncode(s.RevealSecret()); }

nlohmann::json LoadVectors() {
  const std::string path = std::string(CPNS_SOURCE_DIR) + "/tests/vectors/pairing_vectors.json";
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  return nlohmann::json::parse(in);
}

// SHA-256(data): the label is empty.
std::string Sha256(absl::string_view data) { return LabeledSha256("", data); }

std::string Mac(absl::string_view key, absl::string_view message) {
  HmacSha256Out out;
  HmacSha256(key, message, out);
  return std::string(reinterpret_cast<const char*>(out.data()), out.size());
}

// TT as RFC 9383 section 3.3 lays it out from the file's values; equal to
// ours when it hashes to our K_main.
std::string ExpectedTranscript(const nlohmann::json& file, const spake2plus::Identities& ids,
                               const nlohmann::json& out) {
  std::string tt;
  for (const std::string& part :
       {ids.context, ids.id_prover, ids.id_verifier, H(file["M"]), H(file["N"]), H(out["shareP"]),
        H(out["shareV"]), H(out["Z"]), H(out["V"]), H(out["w0"])}) {
    uint64_t len = part.size();
    for (int i = 0; i < 8; ++i, len >>= 8) tt.push_back(static_cast<char>(len & 0xff));
    tt += part;
  }
  return tt;
}

// The outputs of SPAKE2+ proper, on one side.
void ExpectKeys(const nlohmann::json& out, const Keys& keys) {
  EXPECT_EQ(Hex(keys.k_main), out["K_main"]);
  EXPECT_EQ(HexEncode(keys.confirm_p), out["confirmP"]);
  EXPECT_EQ(HexEncode(keys.confirm_v), out["confirmV"]);
  EXPECT_EQ(Hex(keys.k_shared), out["K_shared"]);
  // Our confirmation MACs are keyed with the file's K_confirmP and K_confirmV.
  EXPECT_EQ(HexEncode(Mac(H(out["K_confirmP"]), H(out["shareV"]))), HexEncode(keys.confirm_p));
  EXPECT_EQ(HexEncode(Mac(H(out["K_confirmV"]), H(out["shareP"]))), HexEncode(keys.confirm_v));
}

void CheckPairingVector(const nlohmann::json& file, const nlohmann::json& v) {
  const nlohmann::json& in = v["inputs"];
  const nlohmann::json& out = v["outputs"];
  SCOPED_TRACE(in["name"].get<std::string>());
  const SecretBytes code = *NormalizePairingCode(in["code_formatted"].get<std::string>());
  EXPECT_EQ(code.RevealSecret(), in["code"].get<std::string>());
  const Assignee assignee{*ParseEntityType(in["entity_type"].get<std::string>()),
                          *EntityId::Parse(in["entity_id"].get<std::string>()),
                          *UserId::Parse(in["user_id"].get<std::string>())};
  const spake2plus::Identities ids =
      TranscriptIdentities(assignee, *GatewayId::Parse(in["gw_id"].get<std::string>()));
  EXPECT_EQ(ids.id_prover, out["id_prover_text"].get<std::string>());
  EXPECT_EQ(HexEncode(ids.id_prover), out["id_prover"]);

  const spake2plus::ProverSecrets secrets =
      *ProverSecretsFromCode(code, H(in["salt"]), in["iterations"].get<uint32_t>());
  EXPECT_EQ(Hex(secrets.w0), out["w0"]);
  EXPECT_EQ(Hex(secrets.w1), out["w1"]);
  const spake2plus::VerifierRecord record = *spake2plus::MakeVerifierRecord(secrets);
  EXPECT_EQ(HexEncode(record.l), out["L"]);

  const auto prover = spake2plus::Prover::StartWithScalarForTesting(secrets, S(in["x"]));
  const auto verifier = spake2plus::Verifier::StartWithScalarForTesting(record, S(in["y"]));
  ASSERT_TRUE(prover.ok() && verifier.ok());
  EXPECT_EQ(HexEncode(prover->share()), out["shareP"]);
  EXPECT_EQ(HexEncode(verifier->share()), out["shareV"]);
  const Keys p = *prover->Finish(ids, verifier->share());
  const Keys w = *verifier->Finish(ids, prover->share());
  ExpectKeys(out, p);
  ExpectKeys(out, w);
  EXPECT_EQ(out["TT"], HexEncode(ExpectedTranscript(file, ids, out)));
  EXPECT_EQ(HexEncode(Sha256(H(out["TT"]))), Hex(p.k_main));

  EXPECT_EQ(Hex(*AssignmentKey(p)), out["assignment_key"]);
  const std::string sealed = H(out["sealed_assignment"]);
  EXPECT_EQ(HexEncode(sealed.substr(0, 12)), in["nonce"]);
  absl::StatusOr<SecretBytes> opened = OpenAssignment(w, sealed);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ(Hex(*opened), out["assignment_plaintext"]);
}

TEST(PairingVectorsTest, EveryPairingVectorRecomputes) {
  const nlohmann::json file = LoadVectors();
  EXPECT_EQ(file["context"].get<std::string>(), kContext);
  EXPECT_EQ(file["assignment_key_info"].get<std::string>(), kAssignmentKeyInfo);
  ASSERT_GE(file["pairing"].size(), 2u);
  for (const nlohmann::json& v : file["pairing"]) CheckPairingVector(file, v);
}

TEST(PairingVectorsTest, TheFilesRfcVectorRecomputes) {
  const nlohmann::json rfc = LoadVectors()["rfc9383"];
  const spake2plus::ProverSecrets secrets{S(rfc["w0"]), S(rfc["w1"])};
  const spake2plus::Identities ids{rfc["context"], rfc["id_prover"], rfc["id_verifier"]};
  const auto prover = spake2plus::Prover::StartWithScalarForTesting(secrets, S(rfc["x"]));
  const auto verifier = spake2plus::Verifier::StartWithScalarForTesting(
      *spake2plus::MakeVerifierRecord(secrets), S(rfc["y"]));
  ASSERT_TRUE(prover.ok() && verifier.ok());
  EXPECT_EQ(HexEncode(prover->share()), rfc["shareP"]);
  EXPECT_EQ(HexEncode(verifier->share()), rfc["shareV"]);
  ExpectKeys(rfc, *prover->Finish(ids, verifier->share()));
  ExpectKeys(rfc, *verifier->Finish(ids, prover->share()));
  EXPECT_EQ(HexEncode(Sha256(H(rfc["TT"]))), rfc["K_main"]);
}

}  // namespace
}  // namespace cpns::pairing
