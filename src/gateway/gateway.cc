#include "gateway/gateway.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "wire/endpoint.h"
#include "wire/limits.h"

namespace cpns::gateway {

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const GatewayOptions& options,
                                                        const Clock& clock) {
  CPNS_ASSIGN_OR_RETURN(GatewayId gw_id, GatewayId::Parse(options.gw_id));
  if (options.state_dir.empty()) return absl::InvalidArgumentError("--state-dir is required");
  if (options.pn_listen.empty()) {
    return absl::InvalidArgumentError("--pn-listen is required (unix:PATH or tls:HOST:PORT)");
  }
  CPNS_RETURN_IF_ERROR(ValidateRefreshPolicy(options.refresh));
  CPNS_RETURN_IF_ERROR(EnsurePrivateDirectory(options.state_dir));
  std::unique_ptr<Gateway> gw(new Gateway());
  CPNS_ASSIGN_OR_RETURN(gw->server_channel_, MakeServerChannel(options.server));
  gw->source_ = MakeGrpcFirstSeedSource(gw_id, options.server.server, gw->server_channel_);
  gw->auth_relay_ =
      std::make_unique<AuthRelay>(gw->server_channel_, options.policy.upstream_timeout);
  gw->cache_ = std::make_unique<SeedCache>(gw_id, *gw->source_,
                                           absl::StrCat(options.state_dir, "/first_seed"), clock);
  CPNS_RETURN_IF_ERROR(gw->cache_->LoadSaved());
  gw->service_ = std::make_unique<EUKeyServiceImpl>(*gw->cache_, clock, options.policy);
  CPNS_RETURN_IF_ERROR(gw->Listen(options));
  gw->refresher_ = std::make_unique<SeedRefresher>(*gw->cache_, clock, options.refresh);
  gw->refresher_->Start();
  return gw;
}

absl::Status Gateway::Listen(const GatewayOptions& options) {
  grpc::ServerBuilder builder;
  wire::ApplyServerLimits(builder);
  std::vector<bool> is_tls;
  for (const std::string& text : options.pn_listen) {
    CPNS_ASSIGN_OR_RETURN(wire::Endpoint endpoint, wire::ParseEndpoint("--pn-listen", text));
    std::shared_ptr<grpc::ServerCredentials> creds;
    if (endpoint.kind == wire::Endpoint::Kind::kUnix) {
      // The PN link is secured by the PN technology; locally, by the socket's mode.
      creds = grpc::InsecureServerCredentials();
      unix_paths_.push_back(endpoint.address);
    } else {
      if (options.pn_cert_file.empty() || options.pn_key_file.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("--pn-listen ", text, " needs a certificate: set --pn-cert and --pn-key"));
      }
      CPNS_ASSIGN_OR_RETURN(creds, wire::MakeServerCredentials(
                                       {.cert_file = options.pn_cert_file,
                                        .key_file = options.pn_key_file}));
    }
    ports_.push_back(std::make_unique<int>(0));
    is_tls.push_back(endpoint.kind == wire::Endpoint::Kind::kTls);
    builder.AddListeningPort(endpoint.GrpcAddress(), creds, ports_.back().get());
  }
  builder.RegisterService(service_.get());
  builder.RegisterService(auth_relay_.get());
  server_ = builder.BuildAndStart();
  if (server_ == nullptr) {
    return absl::UnavailableError("cannot bind the --pn-listen addresses (in use? directory missing?)");
  }
  for (size_t i = 0; i < ports_.size(); ++i) {
    if (is_tls[i]) tls_ports_.push_back(*ports_[i]);
  }
  for (const std::string& path : unix_paths_) {
    if (::chmod(path.c_str(), 0660) != 0) {
      return absl::InternalError(absl::StrCat("cannot chmod 0660 ", path, ": ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

Gateway::~Gateway() { Shutdown(absl::Seconds(5)); }

void Gateway::Shutdown(absl::Duration grace) {
  if (refresher_ != nullptr) refresher_->Stop();
  wire::StopServer(server_, grace);
}

}  // namespace cpns::gateway
