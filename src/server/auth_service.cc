#include "server/auth_service.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/logging.h"
#include "core/status_macros.h"
#include "cpns/core/kdf.h"
#include "storage/store_deadline.h"
#include "wire/messages.h"
#include "wire/unix_peers.h"
#include "wire/status.h"

namespace cpns::server {
namespace {

absl::Status CheckSize(absl::string_view field, absl::string_view value, size_t size) {
  if (value.size() == size) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, " is ", value.size(), " bytes; it must be ", size));
}

// The identity the assignee claims, validated.
absl::StatusOr<AssignmentContext> ClaimedContext(const cpns::v1::AuthenticateRequest& r) {
  CPNS_ASSIGN_OR_RETURN(GatewayId gw, GatewayId::Parse(r.gw_id()));
  CPNS_ASSIGN_OR_RETURN(EntityType type, wire::FromProto(r.entity_type()));
  CPNS_ASSIGN_OR_RETURN(EntityId entity, EntityId::Parse(r.entity_id()));
  CPNS_ASSIGN_OR_RETURN(UserId user, UserId::Parse(r.user_id()));
  if (r.seed_epoch() == 0) return absl::InvalidArgumentError("seed_epoch must be at least 1");
  CPNS_RETURN_IF_ERROR(CheckSize("second_seed", r.second_seed(), kSecondSeedSize));
  CPNS_RETURN_IF_ERROR(CheckSize("client_nonce", r.client_nonce(), kNonceSize));
  CPNS_RETURN_IF_ERROR(CheckSize("proof", r.proof(), kEUKeySize));
  return AssignmentContext{gw, r.seed_epoch(), Assignee{type, entity, user}, r.not_after()};
}

// An identifier as it may be logged: only if it is a valid one (no control
// characters from the network reach the log).
std::string Loggable(absl::string_view id) {
  return ValidateIdentifier("id", id).ok() ? std::string(id) : "<invalid>";
}

absl::Status StoreUnavailable(const absl::Status& s) {
  log::Error("authentication failed: store", {{"result", "store_error"}, {"error", s}});
  return absl::UnavailableError(
      storage::IsStoreDeadlineMiss(s)
          ? "the CPNS Server's store is unavailable (the database did not answer in time); "
            "retry later"
          : "the CPNS Server's store is unavailable; retry later");
}

}  // namespace

grpc::Status AuthServiceImpl::GetChallenge(grpc::ServerContext*, const cpns::v1::ChallengeRequest*,
                                           cpns::v1::ChallengeResponse* response) {
  absl::StatusOr<Challenge> c = challenges_.Issue();
  if (!c.ok()) return wire::ToGrpcStatus(c.status());
  response->set_challenge(c->bytes);
  response->set_expires_at(absl::ToUnixSeconds(c->expires_at));
  return grpc::Status::OK;
}

grpc::Status AuthServiceImpl::Authenticate(grpc::ServerContext* context,
                                           const cpns::v1::AuthenticateRequest* request,
                                           cpns::v1::AuthenticateResponse* response) {
  return wire::ToGrpcStatus(Authenticate(CallerOf(*context), *request, *response));
}

absl::Status AuthServiceImpl::Authenticate(const Caller& caller,
                                           const cpns::v1::AuthenticateRequest& request,
                                           cpns::v1::AuthenticateResponse& response) {
  // Bounds the look-up, the challenge's use and the audit of a refusal.
  const storage::ScopedStoreDeadline store_deadline(caller.store_deadline);
  absl::StatusOr<Proven> proven = Prove(request);
  absl::Status status = proven.status();
  if (proven.ok()) status = CheckStanding(*proven);
  if (!status.ok()) {
    if (results_ != nullptr) {
      results_->With(absl::AsciiStrToLower(absl::StatusCodeToString(status.code()))).Increment();
    }
    Refused(caller, request, status, proven.ok());
    return status;
  }
  if (ok_ != nullptr) ok_->Increment();
  response.set_gw_id(request.gw_id());
  response.set_seed_epoch(request.seed_epoch());
  response.set_entity_id(request.entity_id());
  response.set_user_id(request.user_id());
  response.set_not_after(request.not_after());
  log::Info("authenticated", {{"entity_id", request.entity_id()},
                              {"user_id", request.user_id()},
                              {"gw_id", request.gw_id()},
                              {"epoch", request.seed_epoch()},
                              {"peer", caller.peer},
                              {"result", "ok"}});
  return absl::OkStatus();
}

