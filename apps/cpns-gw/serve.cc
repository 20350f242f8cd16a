#include "serve.h"


#include <memory>

#include "absl/memory/memory.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/file_util.h"
#include "core/logging.h"
#include "core/status_macros.h"
#include "cpns/core/clock.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "wire/health.h"

namespace cpns::gw_cli {
namespace {


// A number in [lo, hi], as a usage error otherwise. (CLI::Range lets NaN through.)
CLI::Validator InRange(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& value) -> std::string {
        double v = 0;
        if (absl::SimpleAtod(value, &v) && v >= lo && v <= hi) return std::string();
        return absl::StrCat("'", value, "' is not a number from ", lo, " to ", hi);
      },
      absl::StrCat("NUMBER in [", lo, ", ", hi, "]"));
}

// This gateway as a client of the CPNS Server.
void AddUpstreamFlags(CLI::App& serve, gateway::GatewayOptions& o) {
  serve.add_option("--gw-id", o.gw_id, "This gateway's id (as in its certificate)")->required();
  serve.add_option("--server", o.server.server, "CPNS Server HOST:PORT")->required();
  serve.add_option("--server-ca", o.server.tls.ca_file,
                   "CA(s) that issue the server certificate (PEM bundle; reloaded on SIGHUP)")
      ->required();
  serve.add_option("--server-name", o.server.server_name,
                   "TLS name to expect in the server certificate (default: the host)");
  serve.add_option("--cert", o.server.tls.cert_file,
                   "This gateway's certificate (PEM; reloaded on SIGHUP)")
      ->required();
  serve.add_option("--key", o.server.tls.key_file,
                   "This gateway's private key (PEM; ours alone, mode 0600; reloaded on SIGHUP)")
      ->required();
}

// Where the gateway keeps its state and serves its PN.
void AddPnFlags(CLI::App& serve, gateway::GatewayOptions& o) {
  serve.add_option("--state-dir", o.state_dir, "Directory for the gateway's state (mode 0700)")
      ->required();
  serve.add_option("--pn-listen", o.pn_listen,
                   "unix:PATH, tls:HOST:PORT, or tcp:HOST:PORT (plain TCP: pairing by code "
                   "only, protected by its PAKE; --admission pairing) (repeatable)")
      ->required();
  serve.add_option("--pn-cert", o.pn_cert_file,
                   "Certificate for tls: PN listeners (reloaded on SIGHUP)");
  serve.add_option("--pn-key", o.pn_key_file,
                   "Private key for tls: PN listeners (mode 0600; reloaded on SIGHUP)");
}

// EUKey lifetime and the renewal of the 1st seed.
void AddSeedFlags(CLI::App& serve, ServeFlags& f) {
  serve.add_option("--key-lifetime", f.key_lifetime, "EUKey lifetime (e.g. 30d, 12h)")
      ->capture_default_str()
      ->check(cli::Duration("--key-lifetime"));
  serve.add_option("--upstream-timeout", f.upstream_timeout,
                   "Longest wait for the CPNS Server in one request")
      ->capture_default_str()
      ->check(cli::Duration("--upstream-timeout"));
  serve.add_option("--refresh-at", f.options.refresh.refresh_fraction,
                   "Renew the 1st seed at this fraction of its lifetime")
      ->capture_default_str()
      ->check(InRange(0.3, 0.95));
  serve.add_option("--refresh-jitter", f.options.refresh.refresh_jitter,
                   "Move the renewal by up to this fraction of the lifetime, at random")
      ->capture_default_str()
      ->check(InRange(0.0, 0.2));
  serve.add_option("--seed-check-interval", f.seed_check_interval,
                   "How often to ask the CPNS Server whether the 1st seed is still current")
      ->capture_default_str()
      ->check(cli::Duration("--seed-check-interval"));
}

// Who gets a key.
void AddAdmissionFlags(CLI::App& serve, ServeFlags& f) {
  serve.add_option("--admission", f.admission,
                   "Who gets a key: pairing (a one-time code from `pair add`), certificate (a "
                   "device certificate from --device-ca, on tls: listeners) or open (unix: "
                   "listeners only)")
      ->capture_default_str();
  serve.add_option("--device-ca", f.options.device_ca_file,
                   "Device maker CA(s), PEM, trusted for --admission certificate (reloaded on "
                   "SIGHUP)");
  serve.add_option("--crl-file", f.options.device_crl_file,
                   "CRLs of the device maker CA(s) (PEM, one or more): a revoked device "
                   "certificate is refused; --admission certificate only; reloaded on SIGHUP");
  serve.add_option("--allow-user", f.allow_users, "Only these users (repeatable; default any)");
  serve.add_option("--allow-entity-type", f.allow_entity_types,
                   "Only these entity types, PNE or PNGW (repeatable; default any)");
}

