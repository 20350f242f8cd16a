// cpns-gw: the Intermediate PN GW daemon.
//   cpns-gw serve --gw-id ID --server HOST:PORT --server-ca F --cert F --key F
//                 --state-dir DIR --pn-listen unix:PATH [--pn-listen tls:HOST:PORT ...]
//                 [--refresh-at 0.75] [--refresh-jitter 0.05] [--seed-check-interval 15m]
#include <spdlog/spdlog.h>

#include "core/logging.h"
#include <sys/stat.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/cli.h"
#include "core/logging.h"
#include "core/process.h"
#include "cpns/core/clock.h"
#include "gateway/gateway.h"

namespace {

constexpr const char* kProgram = "cpns-gw";

struct Flags {
  cpns::gateway::GatewayOptions options;
  std::string key_lifetime = "30d";
  std::string upstream_timeout = "10s";
  std::string seed_check_interval = "15m";
  std::string ready_file;
  std::string log_level;
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
  spdlog::info("signal {}: shutting down", sig);
  (*gw)->Shutdown(absl::Seconds(5));
  spdlog::info("stopped");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cpns::BlockTerminationSignals();
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
  serve->add_option("--ready-file", f.ready_file, "Write listener details here once serving");
  cpns::cli::AddLogLevel(*serve, f.log_level);

  if (int code = cpns::cli::Parse(app, argc, argv); code >= 0) return code;
  return Serve(f);
}
