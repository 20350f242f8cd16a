// cpns-gw: the Intermediate PN GW daemon.
//   cpns-gw serve --gw-id ID --server HOST:PORT --server-ca F --cert F --key F
//                 --state-dir DIR --pn-listen unix:PATH [--pn-listen tls:HOST:PORT ...]
//                 [--refresh-at 0.75] [--refresh-jitter 0.05] [--seed-check-interval 15m]
//                 [--admission pairing|certificate|open] [--device-ca F]
//                 [--allow-user U]... [--allow-entity-type T]...
//   cpns-gw pair add --state-dir DIR --entity-type PNE --entity-id ID --user-id ID [--ttl 10m]
//   cpns-gw pair list --state-dir DIR [--json]
//   cpns-gw pair cancel --state-dir DIR --entity-type PNE --entity-id ID --user-id ID
//   cpns-gw status --state-dir DIR [--json]
//   cpns-gw assignments list --state-dir DIR [--json]
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cli.h"
#include "common/daemon.h"
#include "common/process.h"
#include "cpns/core/clock.h"
#include "gateway/gateway.h"
#include "owner.h"

namespace {

constexpr const char* kProgram = "cpns-gw";

struct Flags {
  cpns::gateway::GatewayOptions options;
  std::string key_lifetime = "30d";
  std::string upstream_timeout = "10s";
  std::string seed_check_interval = "15m";
  std::string ready_file;
  std::string uplink_pairing_code_file;
  std::string log_level;
  std::string admission = "pairing";
  std::vector<std::string> allow_users, allow_entity_types;
  cpns::gw_cli::OwnerFlags owner;
  cpns::cli::ConnectionFlags connections;
};

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

int Serve(Flags& f) {
  if (absl::Status s = cpns::InitLogging(kProgram, f.log_level); !s.ok()) {
    return cpns::cli::Fail(kProgram, s);
  }
  auto lifetime = cpns::cli::ParseDuration("--key-lifetime", f.key_lifetime);
  if (!lifetime.ok()) return cpns::cli::Fail(kProgram, lifetime.status());
  auto upstream = cpns::cli::ParseDuration("--upstream-timeout", f.upstream_timeout);
  if (!upstream.ok()) return cpns::cli::Fail(kProgram, upstream.status());
  f.options.policy = {.key_lifetime = *lifetime, .upstream_timeout = *upstream};
  auto check = cpns::cli::ParseDuration("--seed-check-interval", f.seed_check_interval);
  if (!check.ok()) return cpns::cli::Fail(kProgram, check.status());
  f.options.refresh.check_interval = *check;
  f.options.refresh.upstream_timeout = *upstream;
  auto mode = cpns::gateway::ParseAdmissionMode(f.admission);
  if (!mode.ok()) return cpns::cli::Fail(kProgram, mode.status());
  f.options.admission.mode = *mode;
  f.options.admission.allowed_users.insert(f.allow_users.begin(), f.allow_users.end());
  for (const std::string& t : f.allow_entity_types) {
    auto type = cpns::ParseEntityType(t);
    if (!type.ok()) return cpns::cli::Fail(kProgram, type.status());
    f.options.admission.allowed_entity_types.insert(*type);
  }
  auto limits = cpns::cli::ConnectionLimitsFor(f.connections, f.options.pn_listen);
  if (!limits.ok()) return cpns::cli::Fail(kProgram, limits.status());
  f.options.connections = *limits;
  f.options.on_fatal = cpns::cli::StopOnFatalFault();
  if (!f.uplink_pairing_code_file.empty()) {
    auto code = cpns::cli::ReadSecretFlagFile("--uplink-pairing-code-file",
                                              f.uplink_pairing_code_file);
    if (!code.ok()) return cpns::cli::Fail(kProgram, code.status());
    f.options.uplink.pairing_code = std::string(code->RevealSecret());
  }
  // Files and sockets are private unless widened on purpose (sockets: 0660).
  ::umask(0077);
  cpns::RealClock clock;
  auto gw = cpns::gateway::Gateway::Start(f.options, clock);
  if (!gw.ok()) return cpns::cli::Fail(kProgram, gw.status());
  std::string ready = absl::StrCat("pn_listen ", absl::StrJoin(f.options.pn_listen, " "));
  for (int port : (*gw)->tls_ports()) absl::StrAppend(&ready, "\ntls_port ", port);
  if (absl::Status s = cpns::WriteReadyFile(f.ready_file, ready); !s.ok()) {
    return cpns::cli::Fail(kProgram, s);
  }
  const auto epoch = (*gw)->seed_cache().held_epoch();
  spdlog::info("Intermediate PN GW {} serving EUKeyService on {}; 1st seed {}", f.options.gw_id,
               absl::StrJoin(f.options.pn_listen, ", "),
               epoch ? absl::StrCat("held (epoch ", *epoch, ")") : "not held yet");
  const int sig = cpns::WaitForTerminationSignal();
  cpns::RemoveReadyFile(f.ready_file);
  spdlog::info("signal {}: shutting down", sig);
  (*gw)->Shutdown(absl::Seconds(5));
  spdlog::info("stopped");
  return cpns::cli::ExitCodeAfter(sig);
}

}  // namespace