void AddRateLimitFlags(CLI::App& serve, gateway::AdmissionPolicy& admission) {
  serve.add_option("--rate-limit-per-peer", admission.per_peer_per_minute,
                   "Requests a minute from one peer (0: unlimited)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  serve.add_option("--rate-limit-per-entity", admission.per_entity_per_minute,
                   "Requests a minute for one entity (0: unlimited)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  serve.add_option("--pairing-attempts", admission.failed_pairings_per_code,
                   "Failed pairing attempts against one code before it is spent")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
}

// This gateway as an assignee (PNGW) of another gateway. The other
// --uplink-* flags mean nothing without --uplink-gateway: say so, not ignore them.
void AddUplinkFlags(CLI::App& serve, ServeFlags& f) {
  UplinkOptions& u = f.uplink;
  CLI::Option* uplink =
      serve.add_option("--uplink-gateway", u.gateway,
                       "Also be an assignee (PNGW) of this gateway: unix:PATH, tls:HOST:PORT or "
                       "tcp:HOST:PORT (pairing by code only)");
  serve.add_option("--uplink-gateway-ca", u.gateway_ca_file,
                   "CA of the upstream gateway (tls: only)")
      ->needs(uplink);
  serve.add_option("--uplink-user-id", u.user_id, "The user of the uplink EUKey")->needs(uplink);
  CLI::Option* code_file =
      serve.add_option("--uplink-pairing-code-file", f.uplink_pairing_code_file,
                       "File holding the pairing code from the upstream gateway's owner (the "
                       "gateway user's alone: mode 0600 or 0400)")
          ->needs(uplink);
  serve.add_option("--uplink-pairing-code", f.uplink_pairing_code,
                   "The code itself; visible to every user of this machine (ps) for as long "
                   "as the daemon runs: prefer --uplink-pairing-code-file")
      ->needs(uplink)
      ->excludes(code_file);
  serve.add_option("--uplink-cert", u.cert_file,
                   "Device certificate for an upstream gateway that admits by certificate "
                   "(SAN urn:cpns:entity:<this gw-id>)")
      ->needs(uplink);
  serve.add_option("--uplink-key", u.key_file, "Its private key")->needs(uplink);
}

// --admission, --allow-user and --allow-entity-type over the rate limits
// already bound.
absl::StatusOr<gateway::AdmissionPolicy> AdmissionFrom(const ServeFlags& f) {
  gateway::AdmissionPolicy admission = f.options.admission;
  CPNS_ASSIGN_OR_RETURN(admission.mode, gateway::ParseAdmissionMode(f.admission));
  admission.allowed_users.insert(f.allow_users.begin(), f.allow_users.end());
  for (const std::string& t : f.allow_entity_types) {
    CPNS_ASSIGN_OR_RETURN(const EntityType type, ParseEntityType(t));
    admission.allowed_entity_types.insert(type);
  }
  return admission;
}

// The Gateway's options: the flags bound to them directly, completed by the
// flags that need parsing and by what the daemon provides.
absl::StatusOr<gateway::GatewayOptions> GatewayOptionsFrom(const ServeFlags& f,
                                                          const daemon::Context& context) {
  gateway::GatewayOptions o = f.options;
  CPNS_ASSIGN_OR_RETURN(const absl::Duration lifetime,
                        cli::ParseDuration("--key-lifetime", f.key_lifetime));
  CPNS_ASSIGN_OR_RETURN(const absl::Duration upstream,
                        cli::ParseDuration("--upstream-timeout", f.upstream_timeout));
  o.policy = {.key_lifetime = lifetime, .upstream_timeout = upstream};
  CPNS_ASSIGN_OR_RETURN(o.refresh.check_interval,
                        cli::ParseDuration("--seed-check-interval", f.seed_check_interval));
  o.refresh.upstream_timeout = upstream;
  CPNS_ASSIGN_OR_RETURN(o.admission, AdmissionFrom(f));
  CPNS_ASSIGN_OR_RETURN(o.connections, daemon::ConnectionLimitsFor(f.connections, o.pn_listen,
                                                                   context.descriptor_limit));
  o.on_fatal = context.on_fatal;
  o.instrument = context.instrument;
  o.metrics = context.metrics;
  UplinkOptions uplink = f.uplink;
  uplink.pairing_code = SecretBytes::CopyFrom(f.uplink_pairing_code);
  if (!f.uplink_pairing_code_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(const SecretBytes code,
                          cli::ReadSecretFlagFile("--uplink-pairing-code-file",
                                                  f.uplink_pairing_code_file));
    uplink.pairing_code = code;
  }
  // The same rule as the daemon's other TLS keys (wire/tls_material.h).
  if (!uplink.key_file.empty()) {
    CPNS_RETURN_IF_ERROR(WithContext("--uplink-key", CheckOwnerOnlyFile(uplink.key_file)));
  }
  o.uplink = AssigneeUplink(std::move(uplink));
  return o;
}

