// The pairing exchange's bytes from a peer (src/core/spake2plus.*,
// src/core/pairing.*): a share (shareP at the gateway, shareV at a device),
// a confirmation and a sealed assignment, all chosen by an attacker.
// Input: share (65 bytes) || confirmation (32) || sealed assignment (rest).
// Properties: a share CheckShare refuses is refused by both Finish calls;
// no input confirms either side or opens under the keys of the exchange
// (that would be a forged HMAC or GCM tag); nothing crashes.
#include <string>

#include "core/pairing.h"
#include "core/spake2plus.h"
#include "fuzz_util.h"

namespace {

using cpns::fuzz::Check;
namespace spake2plus = cpns::spake2plus;

// One code's secrets and verifier, made once (PBKDF2 at the minimum count).
struct Fixture {
  spake2plus::ProverSecrets secrets;
  spake2plus::VerifierRecord record;
  spake2plus::Identities ids;
};

const Fixture& TheFixture() {
  static const Fixture* fixture = [] {
    auto* f = new Fixture;
    auto secrets = cpns::pairing::ProverSecretsFromCode(
        cpns::SecretBytes::CopyFrom("7K3QF9M2XP"), std::string(32, '\x5a'), 1000);
    Check(secrets.ok());
    f->secrets = std::move(*secrets);
    auto record = spake2plus::MakeVerifierRecord(f->secrets);
    Check(record.ok());
    f->record = std::move(*record);
    const cpns::Assignee a{cpns::EntityType::kPne, *cpns::EntityId::Parse("headset"),
                           *cpns::UserId::Parse("alice")};
    f->ids = cpns::pairing::TranscriptIdentities(a, *cpns::GatewayId::Parse("gw-1"));
    return f;
  }();
  return *fixture;
}

// Keys from a received share must not confirm an attacker's bytes, and must
// not open an attacker's sealed bytes.
void CheckKeys(const absl::StatusOr<spake2plus::Keys>& keys, absl::string_view confirm,
               absl::string_view sealed, bool share_valid) {
  if (!share_valid) {
    Check(!keys.ok() && keys.status().code() == absl::StatusCode::kInvalidArgument);
    return;
  }
  if (!keys.ok()) return;  // Z or V the identity: refused, as it must be
  Check(!spake2plus::ConfirmationMatches(keys->confirm_p, confirm));
  Check(!spake2plus::ConfirmationMatches(keys->confirm_v, confirm));
  const auto opened = cpns::pairing::OpenAssignment(*keys, sealed);
  Check(!opened.ok() && opened.status().code() == absl::StatusCode::kDataLoss);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const Fixture& f = TheFixture();
  const absl::string_view in = cpns::fuzz::AsText(data, size);
  const absl::string_view share = in.substr(0, spake2plus::kPointSize);
  const absl::string_view rest = in.substr(share.size());
  const absl::string_view confirm = rest.substr(0, spake2plus::kConfirmSize);
  const absl::string_view sealed = rest.substr(confirm.size());
  const bool valid = spake2plus::CheckShare("share", share).ok();
  auto verifier = spake2plus::Verifier::Start(f.record);
  Check(verifier.ok());
  CheckKeys(verifier->Finish(f.ids, share), confirm, sealed, valid);
  auto prover = spake2plus::Prover::Start(f.secrets);
  Check(prover.ok());
  CheckKeys(prover->Finish(f.ids, share), confirm, sealed, valid);
  return 0;
}
