// `cpns-server serve`: the CPNS Server as a daemon (common/daemon.h runs it).
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <memory>
#include <optional>

#include "absl/memory/memory.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "common/cli.h"
#include "common/daemon.h"
#include "core/logging.h"
#include "core/status_macros.h"
#include "cpns/core/clock.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "server/cpns_server.h"
#include "server/store_probe.h"
#include "storage/kek.h"
#include "storage/open_store.h"
#include "storage/sqlite_seed_store.h"
#include "wire/health.h"

namespace cpns::server_cli {
namespace {

using storage::Backend;

// serve's exit code when it stopped because its store is corrupt: not 1, so
// that a supervisor can be told not to restart it in a loop
// (RestartPreventExitStatus=3); a restart would refuse the store anyway.
constexpr int kExitStoreCorrupt = 3;

// A SQLite file found corrupt while serving ends the server (exit 3); its
// restart must then refuse it, whichever page is bad, not only when the
// pages read at open are. quick_check reads every page once.
absl::Status RefuseCorruptSqlite(const storage::StoreUrl& url) {
  if (url.backend != Backend::kSqlite) return absl::OkStatus();
  struct stat st;
  if (::stat(url.target.c_str(), &st) != 0 && errno == ENOENT) return absl::OkStatus();  // new
  const std::vector<std::string> faults = storage::CheckSqliteFile(url.target, /*quick=*/true);
  if (faults.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("the SQLite store ", url.target, " is corrupt (",
                                          faults.front(), "); run cpns-server check --db ",
                                          url.target, " and restore it from a backup"));
}

// The serving server and what it serves from: its KEKs, its store and the
// clock both use (members in that order, so the server goes first).
class ServerDaemon final : public daemon::Service {
 public:
  // Opens the store of `f` (migrating an embedded SQLite one) and serves it.
  static absl::StatusOr<std::unique_ptr<daemon::Service>> Start(const Flags& f,
                                                                const daemon::Context& context);

  std::string ReadyText() const override { return bound_; }
  void Shutdown(absl::Duration grace) override { server_->Shutdown(grace); }
  int ExitCode(bool after_fault) override;
  absl::Status Reload() override { return server_->ReloadTls(); }
  // /readyz says what the health service says, without the store's own
  // error text (it may name the database's host and user): that is logged.
  std::pair<bool, std::string> Readiness() const override {
    wire::Readiness::State state = readiness_.Get();
    return {state.ready, state.reason.substr(0, state.reason.find(':'))};
  }

 private:
  ServerDaemon(storage::KeyRing keys, const daemon::Context& context)
      : keys_(std::move(keys)), on_fatal_(context.on_fatal), instrument_(context.instrument),
        metrics_(context.metrics) {}

  absl::Status OpenStore(const Flags& f, const storage::StoreUrl& url);
  absl::Status StartServing(const Flags& f, const wire::ConnectionLimits& limits);
  void StopOnCorruptStore(const absl::Status& why);

