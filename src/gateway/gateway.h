// Gateway: the Intermediate PN GW role. Serves EUKeyService and
// PairingService, and relays AuthService to the CPNS Server, on its PN-side
// listeners (Unix sockets, mode 0660, and TLS); on plain tcp: listeners it
// serves PairingService alone (the PAKE protects the exchange; nothing else
// may travel in the clear). Backed by a SeedCache whose seed file lives in the
// state directory (mode 0700), kept fresh by a SeedRefresher thread.
//
// Thread-safe. Shutdown() (or destruction) stops serving; calls in flight are
// given `grace` to finish.
#ifndef CPNS_GATEWAY_GATEWAY_H_
#define CPNS_GATEWAY_GATEWAY_H_

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cpns/core/clock.h"
#include "gateway/auth_relay.h"
#include "gateway/eukey_service.h"
#include "gateway/first_seed.h"
#include "gateway/key_issuer.h"
#include "gateway/pairing_service.h"
#include "gateway/seed_cache.h"
#include "gateway/seed_refresher.h"
#include "gateway/status.h"
#include "gateway/status_socket.h"
#include "gateway/uplink.h"
#include "wire/health.h"
#include "observe/metrics.h"
#include "wire/listener.h"

namespace cpns::gateway {

struct GatewayOptions {
  std::string gw_id;
  ServerConnection server;
  std::string state_dir;
  // unix:PATH, tls:HOST:PORT, or tcp:HOST:PORT (pairing admission only).
  std::vector<std::string> pn_listen;
  std::string pn_cert_file;            // for tls: listeners
  std::string pn_key_file;
  AssignmentPolicy policy;
  RefreshPolicy refresh;
  AdmissionPolicy admission;  // open only when every listener is unix:
  // The device maker CA(s) (PEM, may hold several) whose device certificates
  // the tls: listeners accept; required by, and only used with, certificate
  // admission.
  std::string device_ca_file;
  // CRLs of the device maker CA(s) (PEM, may hold several): a revoked device
  // certificate is refused. Only with certificate admission.
  std::string device_crl_file;
  // The gateway key that seals the seed file: a file (created 0600 when
  // missing; keep it outside the state directory), or, when empty, the
  // environment variable CPNS_GW_SEAL_KEY (64 hex digits, handed in by the
  // platform). Neither: the seed file is plain (mode 0600 only).
  std::string seal_key_file;
  // This gateway as an assignee (type PNGW) of another gateway: builds the
  // source of its uplink key at start. Empty: no uplink.
  UplinkKeySourceFactory uplink;
  // Bounds on the connections of each --pn-listen listener.
  wire::ConnectionLimits connections;
  // Called (from a listener's thread) when a listener cannot go on; the
  // daemon must then stop. Empty: the fault is only logged.
  wire::Listener::FatalHandler on_fatal;
  // Published on the health service (grpc.health.v1) of the PN listeners and
  // kept current (see UpdateReadiness). Must outlive the gateway. Null: none.
  wire::Readiness* readiness = nullptr;
  // Serve gRPC server reflection, when the program links it. Off by default:
  // a reflection stream holds one of the server's handler threads while open.
  bool reflection = false;
  // Called on the gRPC server's builder before it starts (the daemon adds
  // its metrics interceptor). May be empty.
  std::function<void(grpc::ServerBuilder&)> instrument;
  // Where the gateway counts (GatewayMetrics); null: nowhere.
  observe::Metrics* metrics = nullptr;
};

// The gateway's metrics, made once at start and handed to the parts that
// count (no label carries an entity, a user, a pairing code or a key):
//   cpns_eukey_assignments_total{result}        "ok" or the refusal reason
//   cpns_gateway_seed_epoch                     0: no 1st seed held
//   cpns_gateway_seed_expiry_timestamp_seconds  0: no 1st seed held
//   cpns_gateway_upstream_up                    0 while the CPNS Server is unreachable
//   cpns_gateway_first_seed_requests_total{result}  "ok" or the failure's code
struct GatewayMetrics {
  explicit GatewayMetrics(observe::Metrics& metrics);
  observe::Labeled<observe::Counter>& assignments;
  observe::Gauge& seed_epoch;
  observe::Gauge& seed_expiry;
  observe::Gauge& upstream_up;
  observe::Labeled<observe::Counter>& first_seed_requests;
};

// Whether a gateway can assign keys now: not when revoked; yes with a usable
// (unexpired) 1st seed; without one, while the CPNS Server is reachable.
wire::Readiness::State GatewayReadiness(const SeedCache& cache, absl::Time now);

class Gateway {
 public:
  // `clock` must outlive the gateway; it decides seed expiry, renewal and
  // not_after. InvalidArgument for bad options, the
  // seed file's error if it cannot be loaded, Unavailable if a listener
  // cannot be bound.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(const GatewayOptions& options,
                                                        const Clock& clock);
  ~Gateway();

