#include "cpns/assignee/eukey_client.h"

#include "assignee/channel.h"
#include "assignee/eukey_client_with_tls.h"
#include "assignee/exchange.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "cpns/core/kdf.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "wire/endpoint.h"
#include "wire/limits.h"
#include "wire/messages.h"
#include "wire/redact.h"
#include "wire/status.h"
#include "wire/tls.h"

namespace cpns::assignee {
namespace {

absl::Status BadResponse(absl::string_view why) {
  return absl::DataLossError(absl::StrCat("EUKey Assignment Response is malformed: ", why));
}

}  // namespace

absl::StatusOr<EUKeyAssignment> ValidateAssignment(const Assignee& asked,
                                                   const cpns::v1::EUKeyAssignmentResponse& r) {
  if (r.second_seed().size() != kSecondSeedSize) return BadResponse("second_seed is not 32 bytes");
  if (r.eukey().size() != kEUKeySize) return BadResponse("eukey is not 32 bytes");
  if (r.seed_epoch() == 0) return BadResponse("seed_epoch is 0");
  absl::StatusOr<GatewayId> gw = GatewayId::Parse(r.gw_id());
  if (!gw.ok()) return BadResponse(gw.status().message());
  // Older gateways may not echo the identity; when they do, it must match.
  if ((!r.entity_id().empty() && r.entity_id() != asked.entity_id.value()) ||
      (!r.user_id().empty() && r.user_id() != asked.user_id.value())) {
    return BadResponse("the key is bound to another entity or user than requested");
  }
  return EUKeyAssignment{*gw,
                         r.seed_epoch(),
                         asked,
                         r.not_after(),
                         SecretBytes::CopyFrom(r.second_seed()),
                         SecretBytes::CopyFrom(r.eukey())};
}

namespace {

class GrpcEUKeyClient final : public EUKeyClient {
 public:
  GrpcEUKeyClient(ChannelSource channel, bool pairing_only)
      : channel_(std::move(channel)), pairing_only_(pairing_only) {}

  absl::StatusOr<EUKeyAssignment> Request(const Assignee& assignee, absl::Duration timeout,
                                          const SecretBytes& pairing_code) override {
    // A code always goes through the PAKE, whatever the transport: one way
    // to use a code, and never a code on the wire.
    if (!pairing_code.empty()) return PairWithCode(channel_(), assignee, timeout, pairing_code);
    if (pairing_only_) {
      return absl::InvalidArgumentError(
          "a tcp: gateway serves pairing by code only: give the pairing code its owner made "
          "(--pairing-code-file)");
    }
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
    const cpns::v1::EUKeyAssignmentRequest request = wire::MakeAssignmentRequest(assignee);
    cpns::v1::EUKeyAssignmentResponse response;
    const grpc::Status status =
        cpns::v1::EUKeyService::NewStub(channel_())->AssignEUKey(&context, request, &response);
    if (!status.ok()) return wire::FromGrpcStatus(status);
    absl::StatusOr<EUKeyAssignment> assignment = ValidateAssignment(assignee, response);
    wire::WipeSensitiveFields(response);
    return assignment;
  }

 private:
  const ChannelSource channel_;
  const bool pairing_only_;
};

}  // namespace

std::unique_ptr<EUKeyClient> MakeGrpcEUKeyClient(ChannelSource channel, bool pairing_only) {
  return std::make_unique<GrpcEUKeyClient>(std::move(channel), pairing_only);
}

absl::StatusOr<std::unique_ptr<EUKeyClient>> EUKeyClient::Create(
    const EUKeyClientOptions& options) {
  CPNS_ASSIGN_OR_RETURN(auto channel, MakeChannel("--gateway", options.gateway,
                                                  options.gateway_ca_file, options.gateway_name,
                                                  options.cert_file, options.key_file));
  CPNS_ASSIGN_OR_RETURN(wire::Endpoint endpoint,
                        wire::ParseEndpoint("--gateway", options.gateway));
  return MakeGrpcEUKeyClient([channel] { return channel; },
                             endpoint.kind == wire::Endpoint::Kind::kTcp);
}

}  // namespace cpns::assignee
