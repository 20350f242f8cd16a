// The assignee's channel to a gateway (unix: or tls:) or to the CPNS Server
// (HOST:PORT, server-authenticated TLS). Private to the assignee role.
#ifndef CPNS_ASSIGNEE_CHANNEL_H_
#define CPNS_ASSIGNEE_CHANNEL_H_

#include <grpcpp/channel.h>
#include <grpcpp/support/channel_arguments.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "wire/endpoint.h"
#include "wire/tls.h"

namespace cpns::assignee {

// InvalidArgument naming `flag` for a bad address, a TLS target without a
// CA, or a client certificate (`cert_file`, `key_file`: the device
// certificate, presented on tls: only) for a unix: target.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(absl::string_view flag,
                                                           const std::string& target,
                                                           const std::string& ca_file,
                                                           const std::string& tls_name,
                                                           const std::string& cert_file = "",
                                                           const std::string& key_file = "");

// What MakeChannel checks and derives before it makes credentials: the
// address, the channel's arguments and, for tls:, the TLS options.
struct ChannelTarget {
  wire::Endpoint endpoint;
  grpc::ChannelArguments args;
  wire::ClientTlsOptions tls;  // unused for unix:
};
// MakeChannel's errors, without reading any file.
absl::StatusOr<ChannelTarget> CheckChannelTarget(absl::string_view flag, const std::string& target,
                                                 const std::string& ca_file,
                                                 const std::string& tls_name,
                                                 const std::string& cert_file,
                                                 const std::string& key_file);

}  // namespace cpns::assignee

#endif  // CPNS_ASSIGNEE_CHANNEL_H_