  // Bound ports of the tls: listeners, in the order given.
  const std::vector<int>& tls_ports() const { return tls_ports_; }
  // Bound ports of the tcp: listeners, in the order given.
  const std::vector<int>& tcp_ports() const { return tcp_ports_; }
  const SeedCache& seed_cache() const { return *cache_; }
  // The daemon's status (seed held, upstream contact, assignments, refusals;
  // never secrets), as of now.
  GatewayStatus CurrentStatus() const;
  // Writes CurrentStatus() to the state database, for `cpns-gw status` when
  // the daemon is not running, unless nothing but its time changed since the
  // last write. Called by the status thread only (or before and after it).
  absl::Status WriteStatusIfChanged();
  void Shutdown(absl::Duration grace);
  // Re-reads the TLS material towards the server (--cert, --key,
  // --server-ca), of the tls: listeners (--pn-cert, --pn-key, --device-ca,
  // the device CRL file) and towards the upstream gateway (the uplink's
  // UplinkKeySource::ReloadTls): new connections use it, open ones keep theirs.
  // Each part that fails keeps what it had; the error names the part. One
  // call at a time.
  absl::Status ReloadTls();

 private:
  Gateway() = default;
  absl::Status Listen(const GatewayOptions& options);
  // Binds one --pn-listen on `builder` (or, for tcp:, on `tcp_builder`).
  absl::Status BindListener(const GatewayOptions& options, const std::string& text,
                            grpc::ServerBuilder& builder, grpc::ServerBuilder& tcp_builder);
  // The tcp: listeners' server: PairingService and health only.
  absl::Status StartTcpServer(const GatewayOptions& options, grpc::ServerBuilder& tcp_builder);

  // The users of the unix: listeners' connections; outlives every call.
  wire::UnixPeers unix_peers_;
  std::unique_ptr<wire::ReloadableClientTls> server_tls_;  // outlives server_channel_
  std::shared_ptr<grpc::Channel> server_channel_;
  std::unique_ptr<wire::ReloadableServerTls> pn_tls_;  // null without tls: listeners
  std::unique_ptr<FirstSeedSource> source_;
  std::unique_ptr<AuthRelay> auth_relay_;
  std::unique_ptr<GatewayMetrics> metrics_;  // before the parts that count on it
  std::unique_ptr<SeedCache> cache_;
  std::unique_ptr<GatewayStateDb> state_;
  std::unique_ptr<Admission> admission_;
  std::unique_ptr<KeyIssuer> issuer_;
  std::unique_ptr<EUKeyServiceImpl> service_;
  std::unique_ptr<PairingServiceImpl> pairing_;
  std::unique_ptr<Uplink> uplink_;  // null: none
  std::unique_ptr<SeedRefresher> refresher_;  // uses cache_: declared after it
  std::unique_ptr<grpc::Server> server_;
  wire::Readiness* readiness_ = nullptr;
  std::unique_ptr<wire::Readiness::Binding> health_;  // released before server_
  std::vector<std::unique_ptr<wire::Listener>> listeners_;
  std::vector<int> tls_ports_;
  // The tcp: listeners and their server (null without tcp: listeners).
  std::unique_ptr<grpc::Server> tcp_server_;
  std::unique_ptr<wire::Readiness::Binding> tcp_health_;  // released before tcp_server_
  std::vector<std::unique_ptr<wire::Listener>> tcp_listeners_;
  std::vector<int> tcp_ports_;
  std::string gw_id_;
  absl::Duration upstream_timeout_;
  const Clock* clock_ = nullptr;
  // The status writer and readiness update: looks every 2 s until Shutdown,
  // writes the status on a change.
  void StatusLoop();
  void UpdateReadiness();
  std::optional<GatewayStatus> written_;  // the status thread's (see WriteStatusIfChanged)
  std::unique_ptr<StatusSocket> status_socket_;  // the live status for the owner
  Mutex status_mu_;
  bool stopping_ ABSL_GUARDED_BY(status_mu_) = false;
  std::thread status_thread_;
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_GATEWAY_H_
