#include "assignee/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "wire/endpoint.h"
#include "wire/limits.h"
#include "wire/tls.h"

namespace cpns::assignee {

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(absl::string_view flag,
                                                           const std::string& target,
                                                           const std::string& ca_file,
                                                           const std::string& tls_name,
                                                           const std::string& cert_file,
                                                           const std::string& key_file) {
  CPNS_ASSIGN_OR_RETURN(wire::Endpoint endpoint, wire::ParseEndpoint(flag, target));
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(wire::kMaxMessageBytes);
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (endpoint.kind == wire::Endpoint::Kind::kUnix) {
    if (!cert_file.empty() || !key_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a device certificate is presented over TLS only; ", flag, " ", target, " is unix:"));
    }
    // The PN link is secured by the PN technology; locally, by the socket's mode.
    creds = grpc::InsecureChannelCredentials();
  } else {
    if (ca_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(flag, " ", target, " needs a CA file"));
    }
    if (cert_file.empty() != key_file.empty()) {
      return absl::InvalidArgumentError(
          "a device certificate needs both its certificate file and its key file");
    }
    CPNS_ASSIGN_OR_RETURN(creds, wire::MakeChannelCredentials(
                                     {.ca_file = ca_file, .cert_file = cert_file,
                                      .key_file = key_file}));
    if (!tls_name.empty()) args.SetSslTargetNameOverride(tls_name);
  }
  return grpc::CreateCustomChannel(endpoint.GrpcAddress(), creds, args);
}

}  // namespace cpns::assignee
