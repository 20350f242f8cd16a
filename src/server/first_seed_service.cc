#include "server/first_seed_service.h"

#include "absl/strings/str_cat.h"
#include "core/logging.h"
#include "core/status_macros.h"
#include "storage/store_deadline.h"
#include "storage/store_rules.h"
#include "wire/status.h"

namespace cpns::server {
namespace {

// The authenticated gateway, if it asks about itself; else the refusal
// (logged with what was asked).
absl::StatusOr<GatewayId> AuthorizedGateway(const Caller& caller, absl::string_view rpc,
                                            absl::string_view requested_id) {
  const absl::StatusOr<GatewayId>& peer = caller.gateway;
  if (!peer.ok()) {
    log::Warn("request refused", {{"rpc", rpc},
                                  {"peer", caller.peer},
                                  {"result", absl::StatusCodeToString(peer.status().code())},
                                  {"error", peer.status().message()}});
    return peer.status();
  }
  absl::StatusOr<GatewayId> requested = GatewayId::Parse(requested_id);
  if (!requested.ok()) {
    log::Warn("request refused", {{"rpc", rpc},
                                  {"peer", caller.peer},
                                  {"gw_id", peer->value()},
                                  {"result", "INVALID_ARGUMENT"},
                                  {"error", requested.status().message()}});
    return requested.status();
  }
  if (*requested != *peer) {
    log::Warn("request refused", {{"rpc", rpc},
                                  {"peer", caller.peer},
                                  {"gw_id", peer->value()},
                                  {"requested_gw_id", requested->value()},
                                  {"result", "PERMISSION_DENIED"},
                                  {"error", "another gateway's gw_id"}});
    return absl::PermissionDeniedError(absl::StrCat("gw_id '", requested->value(),
                                                    "' is not the authenticated gateway '",
                                                    peer->value(), "'"));
  }
  return peer;
}

// What a gateway is told when the store failed. It may retry UNAVAILABLE; a
// revocation is final; anything else is the operator's to fix, and its
// details (KEK ids, SQL errors) stay in the server's log.
absl::Status StoreFailure(absl::string_view rpc, const GatewayId& gw_id, const absl::Status& s) {
  if (absl::IsPermissionDenied(s)) {
    log::Warn("request refused", {{"rpc", rpc},
                                  {"gw_id", gw_id.value()},
                                  {"result", "PERMISSION_DENIED"},
                                  {"error", s.message()}});
    return s;
  }
  log::Error("request failed: store",
             {{"rpc", rpc}, {"gw_id", gw_id.value()}, {"result", "store_error"}, {"error", s}});
  if (storage::IsStoreDeadlineMiss(s)) {
    return absl::UnavailableError(
        "the CPNS Server's store is unavailable (the database did not answer in time); "
        "retry later");
  }
  if (absl::IsUnavailable(s) || absl::IsAborted(s)) {
    return absl::UnavailableError("the CPNS Server's store is unavailable; retry later");
  }
  return absl::InternalError(
      "the CPNS Server cannot serve this gateway's 1st seed; see the server log");
}

cpns::v1::SeedState ToProto(storage::SeedState state) {
  switch (state) {
    case storage::SeedState::kActive: return cpns::v1::SEED_STATE_ACTIVE;
    case storage::SeedState::kRotated: return cpns::v1::SEED_STATE_ROTATED;
    case storage::SeedState::kRetired: return cpns::v1::SEED_STATE_RETIRED;
    case storage::SeedState::kRevoked: return cpns::v1::SEED_STATE_REVOKED;
  }
  return cpns::v1::SEED_STATE_UNSPECIFIED;
}

}  // namespace

grpc::Status FirstSeedServiceImpl::RequestFirstSeed(grpc::ServerContext* context,
                                                    const cpns::v1::FirstSeedRequest* request,
                                                    cpns::v1::FirstSeedResponse* response) {
  return wire::ToGrpcStatus(FirstSeed(CallerOf(*context), *request, *response));
}

grpc::Status FirstSeedServiceImpl::GetSeedStatus(grpc::ServerContext* context,
                                                 const cpns::v1::SeedStatusRequest* request,
                                                 cpns::v1::SeedStatusResponse* response) {
  return wire::ToGrpcStatus(SeedStatus(CallerOf(*context), *request, *response));
}

absl::Status FirstSeedServiceImpl::FirstSeed(const Caller& caller,
                                             const cpns::v1::FirstSeedRequest& request,
                                             cpns::v1::FirstSeedResponse& response) {
  constexpr absl::string_view kRpc = "1st Seed Request";
  const absl::Time start = absl::Now();  // for duration_ms in the log
  CPNS_ASSIGN_OR_RETURN(GatewayId gw, AuthorizedGateway(caller, kRpc, request.gw_id()));
  const storage::ScopedStoreDeadline store_deadline(caller.store_deadline);
  absl::StatusOr<storage::StoredSeed> seed = seeds_.GetOrCreateActive(
      gw, {.lifetime = seed_lifetime_,
           .renew_epoch = request.renew_epoch(),
           .actor = absl::StrCat("gw:", gw.value())});
  if (!seed.ok()) return StoreFailure(kRpc, gw, seed.status());
  response.set_gw_id(gw.value());
  response.set_first_seed(std::string(seed->first_seed.RevealSecret()));
  response.set_seed_epoch(seed->seed_epoch);
  response.set_created_at(absl::ToUnixSeconds(seed->created_at));
  response.set_expires_at(absl::ToUnixSeconds(seed->expires_at));
  log::Info("1st Seed Response", {{"gw_id", gw.value()},
                                  {"epoch", seed->seed_epoch},
                                  {"renew_epoch", request.renew_epoch()},
                                  {"peer", caller.peer},
                                  {"result", "ok"},
                                  {"duration_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
  if (issued_ != nullptr) issued_->Increment();
  return absl::OkStatus();
}

absl::Status FirstSeedServiceImpl::SeedStatus(const Caller& caller,
                                              const cpns::v1::SeedStatusRequest& request,
                                              cpns::v1::SeedStatusResponse& response) {
  constexpr absl::string_view kRpc = "Seed status request";
  CPNS_ASSIGN_OR_RETURN(GatewayId gw, AuthorizedGateway(caller, kRpc, request.gw_id()));
  const storage::ScopedStoreDeadline store_deadline(caller.store_deadline);
  absl::StatusOr<std::vector<storage::GatewayRecord>> found = catalog_.ListGateways(gw);
  if (!found.ok()) return StoreFailure(kRpc, gw, found.status());
  response.set_gw_id(gw.value());
  response.set_epoch_state(cpns::v1::SEED_STATE_UNKNOWN);
  if (found->empty()) return absl::OkStatus();
  const storage::GatewayRecord& record = found->front();
  if (record.revoked_at.has_value()) {
    return StoreFailure(kRpc, gw, storage::GatewayRevokedError(gw));
  }
  if (const storage::SeedRecord* active = record.active()) {
    response.set_active_epoch(active->seed_epoch);
    response.set_active_expires_at(absl::ToUnixSeconds(active->expires_at));
  }
  for (const storage::SeedRecord& s : record.seeds) {
    if (s.seed_epoch != request.seed_epoch()) continue;
    response.set_epoch_state(ToProto(s.state));
    response.set_epoch_expires_at(absl::ToUnixSeconds(s.expires_at));
  }
  return absl::OkStatus();
}

}  // namespace cpns::server