void AuthServiceImpl::Refused(const Caller& caller, const cpns::v1::AuthenticateRequest& request,
                              const absl::Status& refusal, bool proven) {
  const std::string code(absl::StatusCodeToString(refusal.code()));
  const absl::StatusOr<GatewayId>& relay = caller.gateway;
  if (!relay.ok() && !proven) {
    // Anyone can call without a certificate or a key: count, never a row
    // per call.
    const std::string peer = wire::PeerKey(caller.peer);
    std::string sample = absl::StrCat(code, ": ", refusal.message(), "; gateway ",
                                      ShortId(request.gw_id()), " epoch ", request.seed_epoch(),
                                      ", entity ", ShortId(request.entity_id()), " user ",
                                      ShortId(request.user_id()));
    if (refusals_.Count(peer, code, sample)) {
      // More such refusals from this peer are counted in the audit log, not logged.
      log::Warn("authentication refused", {{"peer", peer},
                                           {"result", code},
                                           {"error", refusal.message()},
                                           {"gw_id", ShortId(request.gw_id())},
                                           {"epoch", request.seed_epoch()},
                                           {"entity_id", ShortId(request.entity_id())},
                                           {"user_id", ShortId(request.user_id())},
                                           {"repeats", "counted in the audit log"}});
    }
    return;
  }
  // A gateway relaying, or a caller whose proof verified: identified, and
  // each such call costs it a certificate or a key; a row per refusal.
  const std::string actor = relay.ok() ? absl::StrCat("gw:", relay->value())
                                       : absl::StrCat("peer:", caller.peer);
  log::Warn("authentication refused", {{"peer", actor},
                                       {"result", code},
                                       {"error", refusal.message()},
                                       {"gw_id", Loggable(request.gw_id())},
                                       {"epoch", request.seed_epoch()},
                                       {"entity_id", Loggable(request.entity_id())},
                                       {"user_id", Loggable(request.user_id())}});
  storage::AuditEvent e;
  e.actor = actor;
  e.action = storage::kAuditAuthRefused;
  e.gw_id = Loggable(request.gw_id());
  e.seed_epoch = request.seed_epoch();
  e.detail = absl::StrCat(code, ": ", refusal.message(), "; entity ",
                          Loggable(request.entity_id()), " user ", Loggable(request.user_id()));
  if (absl::Status s = audit_.AppendAudit(e); !s.ok()) {
    log::Error("cannot record the refused authentication in the audit log", {{"error", s}});
  }
}

absl::StatusOr<AuthServiceImpl::Proven> AuthServiceImpl::Prove(
    const cpns::v1::AuthenticateRequest& r) {
  CPNS_ASSIGN_OR_RETURN(AssignmentContext claimed, ClaimedContext(r));
  CPNS_ASSIGN_OR_RETURN(Challenge challenge, challenges_.Verify(r.challenge()));
  const SecretBytes second = SecretBytes::CopyFrom(r.second_seed());
  absl::StatusOr<storage::AuthRecord> found =
      state_.LookupForAuth(claimed.gw_id, claimed.seed_epoch, SecondSeedFingerprint(second));
  if (absl::IsNotFound(found.status())) {
    return absl::NotFoundError("unknown gateway or seed epoch");
  }
  if (!found.ok()) return StoreUnavailable(found.status());
  CPNS_ASSIGN_OR_RETURN(SecretBytes eukey, DeriveEUKey(found->seed.first_seed, second, claimed));
  CPNS_ASSIGN_OR_RETURN(SecretBytes expected, DeriveAuthProof(eukey, claimed, second,
                                                              r.challenge(), r.client_nonce()));
  if (!ConstantTimeEquals(expected.RevealSecret(), r.proof())) {
    return absl::UnauthenticatedError("the proof of possession does not verify");
  }
  return Proven{std::move(*found), std::move(claimed), std::move(challenge)};
}

absl::Status AuthServiceImpl::CheckStanding(const Proven& proven) {
  // The proof verifies: from here on only the key's holder learns why it is
  // refused. The challenge is spent whatever the outcome.
  absl::Status consumed = spender_.Spend(proven.challenge.id, proven.challenge.expires_at);
  if (absl::IsAlreadyExists(consumed)) {
    return absl::FailedPreconditionError(
        "the challenge was already used (a replayed proof); ask for a new one");
  }
  if (!consumed.ok()) return StoreUnavailable(consumed);
  const storage::AuthRecord& found = proven.found;
  const AssignmentContext& claimed = proven.claimed;
  const absl::Time now = clock_.Now();
  if (now > absl::FromUnixSeconds(claimed.not_after)) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the EUKey expired at ", claimed.not_after, " (Unix seconds); request a new assignment"));
  }
  const std::string epoch = absl::StrCat("seed epoch ", claimed.seed_epoch, " of gateway ",
                                         claimed.gw_id.value());
  if (found.gateway_revoked) {
    return absl::PermissionDeniedError(
        absl::StrCat("gateway ", claimed.gw_id.value(), " is revoked"));
  }
  if (found.seed.state == storage::SeedState::kRevoked) {
    return absl::PermissionDeniedError(
        absl::StrCat(epoch, " is revoked; request a new assignment"));
  }
  if (found.seed.state == storage::SeedState::kRetired) {
    return absl::PermissionDeniedError(
        absl::StrCat(epoch, " is retired; request a new assignment"));
  }
  if (found.key_revoked) return absl::PermissionDeniedError("this EUKey is revoked");
  if (now >= found.seed.expires_at) {
    return absl::UnauthenticatedError(absl::StrCat(
        epoch, " expired at ", absl::ToUnixSeconds(found.seed.expires_at),
        " (Unix seconds); request a new assignment"));
  }
  return absl::OkStatus();
}

}  // namespace cpns::server
