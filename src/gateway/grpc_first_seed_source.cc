#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/status_macros.h"
#include "cpns/core/kdf.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "gateway/first_seed.h"
#include "wire/endpoint.h"
#include "wire/limits.h"
#include "wire/redact.h"
#include "wire/status.h"

namespace cpns::gateway {
namespace {

absl::Status Invalid(absl::string_view what, absl::string_view why) {
  return absl::DataLossError(absl::StrCat(what, " ", why));
}

// Expiry is optional (0 from servers before v3); when given, it must come
// after a known creation time, or the renewal schedule would be nonsense.
absl::Status CheckTimes(const cpns::v1::FirstSeedResponse& r) {
  if (r.expires_at() == 0) return absl::OkStatus();
  if (r.created_at() <= 0 || r.expires_at() <= r.created_at()) {
    return Invalid("1st Seed Response", absl::StrCat("has expires_at ", r.expires_at(),
                                                     " not after created_at ", r.created_at()));
  }
  return absl::OkStatus();
}

absl::StatusOr<SeedState> StateFromWire(cpns::v1::SeedState state) {
  switch (state) {
    case cpns::v1::SEED_STATE_ACTIVE: return SeedState::kActive;
    case cpns::v1::SEED_STATE_ROTATED: return SeedState::kRotated;
    case cpns::v1::SEED_STATE_RETIRED: return SeedState::kRetired;
    case cpns::v1::SEED_STATE_REVOKED: return SeedState::kRevoked;
    case cpns::v1::SEED_STATE_UNKNOWN: return SeedState::kUnknown;
    default:
      return Invalid("Seed Status Response",
                     absl::StrCat("has epoch_state ", static_cast<int>(state),
                                  "; expected ACTIVE to UNKNOWN"));
  }
}

class GrpcFirstSeedSource final : public FirstSeedSource {
 public:
  GrpcFirstSeedSource(GatewayId gw_id, std::string server, std::shared_ptr<grpc::Channel> channel)
      : gw_id_(std::move(gw_id)),
        server_(std::move(server)),
        stub_(cpns::v1::FirstSeedService::NewStub(std::move(channel))) {}

  absl::StatusOr<FirstSeed> Fetch(absl::Time deadline, uint32_t renew_epoch) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    cpns::v1::FirstSeedRequest request;
    request.set_gw_id(gw_id_.value());
    request.set_renew_epoch(renew_epoch);
    cpns::v1::FirstSeedResponse response;
    const grpc::Status status = stub_->RequestFirstSeed(&context, request, &response);
    if (!status.ok()) return Failed("1st Seed Request", status);
    absl::StatusOr<FirstSeed> seed = Validate(response, renew_epoch);
    wire::WipeSensitiveFields(response);
    return seed;
  }

  absl::StatusOr<SeedStatus> Status(absl::Time deadline, uint32_t held_epoch) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    cpns::v1::SeedStatusRequest request;
    request.set_gw_id(gw_id_.value());
    request.set_seed_epoch(held_epoch);
    cpns::v1::SeedStatusResponse response;
    const grpc::Status status = stub_->GetSeedStatus(&context, request, &response);
    if (!status.ok()) return Failed("Seed Status Request", status);
    return Validate(response, held_epoch);
  }

 private:
  absl::Status Failed(absl::string_view what, const grpc::Status& status) const {
    return absl::Status(wire::FromGrpcStatus(status).code(),
                        absl::StrCat(what, " to CPNS Server ", server_, " failed: ",
                                     wire::GrpcCodeName(status.error_code()), ": ",
                                     status.error_message()));
  }

  absl::Status CheckGateway(absl::string_view what, const std::string& gw_id) const {
    if (gw_id == gw_id_.value()) return absl::OkStatus();
    return Invalid(what, absl::StrCat("is for gateway '", gw_id, "', not '", gw_id_.value(), "'"));
  }

