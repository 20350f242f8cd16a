#include "gateway/gateway.h"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/logging.h"
#include "core/aead.h"
#include "cpns/core/hex.h"
#include "gateway/seed_file.h"
#include "gateway/status.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "wire/endpoint.h"
#include "wire/limits.h"

namespace cpns::gateway {
namespace {

constexpr char kSealKeyEnv[] = "CPNS_GW_SEAL_KEY";

// The gateway key, if one is configured (GatewayOptions::seal_key_file).
absl::StatusOr<std::optional<SecretBytes>> SealKey(const GatewayOptions& options) {
  if (!options.seal_key_file.empty()) {
    if (absl::StartsWith(options.seal_key_file, options.state_dir + "/")) {
      spdlog::warn("--seal-key-file {} is inside the state directory: a copy of the directory "
                   "then reveals the seed; keep the key elsewhere",
                   options.seal_key_file);
    }
    CPNS_ASSIGN_OR_RETURN(SecretBytes key, LoadOrCreateSealKey(options.seal_key_file));
    return std::optional<SecretBytes>(std::move(key));
  }
  const char* env = std::getenv(kSealKeyEnv);
  if (env == nullptr || *env == '\0') return std::optional<SecretBytes>();
  absl::StatusOr<SecretBytes> key = HexDecodeSecret(kSealKeyEnv, env);
  if (!key.ok() || key->size() != kAeadKeySize) {
    return absl::InvalidArgumentError(absl::StrCat("$", kSealKeyEnv, " must be 64 hex digits"));
  }
  return std::optional<SecretBytes>(std::move(*key));
}

}  // namespace

GatewayMetrics::GatewayMetrics(observe::Metrics& m)
    : assignments(m.AddCounter("cpns_eukey_assignments_total",
                               "EUKey Assignment Requests, by result: ok or the refusal reason "
                               "(as cpns-gw status shows)",
                               "result")),
      seed_epoch(m.AddGauge("cpns_gateway_seed_epoch", "Epoch of the 1st seed held; 0: none")),
      seed_expiry(m.AddGauge("cpns_gateway_seed_expiry_timestamp_seconds",
                             "When the 1st seed held expires (Unix seconds); 0: none held")),
      upstream_up(m.AddGauge("cpns_gateway_upstream_up",
                             "1 while the CPNS Server answers 1st Seed Requests; 0 after one "
                             "failed, until one succeeds")),
      first_seed_requests(m.AddCounter("cpns_gateway_first_seed_requests_total",
                                       "1st Seed Requests to the CPNS Server, by result: ok or "
                                       "the failure's code",
                                       "result")) {}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(const GatewayOptions& options,
                                                        const Clock& clock) {
  CPNS_ASSIGN_OR_RETURN(GatewayId gw_id, GatewayId::Parse(options.gw_id));
  if (options.state_dir.empty()) return absl::InvalidArgumentError("--state-dir is required");
  if (options.pn_listen.empty()) {
    return absl::InvalidArgumentError("--pn-listen is required (unix:PATH or tls:HOST:PORT)");
  }
  CPNS_RETURN_IF_ERROR(ValidateRefreshPolicy(options.refresh));
  if (options.admission.mode == AdmissionMode::kOpen) {
    for (const std::string& text : options.pn_listen) {
      if (!absl::StartsWith(text, "unix:")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--admission open is allowed only when every --pn-listen is a unix: socket (a link "
            "the PN technology protects); ", text, " is not"));
      }
    }
  }
  if (options.admission.mode != AdmissionMode::kPairing) {
    for (const std::string& text : options.pn_listen) {
      if (absl::StartsWith(text, "tcp:")) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--pn-listen ", text, " (plain TCP) serves pairing by code only, which its PAKE "
            "protects: it needs --admission pairing"));
      }
    }
  }
  if (options.admission.mode == AdmissionMode::kCertificate) {
    if (options.device_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "--admission certificate needs --device-ca: the device maker CA(s) to trust");
    }
    if (std::none_of(options.pn_listen.begin(), options.pn_listen.end(),
                     [](const std::string& l) { return absl::StartsWith(l, "tls:"); })) {
      return absl::InvalidArgumentError(
          "--admission certificate needs a tls: --pn-listen: devices present their "
          "certificate over TLS");
    }
  } else if (!options.device_ca_file.empty() || !options.device_crl_file.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.device_ca_file.empty() ? "--crl-file" : "--device-ca",
        " is used only with --admission certificate (this gateway admits by ",
        AdmissionModeName(options.admission.mode), ")"));
  }
  // Nothing planted in or loosened under the state directory is trusted.
  CPNS_RETURN_IF_ERROR(WithContext("gateway state", EnsurePrivateDirectory(options.state_dir)));
  CPNS_RETURN_IF_ERROR(
      WithContext("gateway state", CheckPrivateDirectoryContents(options.state_dir)));
  std::unique_ptr<Gateway> gw(new Gateway());
  CPNS_ASSIGN_OR_RETURN(ServerChannel upstream, MakeServerChannel(options.server));
  gw->server_tls_ = std::move(upstream.tls);
  gw->server_channel_ = std::move(upstream.channel);
  gw->source_ = MakeGrpcFirstSeedSource(gw_id, options.server.server, gw->server_channel_);
  gw->cache_ = std::make_unique<SeedCache>(gw_id, *gw->source_,
                                           absl::StrCat(options.state_dir, "/first_seed"), clock);
  gw->metrics_ = std::make_unique<GatewayMetrics>(
      options.metrics != nullptr ? *options.metrics : observe::NullMetrics());
  gw->cache_->SetMetrics({.seed_epoch = &gw->metrics_->seed_epoch,
                          .seed_expiry = &gw->metrics_->seed_expiry,
                          .upstream_up = &gw->metrics_->upstream_up,
                          .requests = &gw->metrics_->first_seed_requests});
  CPNS_ASSIGN_OR_RETURN(std::optional<SecretBytes> seal_key, SealKey(options));
  if (seal_key.has_value()) gw->cache_->SetSealKey(std::move(*seal_key));
  CPNS_RETURN_IF_ERROR(gw->cache_->LoadSaved());
  CPNS_ASSIGN_OR_RETURN(gw->state_, GatewayStateDb::Open(options.state_dir, clock));
  gw->admission_ = std::make_unique<Admission>(options.admission, clock);
  gw->auth_relay_ = std::make_unique<AuthRelay>(gw->server_channel_,
                                                options.policy.upstream_timeout, *gw->admission_,
                                                gw->unix_peers_);
  gw->issuer_ = std::make_unique<KeyIssuer>(*gw->cache_, *gw->state_, clock, options.policy,
                                            &gw->metrics_->assignments);
  gw->service_ =
      std::make_unique<EUKeyServiceImpl>(*gw->issuer_, *gw->admission_, gw->unix_peers_);
  CPNS_ASSIGN_OR_RETURN(SecretBytes decoy_key, gw->state_->PairingDecoyKey());
  gw->pairing_ = std::make_unique<PairingServiceImpl>(*gw->issuer_, *gw->admission_, *gw->state_,
                                                      gw->unix_peers_, gw_id,
                                                      std::move(decoy_key), clock);
  if (options.uplink) {
    CPNS_ASSIGN_OR_RETURN(std::unique_ptr<UplinkKeySource> source,
                          options.uplink(gw_id, absl::StrCat(options.state_dir, "/uplink.key")));
    gw->uplink_ = std::make_unique<Uplink>(std::move(source), gw_id, clock);
  }
  gw->gw_id_ = gw_id.value();
  gw->clock_ = &clock;
  CPNS_RETURN_IF_ERROR(gw->Listen(options));
  gw->refresher_ = std::make_unique<SeedRefresher>(*gw->cache_, clock, options.refresh);
  gw->refresher_->Start();
  if (gw->uplink_ != nullptr) gw->uplink_->Ensure(options.policy.upstream_timeout);
  gw->upstream_timeout_ = options.policy.upstream_timeout;
  CPNS_RETURN_IF_ERROR(gw->WriteStatusIfChanged());
  gw->UpdateReadiness();
  absl::StatusOr<std::unique_ptr<StatusSocket>> socket =
      StatusSocket::Start(StatusSocketPath(options.state_dir),
                          [g = gw.get()] { return ToJsonText(g->CurrentStatus()); });
  if (socket.ok()) {
    gw->status_socket_ = std::move(*socket);
  } else if (absl::IsInvalidArgument(socket.status())) {
    // A state directory path too long for a socket: `cpns-gw status` shows
    // the status on disk instead of the live one; no reason not to serve.
    spdlog::warn("no live status for cpns-gw status: {}", socket.status().message());
  } else {
    return socket.status();  // another daemon serves this state directory
  }
  gw->status_thread_ = std::thread([g = gw.get()] { g->StatusLoop(); });
  return gw;
}

