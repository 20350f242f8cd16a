// Listener: a listening socket that cpns accepts on itself and hands to a
// gRPC server, so that no burst of connections can wedge it.
//
// gRPC 1.51's own listener stops accepting for good after one accept4()
// failure such as EMFILE. Here the daemon owns the socket: it bounds the
// connections it holds (per listener and per peer), waits and retries when
// the process is out of descriptors, and reports a fault it cannot recover
// from (the socket broken, a Unix socket file removed or replaced) through
// `on_fatal`, so the daemon can exit and be restarted by its supervisor.
//
// A peer is the source address without the port (TCP; all of 127/8 is one
// peer, and an IPv6 /64 is one) or the connecting user's uid, from
// SO_PEERCRED (Unix sockets, whose calls then name that user: see
// unix_peers.h).
//
// Thread-safe. One accept thread per listener.
#ifndef CPNS_WIRE_LISTENER_H_
#define CPNS_WIRE_LISTENER_H_

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wire/endpoint.h"
#include "wire/unix_peers.h"

namespace cpns::wire {

// No connection lives longer than this (a stream such as a health Watch
// would otherwise keep it open for ever); its calls then get the grace
// period to finish.
inline constexpr absl::Duration kMaxConnectionAge = absl::Minutes(30);
inline constexpr absl::Duration kMaxConnectionAgeGrace = absl::Minutes(5);

struct ConnectionLimits {
  // Connections held at once on one listener; one more is accepted and
  // closed at once.
  int max_connections = 512;
  // Connections held at once from one peer on one listener.
  int max_connections_per_peer = 64;
  // A connection with no call in progress for this long is closed; one that
  // has not completed its TLS handshake and HTTP/2 preface is closed after
  // HandshakeTimeout(idle_timeout).
  absl::Duration idle_timeout = absl::Minutes(2);
};

// Descriptors kept free for everything but PN and WAN connections: the
// databases, the upstream channel, gRPC's own, logs.
inline constexpr int kReservedDescriptors = 64;

// The handshake deadline: the idle timeout, but at most 20 s (a TLS handshake
// on a live link takes well under a second).
absl::Duration HandshakeTimeout(absl::Duration idle_timeout);

// Sets the idle and handshake timeouts on `builder`.
void ApplyConnectionLimits(grpc::ServerBuilder& builder, const ConnectionLimits& limits);

// The descriptors one connection to each of `listen` ("unix:PATH",
// "tls:HOST:PORT", "HOST:PORT") holds, added up: 1 each.
int DescriptorsPerConnection(const std::vector<std::string>& listen);

// `limits` with max_connections lowered so that every listener at its cap
// (`descriptors_per_connection` as DescriptorsPerConnection gives it), plus
// kReservedDescriptors, fits in `fd_limit` descriptors. InvalidArgument when
// not even 8 connections per listener fit.
absl::StatusOr<ConnectionLimits> FitToDescriptorLimit(const ConnectionLimits& limits,
                                                      int descriptors_per_connection,
                                                      long fd_limit);

class Listener {
 public:
  using FatalHandler = std::function<void(const absl::Status&)>;

  // Binds and listens on `endpoint` (a Unix socket gets mode 0660 before it
  // listens; a stale socket file is replaced); a TCP endpoint registers an
  // acceptor with `creds` on `builder`. Call before builder.BuildAndStart(),
  // then Start(). A Unix socket is served without TLS (`creds` unused), each
  // connection named after its user in `unix_peers` (required for a Unix
  // endpoint, unused otherwise; must outlive the server's calls).
  // Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<Listener>> Bind(
      const Endpoint& endpoint, std::shared_ptr<grpc::ServerCredentials> creds,
      grpc::ServerBuilder& builder, const ConnectionLimits& limits, FatalHandler on_fatal,
      UnixPeers* unix_peers = nullptr);
  ~Listener();  // Stop()s

  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // The bound TCP port (0 for a Unix socket).
  int port() const;
  // Starts accepting for `server` (built from the builder given to Bind(),
  // and started); it must outlive the Listener.
  void Start(grpc::Server& server);
  // How many times accepting has had to wait for want of descriptors or
  // memory (accept4 failing with EMFILE, ENFILE, ENOBUFS or ENOMEM) since
  // Start(): an observable count, for tests and stats.
  int64_t DescriptorWaits() const;
  // Stops accepting and closes the listening socket (a Unix socket file is
  // removed); connections already handed to gRPC are the server's to close.
  // Idempotent.
  void Stop();

  class Impl;

 private:
  explicit Listener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpns::wire

#endif  // CPNS_WIRE_LISTENER_H_
