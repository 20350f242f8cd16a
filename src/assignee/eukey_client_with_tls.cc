#include "assignee/eukey_client_with_tls.h"

#include <grpcpp/create_channel.h>

#include "assignee/channel.h"
#include "core/status_macros.h"

namespace cpns::assignee {

absl::StatusOr<std::unique_ptr<EUKeyClient>> CreateEUKeyClientWithTls(
    const EUKeyClientOptions& options, const TlsCredentialsSource& tls) {
  CPNS_ASSIGN_OR_RETURN(ChannelTarget target,
                        CheckChannelTarget("--gateway", options.gateway, options.gateway_ca_file,
                                           options.gateway_name, options.cert_file,
                                           options.key_file));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (target.endpoint.kind != wire::Endpoint::Kind::kTls) {
    // The PN link is secured by the PN technology; locally, by the socket's
    // mode; tcp: carries only the PAKE.
    creds = grpc::InsecureChannelCredentials();
  } else {
    CPNS_ASSIGN_OR_RETURN(creds, tls(target.tls));
  }
  // A subchannel of its own per channel: without it gRPC would share one
  // connection among channels of the same target and credentials.
  target.args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return MakeGrpcEUKeyClient([address = target.endpoint.GrpcAddress(), creds,
                              args = target.args] {
    return grpc::CreateCustomChannel(address, creds, args);
  }, target.endpoint.kind == wire::Endpoint::Kind::kTcp);
}

}  // namespace cpns::assignee