  RealClock clock_;
  storage::KeyRing keys_;
  wire::Listener::FatalHandler on_fatal_;
  wire::Readiness readiness_;  // on the health service; outlives both users
  std::function<void(grpc::ServerBuilder&)> instrument_;
  observe::Metrics* metrics_;
  std::string backend_;  // the store's, for its metrics' labels
  std::unique_ptr<storage::SeedStore> store_;
  // Made before the probe, which sets their cpns_store_up as the server does.
  std::optional<server::ServerMetrics> server_metrics_;
  std::unique_ptr<server::StoreProbe> probe_;  // the store's readiness
  std::unique_ptr<server::CpnsServer> server_;
  std::string bound_;                     // HOST:PORT, the port bound
  std::atomic<bool> store_corrupt_{false};  // set before on_fatal_ is called
};

absl::StatusOr<std::unique_ptr<daemon::Service>> ServerDaemon::Start(
    const Flags& f, const daemon::Context& context) {
  CPNS_ASSIGN_OR_RETURN(const storage::StoreUrl url, storage::ParseStoreUrl(f.db));
  CPNS_ASSIGN_OR_RETURN(const std::vector<std::string> files,
                        KekFiles(f, /*create_default=*/true));
  CPNS_ASSIGN_OR_RETURN(storage::KeyRing keys, storage::LoadKeyRing(files));
  CPNS_ASSIGN_OR_RETURN(const wire::ConnectionLimits limits,
                        daemon::ConnectionLimitsFor(f.connections, {f.listen},
                                                    context.descriptor_limit));
  auto d = absl::WrapUnique(new ServerDaemon(std::move(keys), context));
  CPNS_RETURN_IF_ERROR(d->OpenStore(f, url));
  d->server_metrics_.emplace(
      d->metrics_ != nullptr ? *d->metrics_ : observe::NullMetrics(), d->backend_);
  d->probe_ = server::StoreProbe::Start(*d->store_, d->readiness_,
                                        {.up = &d->server_metrics_->store_up});
  CPNS_RETURN_IF_ERROR(d->StartServing(f, limits));
  log::Info("CPNS Server serving FirstSeedService (mutual TLS)",
            {{"listen", d->bound_},
             {"store", url.backend == Backend::kSqlite ? "SQLite" : "PostgreSQL"},
             {"kek_id", d->keys_.primary().id()}});
  return d;
}

// The embedded SQLite store migrates itself; a shared PostgreSQL database is
// migrated on purpose, with `cpns-server migrate`. A corrupt file is refused
// before anything writes to it (a migration).
absl::Status ServerDaemon::OpenStore(const Flags& f, const storage::StoreUrl& url) {
  CPNS_RETURN_IF_ERROR(RefuseCorruptSqlite(url));
  backend_ = url.backend == Backend::kSqlite ? "sqlite" : "postgresql";
  CPNS_ASSIGN_OR_RETURN(
      store_, storage::OpenSeedStore(
                  f.db, {.keys = &keys_, .migrate = url.backend == Backend::kSqlite}, clock_));
  return absl::OkStatus();
}

absl::Status ServerDaemon::StartServing(const Flags& f, const wire::ConnectionLimits& limits) {
  CPNS_ASSIGN_OR_RETURN(const absl::Duration seed_lifetime,
                        cli::ParseDuration("--seed-lifetime", f.seed_lifetime));
  CPNS_ASSIGN_OR_RETURN(
      server_,
      server::CpnsServer::Start(
          {.listen = f.listen,
           .tls = {.cert_file = f.cert, .key_file = f.key, .client_ca_file = f.client_ca,
                   .client_cert = wire::ClientCertPolicy::kOptional, .crl_file = f.crl_file},
           .seed_lifetime = seed_lifetime,
           .connections = limits,
           .on_fatal = on_fatal_,
           .on_store_corrupt = [this](const absl::Status& why) { StopOnCorruptStore(why); },
           .readiness = &readiness_,
           .reflection = f.reflection,
           .instrument = instrument_,
           .server_metrics = &*server_metrics_},
          *store_, clock_));
  bound_ = absl::StrCat(f.listen.substr(0, f.listen.rfind(':')), ":", server_->port());
  return absl::OkStatus();
}

// From the request that found the store corrupt: the server stops issuing
// (GuardedStore refuses every further call) and the process ends, so a
// supervisor restarts it and the next start refuses the store.
void ServerDaemon::StopOnCorruptStore(const absl::Status& why) {
  spdlog::critical("the store is corrupt: {}; refusing every request and shutting down. Run "
                   "`cpns-server check --db URL`, then restore the database from a backup",
                   why.message());
  store_corrupt_.store(true);
  probe_->MarkCorrupt(why);
  on_fatal_(why);
}

// Exit 3 whenever the store was found corrupt, even by a call still draining
// after a request to stop: the supervisor must not restart onto it.
int ServerDaemon::ExitCode(bool after_fault) {
  if (!store_corrupt_.load()) return Service::ExitCode(after_fault);
  spdlog::critical("stopped: the store is corrupt (exit {})", kExitStoreCorrupt);
  return kExitStoreCorrupt;
}

}  // namespace

int Serve(const Flags& f) {
  return daemon::Run({.program = kProgram,
                      .log_level = f.log.level,
                      .log_format = f.log.format,
                      .ready_file = f.ready_file,
                      .metrics_listen = f.metrics_listen,
                      .grpc_services = {cpns::v1::FirstSeedService::service_full_name(),
                                        cpns::v1::AuthService::service_full_name()}},
                     [&f](const daemon::Context& c) { return ServerDaemon::Start(f, c); });
}

}  // namespace cpns::server_cli