namespace {

void ConfigureServer(grpc::ServerBuilder& builder, const GatewayOptions& options) {
  wire::ApplyServerLimits(builder);
  wire::KeepIdleHandlerThreads(builder);
  wire::ApplyConnectionLimits(builder, options.connections);
  if (options.instrument) options.instrument(builder);
  if (!options.reflection) wire::WithoutReflection(builder);
}

}  // namespace

absl::Status Gateway::BindListener(const GatewayOptions& options, const std::string& text,
                                   grpc::ServerBuilder& builder, grpc::ServerBuilder& tcp_builder) {
  CPNS_ASSIGN_OR_RETURN(wire::Endpoint endpoint, wire::ParseEndpoint("--pn-listen", text));
  std::shared_ptr<grpc::ServerCredentials> creds;
  if (endpoint.kind != wire::Endpoint::Kind::kTls) {
    // The PN link is secured by the PN technology; locally, by the socket's
    // mode (0660, set by the listener). tcp: carries only the PAKE, whose
    // messages an onlooker can read without learning anything.
    creds = grpc::InsecureServerCredentials();
  } else {
    if (options.pn_cert_file.empty() || options.pn_key_file.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--pn-listen ", text, " needs a certificate: set --pn-cert and --pn-key"));
    }
    // With certificate admission, a device certificate is asked for and,
    // when presented, must verify against the device CA; a peer without one
    // gets an actionable PERMISSION_DENIED from admission rather than a
    // failed handshake.
    // One set of credentials for every tls: listener (the same files).
    if (pn_tls_ == nullptr) {
      CPNS_ASSIGN_OR_RETURN(pn_tls_, wire::ReloadableServerTls::Create(
                                         {.cert_file = options.pn_cert_file,
                                          .key_file = options.pn_key_file,
                                          .client_ca_file = options.device_ca_file,
                                          .client_cert = wire::ClientCertPolicy::kOptional,
                                          .crl_file = options.device_crl_file}));
    }
    creds = pn_tls_->credentials();
  }
  const bool tcp = endpoint.kind == wire::Endpoint::Kind::kTcp;
  CPNS_ASSIGN_OR_RETURN(std::unique_ptr<wire::Listener> listener,
                        wire::Listener::Bind(endpoint, creds, tcp ? tcp_builder : builder,
                                             options.connections, options.on_fatal, &unix_peers_));
  if (endpoint.kind == wire::Endpoint::Kind::kTls) tls_ports_.push_back(listener->port());
  if (tcp) tcp_ports_.push_back(listener->port());
  (tcp ? tcp_listeners_ : listeners_).push_back(std::move(listener));
  return absl::OkStatus();
}

