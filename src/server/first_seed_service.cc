#include "server/first_seed_service.h"

#include <spdlog/spdlog.h>

#include "core/logging.h"

#include "absl/strings/str_cat.h"
#include "wire/status.h"
#include "wire/tls.h"

namespace cpns::server {

grpc::Status FirstSeedServiceImpl::RequestFirstSeed(grpc::ServerContext* context,
                                                    const cpns::v1::FirstSeedRequest* request,
                                                    cpns::v1::FirstSeedResponse* response) {
  absl::StatusOr<GatewayId> peer = wire::PeerGatewayId(*context->auth_context());
  if (!peer.ok()) {
    spdlog::warn("1st Seed Request from {} refused: {}", context->peer(), peer.status().message());
    return wire::ToGrpcStatus(peer.status());
  }
  absl::StatusOr<GatewayId> requested = GatewayId::Parse(request->gw_id());
  if (!requested.ok()) {
    spdlog::warn("1st Seed Request from gateway {} refused: {}", peer->value(),
                 requested.status().message());
    return wire::ToGrpcStatus(requested.status());
  }
  if (*requested != *peer) {
    spdlog::warn("1st Seed Request from gateway {} for gateway {} refused", peer->value(),
                 requested->value());
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        absl::StrCat("gw_id '", requested->value(),
                                     "' is not the authenticated gateway '", peer->value(), "'"));
  }
  absl::StatusOr<storage::StoredSeed> seed = store_.GetOrCreateActive(*peer);
  if (!seed.ok()) {
    spdlog::error("1st Seed Request from gateway {} failed: {}", peer->value(),
                  seed.status().ToString());
    // The gateway may retry UNAVAILABLE; anything else is the operator's to
    // fix, and its details (KEK ids, SQL errors) stay in the server's log.
    if (absl::IsUnavailable(seed.status()) || absl::IsAborted(seed.status())) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "the CPNS Server's store is unavailable; retry later");
    }
    return grpc::Status(grpc::StatusCode::INTERNAL,
                        "the CPNS Server cannot serve this gateway's 1st seed; see the server log");
  }
  response->set_gw_id(peer->value());
  response->set_first_seed(std::string(seed->first_seed.RevealSecret()));
  response->set_seed_epoch(seed->seed_epoch);
  response->set_created_at(absl::ToUnixSeconds(seed->created_at));
  spdlog::info("1st Seed Response to gateway {}: epoch {}", peer->value(), seed->seed_epoch);
  return grpc::Status::OK;
}

}  // namespace cpns::server