  absl::StatusOr<FirstSeed> Validate(const cpns::v1::FirstSeedResponse& r,
                                     uint32_t renew_epoch) const {
    CPNS_RETURN_IF_ERROR(CheckGateway("1st Seed Response", r.gw_id()));
    if (r.first_seed().size() != kFirstSeedSize) {
      return Invalid("1st Seed Response", absl::StrCat("has a ", r.first_seed().size(),
                                                       "-byte first_seed; expected ",
                                                       kFirstSeedSize));
    }
    if (r.seed_epoch() == 0) return Invalid("1st Seed Response", "has seed_epoch 0");
    // Epochs only grow: an older one than we hold means a confused server.
    if (r.seed_epoch() < renew_epoch) {
      return Invalid("1st Seed Response", absl::StrCat("has seed_epoch ", r.seed_epoch(),
                                                       ", older than the held epoch ",
                                                       renew_epoch));
    }
    CPNS_RETURN_IF_ERROR(CheckTimes(r));
    return FirstSeed{gw_id_, r.seed_epoch(), SecretBytes::CopyFrom(r.first_seed()),
                     absl::FromUnixSeconds(r.created_at()),
                     ExpiryFromUnixSeconds(r.expires_at())};
  }

  absl::StatusOr<SeedStatus> Validate(const cpns::v1::SeedStatusResponse& r,
                                      uint32_t held_epoch) const {
    CPNS_RETURN_IF_ERROR(CheckGateway("Seed Status Response", r.gw_id()));
    CPNS_ASSIGN_OR_RETURN(SeedState state, StateFromWire(r.epoch_state()));
    if (r.active_expires_at() < 0 || r.epoch_expires_at() < 0) {
      return Invalid("Seed Status Response", "has a negative expiry");
    }
    // The epoch we hold cannot be the active one unless it is active_epoch.
    if (state == SeedState::kActive && r.active_epoch() != held_epoch) {
      return Invalid("Seed Status Response",
                     absl::StrCat("says epoch ", held_epoch, " is ACTIVE but active_epoch is ",
                                  r.active_epoch()));
    }
    return SeedStatus{r.active_epoch(), ExpiryFromUnixSeconds(r.active_expires_at()), state,
                      ExpiryFromUnixSeconds(r.epoch_expires_at())};
  }

  const GatewayId gw_id_;
  const std::string server_;
  std::unique_ptr<cpns::v1::FirstSeedService::Stub> stub_;
};

}  // namespace

absl::StatusOr<ServerChannel> MakeServerChannel(const ServerConnection& connection) {
  CPNS_ASSIGN_OR_RETURN(wire::Endpoint endpoint, wire::ParseEndpoint("--server", connection.server));
  if (endpoint.kind != wire::Endpoint::Kind::kTls) {
    return absl::InvalidArgumentError("--server must be HOST:PORT (mutual TLS)");
  }
  if (connection.tls.cert_file.empty() || connection.tls.key_file.empty()) {
    return absl::InvalidArgumentError("--cert and --key are required: the WAN link is mutual TLS");
  }
  CPNS_ASSIGN_OR_RETURN(std::unique_ptr<wire::ReloadableClientTls> tls,
                        wire::ReloadableClientTls::Create(connection.tls));
  grpc::ChannelArguments args;
  if (!connection.server_name.empty()) {
    args.SetSslTargetNameOverride(connection.server_name);
  }
  args.SetMaxReceiveMessageSize(wire::kMaxMessageBytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(endpoint.address, tls->credentials(), args);
  return ServerChannel{std::move(tls), std::move(channel)};
}

std::unique_ptr<FirstSeedSource> MakeGrpcFirstSeedSource(const GatewayId& gw_id,
                                                         const std::string& server,
                                                         std::shared_ptr<grpc::Channel> channel) {
  return std::make_unique<GrpcFirstSeedSource>(gw_id, server, std::move(channel));
}

}  // namespace cpns::gateway