int main(int argc, char** argv) {
  cpns::BlockTerminationSignals();
  // The 1st seed, EUKeys and pairing codes pass through this process: no core dump.
  if (absl::Status s = cpns::HardenProcess(); !s.ok()) return cpns::cli::Fail(kProgram, s);
  Flags f;
  auto& o = f.options;
  CLI::App app{"cpns-gw: the Intermediate PN GW. Assigns EUKeys to the entities of its PN.",
               kProgram};
  cpns::cli::SetUp(app);
  CLI::App* serve = app.add_subcommand("serve", "Serve EUKeyService on the PN side");
  serve->add_option("--gw-id", o.gw_id, "This gateway's id (as in its certificate)")->required();
  serve->add_option("--server", o.server.server, "CPNS Server HOST:PORT")->required();
  serve->add_option("--server-ca", o.server.tls.ca_file, "CA that issued the server certificate")
      ->required();
  serve->add_option("--server-name", o.server.server_name,
                    "TLS name to expect in the server certificate (default: the host)");
  serve->add_option("--cert", o.server.tls.cert_file, "This gateway's certificate (PEM)")
      ->required();
  serve->add_option("--key", o.server.tls.key_file, "This gateway's private key (PEM)")
      ->required();
  serve->add_option("--state-dir", o.state_dir, "Directory for the gateway's state (mode 0700)")
      ->required();
  serve->add_option("--pn-listen", o.pn_listen, "unix:PATH or tls:HOST:PORT (repeatable)")
      ->required();
  serve->add_option("--pn-cert", o.pn_cert_file, "Certificate for tls: PN listeners");
  serve->add_option("--pn-key", o.pn_key_file, "Private key for tls: PN listeners");
  serve->add_option("--key-lifetime", f.key_lifetime, "EUKey lifetime (e.g. 30d, 12h)")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--key-lifetime"));
  serve->add_option("--upstream-timeout", f.upstream_timeout,
                    "Longest wait for the CPNS Server in one request")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--upstream-timeout"));
  serve->add_option("--refresh-at", o.refresh.refresh_fraction,
                    "Renew the 1st seed at this fraction of its lifetime")
      ->capture_default_str()
      ->check(InRange(0.3, 0.95));
  serve->add_option("--refresh-jitter", o.refresh.refresh_jitter,
                    "Move the renewal by up to this fraction of the lifetime, at random")
      ->capture_default_str()
      ->check(InRange(0.0, 0.2));
  serve->add_option("--seed-check-interval", f.seed_check_interval,
                    "How often to ask the CPNS Server whether the 1st seed is still current")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--seed-check-interval"));
  serve->add_option("--admission", f.admission,
                    "Who gets a key: pairing (a one-time code from `pair add`), certificate (a "
                    "device certificate from --device-ca, on tls: listeners) or open (unix: "
                    "listeners only)")
      ->capture_default_str();
  serve->add_option("--device-ca", o.device_ca_file,
                    "Device maker CA(s), PEM, trusted for --admission certificate");
  serve->add_option("--allow-user", f.allow_users, "Only these users (repeatable; default any)");
  serve->add_option("--allow-entity-type", f.allow_entity_types,
                    "Only these entity types, PNE or PNGW (repeatable; default any)");
  cpns::cli::AddConnectionFlags(*serve, f.connections);
  serve->add_option("--rate-limit-per-peer", o.admission.per_peer_per_minute,
                    "Requests a minute from one peer (0: unlimited)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  serve->add_option("--rate-limit-per-entity", o.admission.per_entity_per_minute,
                    "Requests a minute for one entity (0: unlimited)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1000000));
  serve->add_option("--seal-key-file", o.seal_key_file,
                    "Gateway key that seals the seed file at rest (created 0600 when missing; keep "
                    "it outside the state directory). Default: $CPNS_GW_SEAL_KEY if set");
  CLI::Option* uplink =
      serve->add_option("--uplink-gateway", o.uplink.gateway,
                        "Also be an assignee (PNGW) of this gateway: unix:PATH or tls:HOST:PORT");
  // The other --uplink-* flags mean nothing without it: say so, not ignore them.
  serve->add_option("--uplink-gateway-ca", o.uplink.gateway_ca_file,
                    "CA of the upstream gateway (tls: only)")
      ->needs(uplink);
  serve->add_option("--uplink-user-id", o.uplink.user_id, "The user of the uplink EUKey")
      ->needs(uplink);
  CLI::Option* uplink_code_file =
      serve->add_option("--uplink-pairing-code-file", f.uplink_pairing_code_file,
                        "File holding the pairing code from the upstream gateway's owner (the "
                        "gateway user's alone: mode 0600 or 0400)")
          ->needs(uplink);
  serve->add_option("--uplink-pairing-code", o.uplink.pairing_code,
                    "The code itself; visible to every user of this machine (ps) for as long "
                    "as the daemon runs: prefer --uplink-pairing-code-file")
      ->needs(uplink)
      ->excludes(uplink_code_file);
  serve->add_option("--uplink-cert", o.uplink.cert_file,
                    "Device certificate for an upstream gateway that admits by certificate "
                    "(SAN urn:cpns:entity:<this gw-id>)")
      ->needs(uplink);
  serve->add_option("--uplink-key", o.uplink.key_file, "Its private key")->needs(uplink);
  serve->add_option("--ready-file", f.ready_file, "Write listener details here once serving");
  cpns::cli::AddLogLevel(*serve, f.log_level);

  auto& w = f.owner;
  auto state_dir = [&](CLI::App* c) {
    c->add_option("--state-dir", w.state_dir, "The gateway's state directory")->required();
  };
  CLI::App* pair = app.add_subcommand("pair", "Pairing codes for the devices of this gateway");
  pair->require_subcommand(1);
  CLI::App* pair_add = pair->add_subcommand("add", "Make a one-time code for one entity and user");
  state_dir(pair_add);
  pair_add->add_option("--entity-type", w.entity_type, "PNE or PNGW")->capture_default_str();
  pair_add->add_option("--entity-id", w.entity_id, "The entity the code is for")->required();
  pair_add->add_option("--user-id", w.user_id, "The user the code is for")->required();
  pair_add->add_option("--ttl", w.ttl, "How long the code is valid")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--ttl"));
  pair_add->add_flag("--json", w.json, "Print JSON (field `code`)");
  CLI::App* pair_list = pair->add_subcommand("list", "The pending codes: for whom, until when");
  state_dir(pair_list);
  pair_list->add_flag("--json", w.json, "Print JSON");
  CLI::App* pair_cancel =
      pair->add_subcommand("cancel", "Withdraw the pending codes of one entity and user");
  state_dir(pair_cancel);
  pair_cancel->add_option("--entity-type", w.entity_type, "PNE or PNGW")->capture_default_str();
  pair_cancel->add_option("--entity-id", w.entity_id, "The entity")->required();
  pair_cancel->add_option("--user-id", w.user_id, "The user")->required();
  CLI::App* status = app.add_subcommand("status", "What the running gateway reports");
  state_dir(status);
  status->add_flag("--json", w.json, "Print JSON");
  CLI::App* assignments = app.add_subcommand("assignments", "The record of issued EUKeys");
  assignments->require_subcommand(1);
  CLI::App* list = assignments->add_subcommand("list", "Every assignment, oldest first");
  state_dir(list);
  list->add_flag("--json", w.json, "Print JSON");

  if (int code = cpns::cli::Parse(app, argc, argv); code >= 0) return code;
  if (pair_add->parsed()) return cpns::gw_cli::PairAdd(w);
  if (pair_list->parsed()) return cpns::gw_cli::PairList(w);
  if (pair_cancel->parsed()) return cpns::gw_cli::PairCancel(w);
  if (status->parsed()) return cpns::gw_cli::Status(w);
  if (list->parsed()) return cpns::gw_cli::AssignmentsList(w);
  return Serve(f);
}
