#include "gateway/pairing_service.h"

#include "absl/strings/str_cat.h"
#include "core/logging.h"
#include "core/pairing.h"
#include "core/status_macros.h"
#include "gateway/eukey_service.h"
#include "gateway/pairing_decoy.h"
#include "wire/messages.h"
#include "wire/redact.h"
#include "wire/status.h"

namespace cpns::gateway {
namespace {

// One answer for every failed confirmation (a wrong code, a spent, expired
// or cancelled one, none at all): the refusal tells a guesser nothing.
absl::Status WrongCode(absl::string_view reason) {
  return TagRefusal(absl::PermissionDeniedError(
                        "the pairing code is not valid for this entity and user on this gateway "
                        "(wrong, used, spent by failed attempts, expired, or never made); ask "
                        "the gateway's owner for a new one (cpns-gw pair add)"),
                    reason);
}

absl::Status StoreFailed() {
  return TagRefusal(absl::UnavailableError(
                        "the gateway's state database failed; retry later (the owner sees the log)"),
                    "state-db-error");
}

absl::Status CheckSize(absl::string_view field, absl::string_view value, size_t size) {
  if (value.size() == size) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " must be ", size, " bytes, not ", value.size()));
}

}  // namespace

grpc::Status PairingServiceImpl::Refused(absl::string_view what, const absl::Status& status,
                                         const PeerInfo& peer, absl::Time start) {
  issuer_.Refused(what, status, peer, start);
  return wire::ToGrpcStatus(status);
}

grpc::Status PairingServiceImpl::StartPairing(grpc::ServerContext* context,
                                              const cpns::v1::StartPairingRequest* request,
                                              cpns::v1::StartPairingResponse* response) {
  const absl::Time start = absl::Now();
  const PeerInfo peer = PeerOf(*context, peers_);
  const absl::Status status = Start(*request, peer, *response);
  if (!status.ok()) return Refused("pairing start", status, peer, start);
  return grpc::Status::OK;
}

absl::Status PairingServiceImpl::Start(const cpns::v1::StartPairingRequest& request,
                                       const PeerInfo& peer,
                                       cpns::v1::StartPairingResponse& response) {
  CPNS_ASSIGN_OR_RETURN(Assignee assignee, wire::ParseStartPairingRequest(request));
  // A user or entity type the owner does not allow gets the decoy, like an
  // identity without a code: the answer must not tell an unauthenticated
  // peer who is allowed.
  CPNS_ASSIGN_OR_RETURN(bool allowed, admission_.AdmitPairing(assignee, peer));
  CPNS_ASSIGN_OR_RETURN(std::optional<PairingVerifier> found,
                        state_.FindPairingVerifier(assignee));
  // The decoy is made whether or not a code is pending, so that both answers
  // take the same work (its L is a scalar multiplication a real code's
  // stored verifier would not need).
  CPNS_ASSIGN_OR_RETURN(PairingVerifier verifier, DecoyVerifier(decoy_key_, assignee));
  std::optional<int64_t> code_id;
  if (found.has_value() && allowed) {
    code_id = found->id;
    verifier = std::move(*found);
  }
  CPNS_ASSIGN_OR_RETURN(spake2plus::Verifier v, spake2plus::Verifier::Start(verifier.record));
  response.set_share_v(v.share());
  CPNS_ASSIGN_OR_RETURN(std::string id,
                        sessions_.Add(assignee, wire::PeerKey(peer.address), code_id, std::move(v)));
  response.set_session_id(id);
  response.set_gw_id(gw_id_.value());
  response.set_pbkdf_salt(verifier.salt);
  response.set_pbkdf_iterations(verifier.iterations);
  return absl::OkStatus();
}

grpc::Status PairingServiceImpl::FinishPairing(grpc::ServerContext* context,
                                               const cpns::v1::FinishPairingRequest* request,
                                               cpns::v1::FinishPairingResponse* response) {
  const absl::Time start = absl::Now();
  const PeerInfo peer = PeerOf(*context, peers_);
  const absl::Status status =
      Finish(*request, absl::FromChrono(context->deadline()), peer, *response, start);
  if (!status.ok()) return Refused("pairing", status, peer, start);
  issuer_.CountIssued();
  return grpc::Status::OK;
}