absl::Status Gateway::Listen(const GatewayOptions& options) {
  grpc::ServerBuilder builder;
  grpc::ServerBuilder tcp_builder;
  ConfigureServer(builder, options);
  for (const std::string& text : options.pn_listen) {
    CPNS_RETURN_IF_ERROR(BindListener(options, text, builder, tcp_builder));
  }
  readiness_ = options.readiness;
  if (readiness_ != nullptr) readiness_->Set(false, "starting");
  if (!listeners_.empty()) {
    builder.RegisterService(service_.get());
    builder.RegisterService(pairing_.get());
    builder.RegisterService(auth_relay_.get());
    server_ = builder.BuildAndStart();
    if (server_ == nullptr) {
      return absl::UnavailableError("cannot serve on the --pn-listen addresses");
    }
    if (readiness_ != nullptr) {
      health_ = readiness_->Bind(*server_, {cpns::v1::EUKeyService::service_full_name(),
                                            cpns::v1::PairingService::service_full_name(),
                                            cpns::v1::AuthService::service_full_name()});
    }
  }
  CPNS_RETURN_IF_ERROR(StartTcpServer(options, tcp_builder));
  for (auto& listener : listeners_) listener->Start(*server_);
  for (auto& listener : tcp_listeners_) listener->Start(*tcp_server_);
  return absl::OkStatus();
}

absl::Status Gateway::StartTcpServer(const GatewayOptions& options,
                                     grpc::ServerBuilder& tcp_builder) {
  if (tcp_listeners_.empty()) return absl::OkStatus();
  ConfigureServer(tcp_builder, options);
  // A synchronous service may serve several servers: one session table for
  // every listener.
  tcp_builder.RegisterService(pairing_.get());
  tcp_server_ = tcp_builder.BuildAndStart();
  if (tcp_server_ == nullptr) {
    return absl::UnavailableError("cannot serve on the tcp: --pn-listen addresses");
  }
  if (readiness_ != nullptr) {
    tcp_health_ =
        readiness_->Bind(*tcp_server_, {cpns::v1::PairingService::service_full_name()});
  }
  return absl::OkStatus();
}

