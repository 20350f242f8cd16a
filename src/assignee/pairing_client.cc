#include <grpcpp/client_context.h>

#include "absl/strings/str_cat.h"
#include "assignee/exchange.h"
#include "core/aead.h"
#include "core/pairing.h"
#include "core/pairing_code.h"
#include "core/status_macros.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "wire/messages.h"
#include "wire/redact.h"
#include "wire/status.h"

namespace cpns::assignee {
namespace {

absl::Status Malformed(absl::string_view what) {
  return absl::DataLossError(absl::StrCat("pairing: the gateway's answer is malformed: ", what));
}

absl::Status Unproven(absl::string_view what) {
  return absl::UnauthenticatedError(absl::StrCat(
      "pairing: ", what,
      ": the gateway does not hold this code's verifier, or a message was changed on the way; "
      "no key was accepted"));
}

// Round 1's answer, checked before any work is done on it: a gateway must
// not make the device run PBKDF2 for ever.
absl::StatusOr<GatewayId> CheckStart(const cpns::v1::StartPairingResponse& r) {
  if (r.session_id().size() != pairing::kSessionIdSize) return Malformed("session_id size");
  if (r.pbkdf_salt().size() != pairing::kSaltSize) return Malformed("pbkdf_salt size");
  // A share that is no point ends the exchange before PBKDF2 runs.
  if (absl::Status bad = spake2plus::CheckShare("share_v", r.share_v()); !bad.ok()) {
    return Malformed(bad.message());
  }
  if (r.pbkdf_iterations() < pairing::kMinIterations ||
      r.pbkdf_iterations() > pairing::kMaxIterations) {
    return Malformed(absl::StrCat("pbkdf_iterations ", r.pbkdf_iterations(), " is outside ",
                                  pairing::kMinIterations, "..", pairing::kMaxIterations));
  }
  absl::StatusOr<GatewayId> gw = GatewayId::Parse(r.gw_id());
  if (!gw.ok()) return Malformed(gw.status().message());
  return gw;
}

// Round 2's answer: the gateway's confirmation, then the sealed response,
// which must be an assignment for this device from this gateway.
absl::StatusOr<EUKeyAssignment> OpenFinish(const cpns::v1::FinishPairingResponse& r,
                                           const spake2plus::Keys& keys, const Assignee& assignee,
                                           const GatewayId& gw) {
  if (r.confirm_v().size() != spake2plus::kConfirmSize) return Malformed("confirm_v size");
  if (r.sealed_assignment().size() < kAeadNonceSize + kAeadTagSize) {
    return Malformed("sealed_assignment is shorter than a nonce and a tag");
  }
  if (!spake2plus::ConfirmationMatches(keys.confirm_v, r.confirm_v())) {
    return Unproven("the gateway's key confirmation does not match");
  }
  absl::StatusOr<SecretBytes> plain = pairing::OpenAssignment(keys, r.sealed_assignment());
  if (!plain.ok()) return Unproven("the sealed assignment does not open");
  cpns::v1::EUKeyAssignmentResponse response;
  const bool parsed = response.ParseFromArray(plain->RevealSecret().data(),
                                              static_cast<int>(plain->size()));
  absl::StatusOr<EUKeyAssignment> assignment =
      parsed ? ValidateAssignment(assignee, response) : Malformed("sealed assignment");
  wire::WipeSensitiveFields(response);
  if (assignment.ok() && assignment->gw_id != gw) {
    return Malformed("the sealed assignment names another gateway than the exchange");
  }
  return assignment;
}

}  // namespace

absl::StatusOr<EUKeyAssignment> PairWithCode(const std::shared_ptr<grpc::Channel>& channel,
                                             const Assignee& assignee, absl::Duration timeout,
                                             const SecretBytes& typed_code) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes code, NormalizePairingCode(typed_code.RevealSecret()));
  const absl::Time deadline = absl::Now() + timeout;
  auto stub = cpns::v1::PairingService::NewStub(channel);
  cpns::v1::StartPairingResponse started;
  {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    const grpc::Status s =
        stub->StartPairing(&context, wire::MakeStartPairingRequest(assignee), &started);
    if (s.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      return absl::FailedPreconditionError(
          "pairing: the gateway does not serve the pairing exchange (a cpns 0.1 gateway, or "
          "not a cpns gateway): ask its owner to update it");
    }
    if (!s.ok()) return wire::FromGrpcStatus(s);
  }
  CPNS_ASSIGN_OR_RETURN(GatewayId gw, CheckStart(started));
  CPNS_ASSIGN_OR_RETURN(spake2plus::ProverSecrets secrets,
                        pairing::ProverSecretsFromCode(code, started.pbkdf_salt(),
                                                       started.pbkdf_iterations()));
  CPNS_ASSIGN_OR_RETURN(spake2plus::Prover prover, spake2plus::Prover::Start(secrets));
  absl::StatusOr<spake2plus::Keys> keys =
      prover.Finish(pairing::TranscriptIdentities(assignee, gw), started.share_v());
  // Z or V at infinity (InvalidArgument): the gateway's share was made to
  // cancel ours; anything else is this device's own failure, passed on.
  if (!keys.ok()) {
    return absl::IsInvalidArgument(keys.status()) ? Malformed(keys.status().message())
                                                  : keys.status();
  }
  cpns::v1::FinishPairingRequest finish;
  finish.set_session_id(started.session_id());
  finish.set_share_p(prover.share());
  finish.set_confirm_p(keys->confirm_p);
  cpns::v1::FinishPairingResponse finished;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(deadline));
  const grpc::Status s = stub->FinishPairing(&context, finish, &finished);
  if (!s.ok()) return wire::FromGrpcStatus(s);
  return OpenFinish(finished, *keys, assignee, gw);
}

}  // namespace cpns::assignee
