// CpnsServer: the CPNS Server role, a gRPC server serving FirstSeedService
// over mutual TLS. Thread-safe. Shutdown() (or destruction) stops serving;
// calls in flight are given `grace` to finish.
#ifndef CPNS_SERVER_CPNS_SERVER_H_
#define CPNS_SERVER_CPNS_SERVER_H_

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/core/clock.h"
#include "observe/metrics.h"
#include "server/auth_service.h"
#include "server/challenge.h"
#include "server/first_seed_service.h"
#include "server/guarded_store.h"
#include "server/refusal_audit.h"
#include "storage/seed_store.h"
#include "wire/health.h"
#include "wire/listener.h"
#include "wire/tls.h"
#include "wire/tls_reload.h"

namespace cpns::server {

struct ServerMetrics;

struct ServerOptions {
  std::string listen;          // HOST:PORT; port 0 picks a free one
  wire::ServerTlsOptions tls;  // client_ca_file is required: no plaintext WAN
  absl::Duration challenge_lifetime = absl::Seconds(60);
  absl::Duration seed_lifetime = storage::kDefaultSeedLifetime;  // of newly issued 1st seeds
  wire::ConnectionLimits connections;
  // Called (from the listener's thread) when the listener cannot go on; the
  // daemon must then stop. Empty: the fault is only logged.
  wire::Listener::FatalHandler on_fatal;
  // How refusals of callers without a certificate are aggregated.
  RefusalAuditOptions refusal_audit;
  // Called once, on a request's thread, when the store reports itself
  // corrupt; from then on no call reaches the store (see GuardedStore). The
  // daemon ends itself from here, so a supervisor restarts it and the next
  // start refuses the store. May be empty.
  GuardedStore::OnCorrupt on_store_corrupt;
  // Published on the health service (grpc.health.v1) as "" and as each
  // service served. Must outlive the server. Null: the health service, if
  // enabled, says SERVING while the server runs.
  wire::Readiness* readiness = nullptr;
  // Serve gRPC server reflection, when the program links it. Off by default:
  // a reflection stream holds one of the server's handler threads while open.
  bool reflection = false;
  // Called on the gRPC server's builder before it starts (the daemon adds
  // its metrics interceptor). May be empty.
  std::function<void(grpc::ServerBuilder&)> instrument;
  // Where the server counts (ServerMetrics); null: nowhere. `store_backend`
  // labels the store's metrics ("sqlite", "postgresql").
  observe::Metrics* metrics = nullptr;
  std::string store_backend;
  // The metrics already made by the caller, which counts into some too (its
  // StoreProbe sets store_up); then `metrics` and `store_backend` are unused.
  const ServerMetrics* server_metrics = nullptr;
};

// The server's metrics, made once at start and handed to the parts that count:
//   cpns_first_seeds_issued_total            1st Seed Responses sent
//   cpns_auth_requests_total{result}         "ok" or the refusal's code
//   cpns_store_operation_duration_seconds{backend,op}
//   cpns_store_up                            0 while the store fails for want of itself
struct ServerMetrics {
  ServerMetrics(observe::Metrics& metrics, const std::string& store_backend);
  observe::Counter& first_seeds_issued;
  observe::Labeled<observe::Counter>& auth_requests;
  observe::Labeled<observe::Histogram>& store_durations;
  observe::Gauge& store_up;
};

class CpnsServer {
 public:
  // Serves FirstSeedService (gateways, client certificate required by the
  // service) and AuthService (assignees; a client certificate is optional).
  // `store` and `clock` must outlive the server. InvalidArgument for a bad
  // listen address or missing client CA; Unavailable when the port cannot be
  // bound; the store's error if the challenge key cannot be read.
  static absl::StatusOr<std::unique_ptr<CpnsServer>> Start(const ServerOptions& options,
                                                           storage::SeedStore& store,
                                                           const Clock& clock);
  ~CpnsServer();

  int port() const { return listener_->port(); }
  // Re-reads the TLS certificate, key, client CA bundle and CRL file (see
  // wire::ReloadableServerTls): new handshakes use them, connections made
  // before keep theirs. On error nothing changed. One call at a time.
  absl::Status ReloadTls() { return tls_->Reload(); }
  // Stops serving, then writes the refusals counted so far to the audit log.
  void Shutdown(absl::Duration grace);

 private:
  CpnsServer(storage::SeedStore& store, const ServerOptions& options)
      : metrics_(options.server_metrics != nullptr
                     ? *options.server_metrics
                     : ServerMetrics(options.metrics != nullptr ? *options.metrics
                                                                : observe::NullMetrics(),
                                     options.store_backend)),
        store_(store, options.on_store_corrupt,
               {.durations = &metrics_.store_durations, .up = &metrics_.store_up}),
        refusals_(store_, options.refusal_audit),
        service_(store_, store_, options.seed_lifetime, &metrics_.first_seeds_issued) {}

  ServerMetrics metrics_;
  GuardedStore store_;
  RefusalAudit refusals_;
  FirstSeedServiceImpl service_;
  // Made once the challenge key is read from the store.
  std::unique_ptr<ChallengeCodec> challenges_;
  std::unique_ptr<AuthServiceImpl> auth_;
  std::unique_ptr<wire::ReloadableServerTls> tls_;  // outlives server_
  std::unique_ptr<wire::Listener> listener_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<wire::Readiness::Binding> health_;  // released before server_
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_CPNS_SERVER_H_