absl::Status PairingServiceImpl::Finish(const cpns::v1::FinishPairingRequest& request,
                                        absl::Time deadline, const PeerInfo& peer,
                                        cpns::v1::FinishPairingResponse& response,
                                        absl::Time start) {
  CPNS_RETURN_IF_ERROR(CheckSize("session_id", request.session_id(), pairing::kSessionIdSize));
  CPNS_RETURN_IF_ERROR(CheckSize("share_p", request.share_p(), spake2plus::kPointSize));
  CPNS_RETURN_IF_ERROR(CheckSize("confirm_p", request.confirm_p(), spake2plus::kConfirmSize));
  absl::StatusOr<PairingSession> session =
      sessions_.Take(request.session_id(), wire::PeerKey(peer.address));
  if (!session.ok()) return TagRefusal(session.status(), "pairing-session-unknown");
  // Every way a taken session ends short of a confirmation counts as a
  // failed attempt: a share of w0*M (which a guesser of w0 can send) makes Z
  // the identity, and an answer that told that apart from a wrong
  // confirmation would be an uncounted guess. A share that is no point at
  // all is named as such (INVALID_ARGUMENT), and counted too.
  if (absl::Status bad = spake2plus::CheckShare("share_p", request.share_p()); !bad.ok()) {
    const absl::Status counted = Failed(*session, peer);
    return absl::IsUnavailable(counted) ? counted : bad;  // uncounted: say so
  }
  absl::StatusOr<spake2plus::Keys> keys = session->verifier.Finish(
      pairing::TranscriptIdentities(session->assignee, gw_id_), request.share_p());
  if (!keys.ok() || !spake2plus::ConfirmationMatches(keys->confirm_p, request.confirm_p())) {
    const absl::Status failed = Failed(*session, peer);
    // Z or V the identity (InvalidArgument) answers as a wrong code; a
    // failure of the gateway itself is counted too, but named.
    if (!keys.ok() && !absl::IsInvalidArgument(keys.status()) && !absl::IsUnavailable(failed)) {
      return keys.status();
    }
    return failed;
  }
  return IssueSealed(*session, *keys, deadline, peer, response, start);
}

absl::Status PairingServiceImpl::Failed(const PairingSession& session, const PeerInfo& peer) {
  admission_.CountFailedPairing(peer);
  if (!session.code_id.has_value()) {
    // The same kind of write as a code's count, and the same answer when it
    // fails, so that neither its time nor its status tells whether a code
    // was pending.
    if (absl::Status s = state_.CountDecoyFailure(); !s.ok()) {
      log::Error("cannot count a failed pairing", {{"error", s}});
      return StoreFailed();
    }
    return WrongCode("wrong-pairing-code");
  }
  const int limit = std::max(1, admission_.policy().failed_pairings_per_code);
  absl::StatusOr<FailedPairing> counted = state_.CountFailedPairing(*session.code_id, limit);
  if (!counted.ok()) {
    // Not counted: the code must not get more guesses than its bound, so
    // this exchange fails as one that the store could not judge.
    log::Error("cannot count a failed pairing", {{"error", counted.status()}});
    return StoreFailed();
  }
  if (!counted->spent) return WrongCode("wrong-pairing-code");
  log::Warn("pairing code spent by failed attempts",
            {{"entity_type", EntityTypeName(session.assignee.entity_type)},
             {"entity_id", session.assignee.entity_id.value()},
             {"user_id", session.assignee.user_id.value()},
             {"failures", counted->failures},
             {"peer", peer.address},
             {"result", "pairing-code-spent"}});
  return WrongCode("pairing-code-spent");
}

absl::Status PairingServiceImpl::IssueSealed(const PairingSession& session,
                                             const spake2plus::Keys& keys, absl::Time deadline,
                                             const PeerInfo& peer,
                                             cpns::v1::FinishPairingResponse& response,
                                             absl::Time start) {
  // The confirmation matched, so a code is pending: a decoy's w1 is known
  // only to whoever holds the decoy key. Such a holder still gets a counted
  // failure, like every other ending short of a key.
  if (!session.code_id.has_value()) return Failed(session, peer);
  // The seed first: without one the code stays unused for a retry.
  CPNS_ASSIGN_OR_RETURN(FirstSeed seed, issuer_.Seed(deadline));
  CPNS_RETURN_IF_ERROR(state_.UsePairingCode(*session.code_id));
  absl::StatusOr<std::string> sealed = SealedAssignment(session, keys, seed, peer, start);
  if (!sealed.ok()) {
    // Nothing left the gateway and nothing was recorded (the record is the
    // last step that can fail): the code goes back to pending for a retry.
    if (absl::Status s = state_.UnusePairingCode(*session.code_id); !s.ok()) {
      log::Error("cannot put a pairing code back after a failed assignment", {{"error", s}});
    }
    return sealed.status();
  }
  // Only a delivered key uses up the entity's quota.
  admission_.ChargePaired(session.assignee);
  response.set_confirm_v(keys.confirm_v);
  response.set_sealed_assignment(*std::move(sealed));
  return absl::OkStatus();
}

absl::StatusOr<std::string> PairingServiceImpl::SealedAssignment(const PairingSession& session,
                                                                 const spake2plus::Keys& keys,
                                                                 const FirstSeed& seed,
                                                                 const PeerInfo& peer,
                                                                 absl::Time start) {
  cpns::v1::EUKeyAssignmentResponse assignment;
  std::string sealed;
  // Sealed before the record, so that a recorded key is always delivered.
  auto seal = [&]() -> absl::Status {
    SecretBytes plaintext(assignment.ByteSizeLong());
    if (!assignment.SerializeToArray(plaintext.MutableSecretData(),
                                     static_cast<int>(plaintext.size()))) {
      return absl::InternalError("cannot serialize the EUKey Assignment Response");
    }
    CPNS_ASSIGN_OR_RETURN(sealed, pairing::SealAssignment(keys, plaintext));
    return absl::OkStatus();
  };
  const absl::Status issued =
      issuer_.Issue(session.assignee, seed, "pairing-code", peer, assignment, start, seal);
  wire::WipeSensitiveFields(assignment);
  CPNS_RETURN_IF_ERROR(issued);
  return sealed;
}

}  // namespace cpns::gateway
