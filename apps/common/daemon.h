// What both daemons (`cpns-server serve`, `cpns-gw serve`) do the same way:
// the bounds on their listeners' connections and how a fault that the daemon
// cannot recover from ends it.
#ifndef CPNS_APPS_COMMON_DAEMON_H_
#define CPNS_APPS_COMMON_DAEMON_H_

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wire/listener.h"

namespace cpns::cli {

struct ConnectionFlags {
  std::string idle_timeout = "2m";
  int max_connections = 512;
  int max_connections_per_peer = 64;
};

// Adds --idle-timeout, --max-connections and --max-connections-per-peer.
void AddConnectionFlags(CLI::App& serve, ConnectionFlags& flags);

// Raises the descriptor limit to its hard limit and returns the bounds of
// the listeners on `listen`, lowered (with a warning) where they would not
// all fit in it at their bounds.
absl::StatusOr<wire::ConnectionLimits> ConnectionLimitsFor(const ConnectionFlags& flags,
                                                           const std::vector<std::string>& listen);

// The handler a daemon gives its listeners: logs nothing more (the listener
// has) and wakes the main thread with kFatalFaultSignal.
wire::Listener::FatalHandler StopOnFatalFault();

// The exit code for the signal that ended WaitForTerminationSignal(): 0 for
// a request to stop, kExitFailure after a fatal fault.
int ExitCodeAfter(int signal);

}  // namespace cpns::cli

#endif  // CPNS_APPS_COMMON_DAEMON_H_