// The serving gateway and the clock it runs on.
class GatewayDaemon final : public daemon::Service {
 public:
  static absl::StatusOr<std::unique_ptr<daemon::Service>> Start(const ServeFlags& f,
                                                                const daemon::Context& context);

  // "pn_listen <each --pn-listen>", then "tls_port N" per tls: listener and
  // "tcp_port N" per tcp: listener.
  std::string ReadyText() const override {
    std::string ready = absl::StrCat("pn_listen ", absl::StrJoin(pn_listen_, " "));
    for (int port : gateway_->tls_ports()) absl::StrAppend(&ready, "\ntls_port ", port);
    for (int port : gateway_->tcp_ports()) absl::StrAppend(&ready, "\ntcp_port ", port);
    return ready;
  }
  void Shutdown(absl::Duration grace) override { gateway_->Shutdown(grace); }
  absl::Status Reload() override { return gateway_->ReloadTls(); }
  // /readyz says what the health service says.
  std::pair<bool, std::string> Readiness() const override {
    wire::Readiness::State state = readiness_.Get();
    return {state.ready, std::move(state.reason)};
  }

 private:
  explicit GatewayDaemon(std::vector<std::string> pn_listen) : pn_listen_(std::move(pn_listen)) {}

  RealClock clock_;
  wire::Readiness readiness_;  // on the health service; outlives gateway_
  std::vector<std::string> pn_listen_;
  std::unique_ptr<gateway::Gateway> gateway_;
};

absl::StatusOr<std::unique_ptr<daemon::Service>> GatewayDaemon::Start(
    const ServeFlags& f, const daemon::Context& context) {
  CPNS_ASSIGN_OR_RETURN(gateway::GatewayOptions options, GatewayOptionsFrom(f, context));
  auto d = absl::WrapUnique(new GatewayDaemon(options.pn_listen));
  options.readiness = &d->readiness_;
  options.reflection = f.reflection;
  CPNS_ASSIGN_OR_RETURN(d->gateway_, gateway::Gateway::Start(options, d->clock_));
  const auto epoch = d->gateway_->seed_cache().held_epoch();
  log::Info("Intermediate PN GW serving EUKeyService",
            {{"gw_id", options.gw_id},
             {"listen", absl::StrJoin(options.pn_listen, ", ")},
             {"epoch", epoch ? absl::StrCat(*epoch) : "none"}});
  return d;
}

int Serve(const ServeFlags& f) {
  return daemon::Run({.program = kProgram,
                      .log_level = f.log.level,
                      .log_format = f.log.format,
                      .ready_file = f.ready_file,
                      .metrics_listen = f.metrics_listen,
                      .grpc_services = {cpns::v1::EUKeyService::service_full_name(),
                                        cpns::v1::AuthService::service_full_name()}},
                     [&f](const daemon::Context& c) { return GatewayDaemon::Start(f, c); });
}

}  // namespace

cli::Subcommand ServeCommand(CLI::App& app, ServeFlags& f) {
  CLI::App* serve = app.add_subcommand("serve", "Serve EUKeyService on the PN side");
  AddUpstreamFlags(*serve, f.options);
  AddPnFlags(*serve, f.options);
  AddSeedFlags(*serve, f);
  AddAdmissionFlags(*serve, f);
  daemon::AddConnectionFlags(*serve, f.connections);
  AddRateLimitFlags(*serve, f.options.admission);
  serve->add_option("--seal-key-file", f.options.seal_key_file,
                    "Gateway key that seals the seed file at rest (created 0600 when missing; keep "
                    "it outside the state directory). Default: $CPNS_GW_SEAL_KEY if set");
  AddUplinkFlags(*serve, f);
  serve->add_option("--ready-file", f.ready_file, "Write listener details here once serving");
  serve->add_flag("--reflection,!--no-reflection", f.reflection,
                  "Serve gRPC server reflection (the API's description) to any peer; off by "
                  "default: each reflection stream holds a handler thread while it is open");
  daemon::AddMetricsFlag(*serve, f.metrics_listen);
  return {serve, [&f] { return Serve(f); }};
}

}  // namespace cpns::gw_cli
