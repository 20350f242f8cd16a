#include "server/cpns_server.h"

#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "wire/endpoint.h"
#include "wire/limits.h"

namespace cpns::server {

ServerMetrics::ServerMetrics(observe::Metrics& m, const std::string& store_backend)
    : first_seeds_issued(m.AddCounter("cpns_first_seeds_issued_total",
                                      "1st Seed Responses sent to gateways")),
      auth_requests(m.AddCounter("cpns_auth_requests_total",
                                 "Authentications of assignees, by result: ok or the refusal's "
                                 "code",
                                 "result")),
      store_durations(m.AddHistogram("cpns_store_operation_duration_seconds",
                                     "Time of the seed store's calls, by operation",
                                     "op", {{"backend", store_backend}},
                                     observe::LatencyBuckets())),
      store_up(m.AddGauge("cpns_store_up",
                          "1 while the seed store answers; 0 after a call failed for want of it "
                          "(unreachable, too slow) or once it was found corrupt")) {}

absl::StatusOr<std::unique_ptr<CpnsServer>> CpnsServer::Start(const ServerOptions& options,
                                                              storage::SeedStore& store,
                                                              const Clock& clock) {
  CPNS_ASSIGN_OR_RETURN(wire::Endpoint endpoint, wire::ParseEndpoint("--listen", options.listen));
  if (endpoint.kind != wire::Endpoint::Kind::kTls) {
    return absl::InvalidArgumentError("--listen: the CPNS Server listens on HOST:PORT (TLS) only");
  }
  if (options.tls.client_ca_file.empty()) {
    return absl::InvalidArgumentError("--client-ca is required: the WAN link is mutual TLS only");
  }
  std::unique_ptr<CpnsServer> server(new CpnsServer(store, options));
  CPNS_ASSIGN_OR_RETURN(server->tls_, wire::ReloadableServerTls::Create(options.tls));
  CPNS_ASSIGN_OR_RETURN(SecretBytes challenge_key,
                        server->store_.GetOrCreateServerSecret(
                            server->store_.ChallengeKeyName(kChallengeKeyName)));
  server->challenges_ = std::make_unique<ChallengeCodec>(std::move(challenge_key), clock,
                                                         options.challenge_lifetime);
  server->auth_ = std::make_unique<AuthServiceImpl>(
      server->store_, server->store_, *server->challenges_, server->refusals_, clock,
      &server->metrics_.auth_requests);
  grpc::ServerBuilder builder;
  wire::ApplyServerLimits(builder);
  wire::KeepIdleHandlerThreads(builder);
  wire::ApplyConnectionLimits(builder, options.connections);
  if (options.instrument) options.instrument(builder);
  CPNS_ASSIGN_OR_RETURN(server->listener_,
                        wire::Listener::Bind(endpoint, server->tls_->credentials(), builder,
                                             options.connections, options.on_fatal));
  if (!options.reflection) wire::WithoutReflection(builder);
  builder.RegisterService(&server->service_);
  builder.RegisterService(server->auth_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat(
        "cannot serve on ", endpoint.address, " (a certificate and key that do not match?)"));
  }
  if (options.readiness != nullptr) {
    server->health_ = options.readiness->Bind(
        *server->server_, {cpns::v1::FirstSeedService::service_full_name(),
                           cpns::v1::AuthService::service_full_name()});
  }
  server->listener_->Start(*server->server_);
  server->refusals_.Start();
  return server;
}

CpnsServer::~CpnsServer() { Shutdown(absl::Seconds(5)); }

void CpnsServer::Shutdown(absl::Duration grace) {
  if (listener_ != nullptr) listener_->Stop();
  health_.reset();  // gRPC's shutdown says NOT_SERVING from here on
  wire::StopServer(server_, grace);
  refusals_.Stop();
}

}  // namespace cpns::server
