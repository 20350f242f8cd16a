#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
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

class GrpcFirstSeedSource final : public FirstSeedSource {
 public:
  GrpcFirstSeedSource(GatewayId gw_id, std::string server, std::shared_ptr<grpc::Channel> channel)
      : gw_id_(std::move(gw_id)),
        server_(std::move(server)),
        stub_(cpns::v1::FirstSeedService::NewStub(std::move(channel))) {}

  absl::StatusOr<FirstSeed> Fetch(absl::Time deadline) override {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(deadline));
    cpns::v1::FirstSeedRequest request;
    request.set_gw_id(gw_id_.value());
    cpns::v1::FirstSeedResponse response;
    const grpc::Status status = stub_->RequestFirstSeed(&context, request, &response);
    if (!status.ok()) {
      return absl::Status(wire::FromGrpcStatus(status).code(),
                          absl::StrCat("1st Seed Request to CPNS Server ", server_, " failed: ",
                                       wire::GrpcCodeName(status.error_code()), ": ",
                                       status.error_message()));
    }
    absl::StatusOr<FirstSeed> seed = Validate(response);
    wire::WipeSensitiveFields(response);
    return seed;
  }

 private:
  absl::StatusOr<FirstSeed> Validate(const cpns::v1::FirstSeedResponse& r) const {
    if (r.gw_id() != gw_id_.value()) {
      return absl::DataLossError(absl::StrCat("1st Seed Response is for gateway '", r.gw_id(),
                                              "', not '", gw_id_.value(), "'"));
    }
    if (r.first_seed().size() != kFirstSeedSize) {
      return absl::DataLossError(absl::StrCat("1st Seed Response has a ", r.first_seed().size(),
                                              "-byte first_seed; expected ", kFirstSeedSize));
    }
    if (r.seed_epoch() == 0) return absl::DataLossError("1st Seed Response has seed_epoch 0");
    return FirstSeed{gw_id_, r.seed_epoch(), SecretBytes::CopyFrom(r.first_seed())};
  }

  const GatewayId gw_id_;
  const std::string server_;
  std::unique_ptr<cpns::v1::FirstSeedService::Stub> stub_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeServerChannel(
    const ServerConnection& connection) {
  CPNS_ASSIGN_OR_RETURN(wire::Endpoint endpoint, wire::ParseEndpoint("--server", connection.server));
  if (endpoint.kind != wire::Endpoint::Kind::kTls) {
    return absl::InvalidArgumentError("--server must be HOST:PORT (mutual TLS)");
  }
  if (connection.tls.cert_file.empty() || connection.tls.key_file.empty()) {
    return absl::InvalidArgumentError("--cert and --key are required: the WAN link is mutual TLS");
  }
  CPNS_ASSIGN_OR_RETURN(auto creds, wire::MakeChannelCredentials(connection.tls));
  grpc::ChannelArguments args;
  if (!connection.server_name.empty()) {
    args.SetSslTargetNameOverride(connection.server_name);
  }
  args.SetMaxReceiveMessageSize(wire::kMaxMessageBytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 200);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  return grpc::CreateCustomChannel(endpoint.address, creds, args);
}

std::unique_ptr<FirstSeedSource> MakeGrpcFirstSeedSource(const GatewayId& gw_id,
                                                         const std::string& server,
                                                         std::shared_ptr<grpc::Channel> channel) {
  return std::make_unique<GrpcFirstSeedSource>(gw_id, server, std::move(channel));
}

}  // namespace cpns::gateway
