#include "common/daemon.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include "common/cli.h"
#include "common/process.h"
#include "core/logging.h"
#include "core/version.h"

namespace cpns::daemon {
namespace {

// Steps 1 to 5 of Run: what holds for the whole process before any part of
// the program runs. Returns the descriptor limit now in force.
absl::StatusOr<long> SetUpProcess(const Options& options) {
  ::umask(0077);
  if (absl::Status s = HardenProcess(); !s.ok()) return s;
  const long descriptor_limit = RaiseDescriptorLimit();
  if (absl::Status s = InitLogging(options.program, options.log_level, options.log_format);
      !s.ok()) {
    return s;
  }
  log::Info("starting",
            {{"version", Version()}, {"git", GitRevision().empty() ? "none" : GitRevision()}});
  BlockTerminationSignals();
  return descriptor_limit;
}

// Steps 8 to 10: serves until a signal or a fatal fault, then drains.
int ServeUntilStopped(const Options& options, Service& service) {
  const int sig = WaitForTerminationSignal();
  RemoveReadyFile(options.ready_file);
  if (sig != kFatalFaultSignal) spdlog::info("signal {}: shutting down", sig);
  service.Shutdown(options.drain);
  const int code = service.ExitCode(sig == kFatalFaultSignal);
  if (code == 0) spdlog::info("stopped");
  return code;
}

}  // namespace

int Service::ExitCode(bool after_fault) {
  if (!after_fault) return 0;
  spdlog::critical("stopped after a fault this daemon cannot recover from (see above); exiting "
                   "non-zero so that its supervisor restarts it");
  return cli::kExitFailure;
}

int Run(const Options& options, StartFn start) {
  absl::StatusOr<long> descriptor_limit = SetUpProcess(options);
  if (!descriptor_limit.ok()) return cli::Fail(options.program, descriptor_limit.status());
  const Context context{.descriptor_limit = *descriptor_limit,
                        .on_fatal = [](const absl::Status&) { RaiseFatalFault(); }};
  absl::StatusOr<std::unique_ptr<Service>> service = start(context);
  if (!service.ok()) return cli::Fail(options.program, service.status());
  if (absl::Status s = WriteReadyFile(options.ready_file, (*service)->ReadyText()); !s.ok()) {
    return cli::Fail(options.program, s);
  }
  return ServeUntilStopped(options, **service);
}

void AddConnectionFlags(CLI::App& serve, ConnectionFlags& flags) {
  serve.add_option("--idle-timeout", flags.idle_timeout,
                   "Close a connection with no call in progress after this long (the TLS "
                   "handshake must end within it, and within 20 s)")
      ->capture_default_str()
      ->check(cli::Duration("--idle-timeout"));
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
                                                           const std::vector<std::string>& listen,
                                                           long descriptor_limit) {
  absl::StatusOr<absl::Duration> idle = cli::ParseDuration("--idle-timeout", flags.idle_timeout);
  if (!idle.ok()) return idle.status();
  const wire::ConnectionLimits wanted{.max_connections = flags.max_connections,
                                      .max_connections_per_peer = flags.max_connections_per_peer,
                                      .idle_timeout = *idle};
  absl::StatusOr<wire::ConnectionLimits> fitted = wire::FitToDescriptorLimit(
      wanted, wire::DescriptorsPerConnection(listen), descriptor_limit);
  if (fitted.ok() && fitted->max_connections < wanted.max_connections) {
    spdlog::warn("--max-connections lowered from {} to {} per listener to fit the descriptor "
                 "limit of {} (raise LimitNOFILE= / ulimit -n to allow more)",
                 wanted.max_connections, fitted->max_connections, descriptor_limit);
  }
  return fitted;
}

}  // namespace cpns::daemon
