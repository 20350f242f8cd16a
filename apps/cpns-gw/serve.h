// `cpns-gw serve`: the Intermediate PN GW as a daemon (common/daemon.h runs
// it): its flags, and how they become a started Gateway.
#ifndef CPNS_APPS_CPNS_GW_SERVE_H_
#define CPNS_APPS_CPNS_GW_SERVE_H_

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "common/cli.h"
#include "common/daemon.h"
#include "assignee_uplink.h"
#include "gateway/gateway.h"

namespace cpns::gw_cli {

inline constexpr char kProgram[] = "cpns-gw";

struct ServeFlags {
  gateway::GatewayOptions options;  // the flags bound to its fields directly
  std::string key_lifetime = "30d";
  std::string upstream_timeout = "10s";
  std::string seed_check_interval = "15m";
  std::string ready_file;
  std::string metrics_listen;  // --metrics-listen; none when empty
  std::string uplink_pairing_code;  // --uplink-pairing-code (as typed, so not secret)
  std::string uplink_pairing_code_file;
  cli::LogFlags log;  // --log-level, --log-format: the program's (cli::SetUp)
  std::string admission = "pairing";
  bool reflection = false;  // --reflection
  std::vector<std::string> allow_users, allow_entity_types;
  UplinkOptions uplink;  // the --uplink-* flags (assignee_uplink.h)
  daemon::ConnectionFlags connections;
};

// Adds `serve` and its flags, bound to `f`, to `app`; `f` must outlive the
// returned subcommand's run.
cli::Subcommand ServeCommand(CLI::App& app, ServeFlags& f);

}  // namespace cpns::gw_cli

#endif  // CPNS_APPS_CPNS_GW_SERVE_H_
