#include "assignee/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "wire/endpoint.h"
#include "wire/limits.h"
#include "wire/tls.h"

namespace cpns::assignee {

absl::StatusOr<ChannelTarget> CheckChannelTarget(absl::string_view flag, const std::string& target,
                                                 const std::string& ca_file,
                                                 const std::string& tls_name,
                                                 const std::string& cert_file,
                                                 const std::string& key_file) {
  CPNS_ASSIGN_OR_RETURN(wire::Endpoint endpoint, wire::ParseEndpoint(flag, target));
  ChannelTarget checked{.endpoint = std::move(endpoint)};
  checked.args.SetMaxReceiveMessageSize(wire::kMaxMessageBytes);
  if (checked.endpoint.kind == wire::Endpoint::Kind::kUnix) {
    if (!cert_file.empty() || !key_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a device certificate is presented over TLS only; ", flag, " ", target, " is unix:"));
    }
    return checked;
  }
  if (checked.endpoint.kind == wire::Endpoint::Kind::kTcp) {
    // Plain TCP carries the pairing exchange alone, which needs no TLS: a CA
    // or a certificate given with it is a mistake worth naming.
    if (!ca_file.empty() || !cert_file.empty() || !key_file.empty() || !tls_name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          flag, " ", target, " is plain TCP, for pairing by code: it takes no CA, TLS name or "
          "certificate (use tls:HOST:PORT for those)"));
    }
    return checked;
  }
  if (ca_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, " ", target, " needs a CA file"));
  }
  if (cert_file.empty() != key_file.empty()) {
    return absl::InvalidArgumentError(
        "a device certificate needs both its certificate file and its key file");
  }
  checked.tls = {.ca_file = ca_file, .cert_file = cert_file, .key_file = key_file};
  if (!tls_name.empty()) checked.args.SetSslTargetNameOverride(tls_name);
  return checked;
}

absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(absl::string_view flag,
                                                           const std::string& target,
                                                           const std::string& ca_file,
                                                           const std::string& tls_name,
                                                           const std::string& cert_file,
                                                           const std::string& key_file) {
  CPNS_ASSIGN_OR_RETURN(ChannelTarget checked, CheckChannelTarget(flag, target, ca_file, tls_name,
                                                                  cert_file, key_file));
  std::shared_ptr<grpc::ChannelCredentials> creds;
  if (checked.endpoint.kind != wire::Endpoint::Kind::kTls) {
    // The PN link is secured by the PN technology; locally, by the socket's
    // mode; tcp: carries only the PAKE.
    creds = grpc::InsecureChannelCredentials();
  } else {
    CPNS_ASSIGN_OR_RETURN(creds, wire::MakeChannelCredentials(checked.tls));
  }
  return grpc::CreateCustomChannel(checked.endpoint.GrpcAddress(), creds, checked.args);
}

}  // namespace cpns::assignee
