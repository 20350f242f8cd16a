#include "common/daemon.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <spdlog/spdlog.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/synchronization/mutex.h"
#include "common/cli.h"
#include "common/process.h"
#include "common/service_manager.h"
#include "core/logging.h"
#include "core/version.h"
#include "observe/program_info.h"
#include "observe/http_endpoint.h"
#include "observe/prometheus_metrics.h"
#include "wire/health.h"

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

// Step 7's endpoint, when --metrics-listen is given: ready as the service
// says until it is told to stop.
absl::StatusOr<std::unique_ptr<observe::HttpEndpoint>> StartEndpoint(
    const Options& options, prometheus::Registry& registry, const Service& service,
    const std::atomic<bool>& stopping) {
  if (options.metrics_listen.empty()) return nullptr;
  return observe::HttpEndpoint::Start(
      options.metrics_listen, registry, [&service, &stopping]() -> std::pair<bool, std::string> {
        if (stopping.load()) return {false, "shutting down"};
        return service.Readiness();
      });
}

// Step 8's SIGHUP: the service reloads; it serves on either way.
void Reload(Service& service) {
  if (absl::Status s = service.Reload(); !s.ok()) {
    log::Error("reload failed", {{"reason", s.ToString()}});
    return;
  }
  log::Info("reloaded");
}

// Steps 8 to 10: serves until a signal or a fatal fault, then drains.
int ServeUntilStopped(const Options& options, Service& service, std::atomic<bool>& stopping) {
  int sig = WaitForTerminationSignal();
  for (; sig == SIGHUP; sig = WaitForTerminationSignal()) Reload(service);
  stopping.store(true);
  RemoveReadyFile(options.ready_file);
  NotifyStopping(sig == kFatalFaultSignal ? "draining after a fault" : "draining");
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
  // Debian's abseil checks every absl::Mutex acquisition (gRPC's) for lock
  // order cycles, some 3 % of a daemon's CPU; a debugging aid, not a guard.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<long> descriptor_limit = SetUpProcess(options);
  if (!descriptor_limit.ok()) return cli::Fail(options.program, descriptor_limit.status());
  absl::StatusOr<std::vector<observe::GrpcMethod>> served =
      observe::ServedMethods(options.grpc_services);
  if (!served.ok()) return cli::Fail(options.program, served.status());
  // gRPC's health service on every server built from here on, and reflection
  // (linked in, so each server keeps it off itself unless asked for it).
  wire::EnableHealthService();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  prometheus::Registry registry;
  observe::AddBuildInfo(registry, options.program);
  observe::GrpcServerMetrics grpc_metrics(registry, *served);
  observe::PrometheusMetrics metrics(registry);
  const Context context{
      .descriptor_limit = *descriptor_limit,
      .on_fatal = [](const absl::Status&) { RaiseFatalFault(); },
      .registry = &registry,
      .metrics = &metrics,
      .instrument = [&grpc_metrics](grpc::ServerBuilder& builder) {
        std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> f;
        f.push_back(grpc_metrics.NewInterceptorFactory());
        builder.experimental().SetInterceptorCreators(std::move(f));
      }};
  NotifyStatus("starting");  // until READY=1: opening the store, binding listeners
  absl::StatusOr<std::unique_ptr<Service>> service = start(context);
  if (!service.ok()) return cli::Fail(options.program, service.status());
  std::atomic<bool> stopping{false};
  auto endpoint = StartEndpoint(options, registry, **service, stopping);
  if (!endpoint.ok()) return cli::Fail(options.program, endpoint.status());
  std::string ready = (*service)->ReadyText();
  if (*endpoint != nullptr) absl::StrAppend(&ready, "\nmetrics_port ", (*endpoint)->port());
  if (absl::Status s = WriteReadyFile(options.ready_file, ready); !s.ok()) {
    return cli::Fail(options.program, s);
  }
  NotifyReady(absl::StrCat("serving: ", absl::StrReplaceAll(ready, {{"\n", ", "}})));
  return ServeUntilStopped(options, **service, stopping);
}

void AddMetricsFlag(CLI::App& serve, std::string& metrics_listen) {
  serve.add_option("--metrics-listen", metrics_listen,
                   "Serve /metrics (Prometheus), /healthz and /readyz over HTTP on IPV4:PORT "
                   "(e.g. 127.0.0.1:9464); off unless given. No TLS: keep it on a trusted "
                   "network");
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
