#include "common/daemon.h"

#include <spdlog/spdlog.h>

#include "common/cli.h"
#include "common/process.h"

namespace cpns::cli {

void AddConnectionFlags(CLI::App& serve, ConnectionFlags& flags) {
  serve.add_option("--idle-timeout", flags.idle_timeout,
                   "Close a connection with no call in progress after this long (the TLS "
                   "handshake must end within it, and within 20 s)")
      ->capture_default_str()
      ->check(Duration("--idle-timeout"));
  serve.add_option("--max-connections", flags.max_connections,
                   "Connections held at once per listener (lowered to fit the descriptor limit)")
      ->capture_default_str()
      ->check(CLI::Range(8, 1 << 20));
  serve.add_option("--max-connections-per-peer", flags.max_connections_per_peer,
                   "Connections held at once per listener from one address (TCP) or one user "
                   "(Unix socket)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 20));
}

absl::StatusOr<wire::ConnectionLimits> ConnectionLimitsFor(const ConnectionFlags& flags,
                                                           const std::vector<std::string>& listen) {
  absl::StatusOr<absl::Duration> idle = ParseDuration("--idle-timeout", flags.idle_timeout);
  if (!idle.ok()) return idle.status();
  const long fd_limit = RaiseDescriptorLimit();
  const wire::ConnectionLimits wanted{.max_connections = flags.max_connections,
                                      .max_connections_per_peer = flags.max_connections_per_peer,
                                      .idle_timeout = *idle};
  absl::StatusOr<wire::ConnectionLimits> fitted =
      wire::FitToDescriptorLimit(wanted, wire::DescriptorsPerConnection(listen), fd_limit);
  if (fitted.ok() && fitted->max_connections < wanted.max_connections) {
    spdlog::warn("--max-connections lowered from {} to {} per listener to fit the descriptor "
                 "limit of {} (raise LimitNOFILE= / ulimit -n to allow more)",
                 wanted.max_connections, fitted->max_connections, fd_limit);
  }
  return fitted;
}

wire::Listener::FatalHandler StopOnFatalFault() {
  return [](const absl::Status&) { RaiseFatalFault(); };
}

int ExitCodeAfter(int signal) {
  if (signal != kFatalFaultSignal) return 0;
  spdlog::critical("stopped after a fault this daemon cannot recover from (see above); exiting "
                   "non-zero so that its supervisor restarts it");
  return kExitFailure;
}

}  // namespace cpns::cli
