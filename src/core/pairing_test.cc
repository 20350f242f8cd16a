#include "core/pairing.h"

#include <gtest/gtest.h>

#include <string>

#include "core/aead.h"

namespace cpns::pairing {
namespace {

Assignee Headset() {
  return Assignee{EntityType::kPne, *EntityId::Parse("headset-42"),
                  *UserId::Parse("alice@example.com")};
}

const std::string kSalt(kSaltSize, 's');
const SecretBytes kCode = SecretBytes::CopyFrom("7K3QF9M2XP");

TEST(PairingTest, ProverIdentityJoinsTypeEntityAndUser) {
  EXPECT_EQ(ProverIdentity(Headset()), "PNE\nheadset-42\nalice@example.com");
  const Assignee car{EntityType::kPnGw, *EntityId::Parse("car-unit-7"), *UserId::Parse("bob")};
  EXPECT_EQ(ProverIdentity(car), "PNGW\ncar-unit-7\nbob");
}

TEST(PairingTest, TranscriptIdentitiesAreContextProverAndGateway) {
  const spake2plus::Identities ids = TranscriptIdentities(Headset(), *GatewayId::Parse("gw-0001"));
  EXPECT_EQ(ids.context, kContext);
  EXPECT_EQ(ids.id_prover, ProverIdentity(Headset()));
  EXPECT_EQ(ids.id_verifier, "gw-0001");
}

TEST(PairingTest, ProverSecretsFromCodeChecksItsInputs) {
  EXPECT_TRUE(ProverSecretsFromCode(kCode, kSalt, kMinIterations).ok());
  const auto code = [](absl::string_view salt, uint32_t iterations) {
    return ProverSecretsFromCode(kCode, salt, iterations).status().code();
  };
  EXPECT_EQ(code(kSalt.substr(1), kMinIterations), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kSalt + "s", kMinIterations), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kSalt, kMinIterations - 1), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(code(kSalt, kMaxIterations + 1), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ProverSecretsFromCode(SecretBytes::CopyFrom("7K3QF-9M2XP"), kSalt, kMinIterations)
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(PairingTest, ProverSecretsDependOnCodeSaltAndIterations) {
  const auto w0 = [](const SecretBytes& c, absl::string_view salt, uint32_t iterations) {
    return ProverSecretsFromCode(c, salt, iterations)->w0;
  };
  const SecretBytes base = w0(kCode, kSalt, 1000);
  EXPECT_EQ(base, w0(kCode, kSalt, 1000));
  EXPECT_NE(base, w0(SecretBytes::CopyFrom("7K3QF9M2XQ"), kSalt, 1000));
  EXPECT_NE(base, w0(kCode, std::string(kSaltSize, 't'), 1000));
  EXPECT_NE(base, w0(kCode, kSalt, 1001));
}

// Both ends of one exchange, with the right or a wrong code.
struct Exchange {
  spake2plus::Keys prover;
  spake2plus::Keys verifier;
};

Exchange RunExchange(const SecretBytes& device_code, const SecretBytes& gateway_code) {
  const auto ids = TranscriptIdentities(Headset(), *GatewayId::Parse("gw-0001"));
  const auto prover = spake2plus::Prover::Start(*ProverSecretsFromCode(device_code, kSalt, 1000));
  const auto verifier = spake2plus::Verifier::Start(
      *spake2plus::MakeVerifierRecord(*ProverSecretsFromCode(gateway_code, kSalt, 1000)));
  return Exchange{*prover->Finish(ids, verifier->share()), *verifier->Finish(ids, prover->share())};
}

TEST(PairingTest, SealedAssignmentOpensOnlyUnderTheSameExchange) {
  const Exchange right = RunExchange(kCode, kCode);
  const SecretBytes plain = SecretBytes::CopyFrom("serialized EUKeyAssignmentResponse");
  const std::string sealed = *SealAssignment(right.verifier, plain);
  EXPECT_EQ(sealed.size(), kAeadNonceSize + plain.size() + kAeadTagSize);
  EXPECT_EQ(sealed.find("EUKey"), std::string::npos);
  EXPECT_EQ(*OpenAssignment(right.prover, sealed), plain);
  EXPECT_EQ(*AssignmentKey(right.prover), *AssignmentKey(right.verifier));
  EXPECT_NE(*AssignmentKey(right.prover), right.prover.k_shared);

  const Exchange wrong = RunExchange(SecretBytes::CopyFrom("7K3QF9M2XQ"), kCode);
  EXPECT_EQ(OpenAssignment(wrong.prover, *SealAssignment(wrong.verifier, plain)).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(OpenAssignment(RunExchange(kCode, kCode).prover, sealed).status().code(),
            absl::StatusCode::kDataLoss);
  std::string tampered = sealed;
  tampered[kAeadNonceSize] ^= 1;
  EXPECT_EQ(OpenAssignment(right.prover, tampered).status().code(), absl::StatusCode::kDataLoss);
}

TEST(PairingTest, AssignmentKeyNeedsAFullSharedKey) {
  EXPECT_EQ(AssignmentKey(spake2plus::Keys{}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cpns::pairing
