// The one skeleton of both daemons (`cpns-server serve`, `cpns-gw serve`):
// what they do the same way from the parsed command line to the exit code,
// and the bounds on their listeners' connections.
//
// daemon::Run's steps, in order:
//   1. umask 077: files and sockets are private unless widened on purpose;
//   2. harden (HardenProcess: non-dumpable, no core);
//   3. raise the descriptor limit;
//   4. set up logging;
//   5. block the termination signals, before any thread exists;
//   6. start: the program's function opens what can fail early (store, state)
//      and starts its servers and listeners;
//   7. start the operators' HTTP endpoint (--metrics-listen), write the
//      ready file, tell systemd READY=1 (common/service_manager.h);
//   8. wait for a signal, or a fatal fault; SIGHUP reloads (Service::Reload)
//      and the daemon serves on whatever the outcome;
//   9. remove the ready file, tell systemd STOPPING=1, drain with a deadline;
//  10. return the exit code.
// Exit codes: 0 after a request to stop (SIGTERM, SIGINT); 1 when
// setting up or starting failed, or after a fatal fault; a service may name
// another code for its own fault (the server: 3 for a corrupt store).
#ifndef CPNS_APPS_COMMON_DAEMON_H_
#define CPNS_APPS_COMMON_DAEMON_H_

#include <CLI/CLI.hpp>

#include <grpcpp/server_builder.h>
#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "observe/grpc_metrics.h"
#include "observe/metrics.h"
#include "wire/listener.h"

namespace cpns::daemon {

// A started daemon, as the skeleton sees it. Its methods are called from the
// main thread only.
class Service {
 public:
  virtual ~Service() = default;
  // What the ready file says: where the daemon listens (ports bound for port 0).
  virtual std::string ReadyText() const = 0;
  // On SIGHUP: re-reads what can change without a restart (certificates,
  // keys, CA bundles, CRLs). An error keeps what was in use; the daemon logs
  // "reload failed" with the error (which must hold no secret) and serves on.
  // By default nothing to reload.
  virtual absl::Status Reload() { return absl::OkStatus(); }
  // Stops accepting and gives calls in flight up to `grace`.
  virtual void Shutdown(absl::Duration grace) = 0;
  // Once shut down: the exit code, after a fatal fault or a request to stop
  // (a fault found while draining still counts). By default 0 after a
  // request, and kExitFailure (logged) after a fault, so that a supervisor
  // restarts it.
  virtual int ExitCode(bool after_fault);
  // {ready, one-line reason} for /readyz; called on the HTTP endpoint's
  // threads, so thread-safe, cheap and never blocking. By default ready once
  // started.
  virtual std::pair<bool, std::string> Readiness() const { return {true, ""}; }
};

// What the skeleton gives the program's start function.
struct Context {
  // The soft limit on open descriptors, raised as far as the hard limit allows.
  long descriptor_limit = 0;
  // For every listener, and any part that cannot go on: ends the daemon
  // (logs nothing more; the caller has).
  wire::Listener::FatalHandler on_fatal;
  // The daemon's metrics (cpns_build_info and the gRPC families already in
  // it): a part that counts registers its families here once, at start.
  prometheus::Registry* registry = nullptr;
  // The same registry, for the roles (observe/metrics.h).
  observe::Metrics* metrics = nullptr;
  // Hand every gRPC server builder to this before it starts: it adds the
  // interceptor counting grpc_server_* per method.
  std::function<void(grpc::ServerBuilder&)> instrument;
};

struct Options {
  std::string program;     // names the logger and prefixes errors on stderr
  std::string log_level;   // as --log-level
  std::string log_format = "text";  // as --log-format
  std::string ready_file;  // none when empty
  // HOST:PORT of /metrics, /healthz and /readyz; none when empty. The ready
  // file then gets a line "metrics_port N" (the port bound, for port 0).
  std::string metrics_listen;
  absl::Duration drain = absl::Seconds(5);
  // The full names of the gRPC services the daemon registers
  // ("cpns.v1.AuthService"): grpc_server_* has series for their methods (and
  // gRPC's health and reflection) only; any other path counts as "unknown".
  std::vector<std::string> grpc_services;
};

using StartFn = absl::FunctionRef<absl::StatusOr<std::unique_ptr<Service>>(const Context&)>;

// Runs a daemon through the steps above and returns its exit code. An error
// before it serves is printed as "<program>: <CODE>: <message>" (exit 1).
// Call once, from main, before any thread exists.
int Run(const Options& options, StartFn start);

struct ConnectionFlags {
  std::string idle_timeout = "2m";
  int max_connections = 512;
  int max_connections_per_peer = 64;
};

// Adds --metrics-listen.
void AddMetricsFlag(CLI::App& serve, std::string& metrics_listen);

// Adds --idle-timeout, --max-connections and --max-connections-per-peer.
void AddConnectionFlags(CLI::App& serve, ConnectionFlags& flags);

// The bounds of the listeners on `listen`, lowered (with a warning) where
// they would not all fit in `descriptor_limit` at their bounds.
absl::StatusOr<wire::ConnectionLimits> ConnectionLimitsFor(const ConnectionFlags& flags,
                                                           const std::vector<std::string>& listen,
                                                           long descriptor_limit);

}  // namespace cpns::daemon

#endif  // CPNS_APPS_COMMON_DAEMON_H_