absl::Status Gateway::ReloadTls() {
  std::string failed;
  if (absl::Status s = server_tls_->Reload(); !s.ok()) {
    absl::StrAppend(&failed, "towards the CPNS Server: ", s.message());
  }
  if (pn_tls_ != nullptr) {
    if (absl::Status s = pn_tls_->Reload(); !s.ok()) {
      absl::StrAppend(&failed, failed.empty() ? "" : "; ", "tls: PN listeners: ", s.message());
    }
  }
  if (uplink_ != nullptr) {
    if (absl::Status s = uplink_->ReloadTls(); !s.ok()) {
      absl::StrAppend(&failed, failed.empty() ? "" : "; ", "towards the upstream gateway: ",
                      s.message());
    }
  }
  if (failed.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(failed);
}

GatewayStatus Gateway::CurrentStatus() const {
  GatewayStatus status{.gw_id = gw_id_,
                       .admission = std::string(AdmissionModeName(admission_->policy().mode)),
                       .written_at = absl::ToUnixSeconds(clock_->Now())};
  if (const std::optional<HeldSeedInfo> held = cache_->held()) {
    status.seed = HeldSeedStatus{.seed_epoch = held->seed_epoch,
                                 .created_at = absl::ToUnixSeconds(held->created_at),
                                 .expires_at = ExpiryToUnixSeconds(held->expires_at),
                                 .expired = clock_->Now() >= held->expires_at};
  }
  auto unix_or_none = [](absl::Time t) {
    return t == absl::InfinitePast() ? std::nullopt : std::optional(absl::ToUnixSeconds(t));
  };
  const absl::Time unreachable = cache_->unreachable_since();
  status.upstream = {.reachable = unreachable == absl::InfinitePast(),
                     .unreachable_since = unix_or_none(unreachable),
                     .last_contact = unix_or_none(cache_->last_upstream_contact()),
                     .first_seed_requests = cache_->upstream_requests()};
  status.assignments_issued = issuer_->assignments_issued();
  if (uplink_ != nullptr) {
    status.uplink.emplace();
    if (const std::optional<UplinkInfo> up = uplink_->held()) {
      status.uplink->held = HeldUplinkStatus{up->upstream_gw_id, up->seed_epoch, up->not_after};
    }
  }
  status.refusals = issuer_->refusals();
  return status;
}

wire::Readiness::State GatewayReadiness(const SeedCache& cache, absl::Time now) {
  if (cache.revoked()) return {false, "gateway revoked at the server"};
  if (const std::optional<HeldSeedInfo> held = cache.held(); held && now < held->expires_at) {
    return {true, absl::StrCat("1st seed epoch ", held->seed_epoch, " held")};
  }
  if (cache.unreachable_since() != absl::InfinitePast()) {
    return {false, "no 1st seed and the CPNS Server is unreachable"};
  }
  return {true, "no 1st seed yet; the CPNS Server is reachable"};
}

void Gateway::UpdateReadiness() {
  if (readiness_ == nullptr) return;
  wire::Readiness::State state = GatewayReadiness(*cache_, clock_->Now());
  readiness_->Set(state.ready, std::move(state.reason));
}

// Only a change reaches the disk (a home router's flash wears with every
// write); the owner asks the running daemon over the status socket anyway.
absl::Status Gateway::WriteStatusIfChanged() {
  GatewayStatus now = CurrentStatus();
  if (written_.has_value() && !ChangedSince(*written_, now)) return absl::OkStatus();
  CPNS_RETURN_IF_ERROR(state_->WriteStatus(ToJsonText(now)));
  written_ = std::move(now);
  return absl::OkStatus();
}

void Gateway::StatusLoop() {
  MutexLock lock(&status_mu_);
  for (;;) {
    auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(status_mu_) { return stopping_; };
    if (status_mu_.AwaitWithDeadline(stopping, absl::Now() + absl::Seconds(2))) return;
    if (uplink_ != nullptr) uplink_->Ensure(upstream_timeout_);
    UpdateReadiness();
    if (absl::Status s = WriteStatusIfChanged(); !s.ok()) {
      spdlog::warn("cannot write the gateway status: {}", s.message());
    }
  }
}

Gateway::~Gateway() { Shutdown(absl::Seconds(5)); }

void Gateway::Shutdown(absl::Duration grace) {
  status_socket_.reset();  // the owner now reads the status on disk
  {
    MutexLock lock(&status_mu_);
    stopping_ = true;
    status_mu_.SignalAll();
  }
  const bool was_running = status_thread_.joinable();
  if (was_running) status_thread_.join();
  if (refresher_ != nullptr) refresher_->Stop();
  for (auto& listener : listeners_) listener->Stop();
  for (auto& listener : tcp_listeners_) listener->Stop();
  health_.reset();  // gRPC's shutdown says NOT_SERVING from here on
  tcp_health_.reset();
  wire::StopServer(server_, grace);
  wire::StopServer(tcp_server_, grace);
  listeners_.clear();
  tcp_listeners_.clear();
  if (was_running) {  // the final counts
    if (absl::Status s = WriteStatusIfChanged(); !s.ok()) {
      spdlog::warn("gateway status: {}", s.message());
    }
  }
}

}  // namespace cpns::gateway
