// UnixPeerRelay: makes the user who connected to a Unix socket the peer that
// gRPC reports for the connection.
//
// gRPC names a Unix socket peer by the address the client bound, usually
// none, so every local client would be one peer ("unix:") and one of them
// could use up everyone's rate limits. For each accepted connection the
// relay makes a socket pair, binds its own end to the name
// "<socket>.relay/cpns.uid.<uid>.<n>" (uid from SO_PEERCRED; the file is
// unlinked at once, the name stays with the socket) and hands the other end
// to gRPC, whose peer is then that name; it copies the bytes between the
// client and its end. The directory is mode 0700, so no other user can bind
// a name in it, and nothing listens there. PeerName() turns the peer string
// into "uid:<uid>". A hang-up or error on either end closes both.
//
// Costs three descriptors per connection (the client's, the relay's, the
// one gRPC holds). Thread-safe; one relay thread.
#ifndef CPNS_WIRE_UNIX_PEER_RELAY_H_
#define CPNS_WIRE_UNIX_PEER_RELAY_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cpns::wire {

// Descriptors one relayed connection holds.
inline constexpr int kDescriptorsPerRelayedConnection = 3;

// The peer of a call as logs and records show it: "uid:<uid>" for a relayed
// Unix socket connection ("unix:/run/cpns/gw.sock.relay/cpns.uid.1000.7"), otherwise the gRPC peer string as it is
// ("ipv4:10.0.0.7:51234").
std::string PeerName(absl::string_view grpc_peer);

// The peer to count a call against: PeerName() without the port of a TCP
// address ("ipv4:10.0.0.7"), so that reconnecting does not make a new peer,
// and an IPv6 address cut to its /64 ("ipv6:[2001:db8::]/64"), which one
// host can hold whole; at most 64 bytes.
std::string PeerKey(absl::string_view grpc_peer);

class UnixPeerRelay {
 public:
  // A relay for the Unix socket at `socket_path`; its directory is
  // "<socket_path>.relay" (made, or emptied of an earlier run's sockets).
  // InvalidArgument when the path is too long to leave room for the relay's
  // names; FailedPrecondition when that directory is not this user's.
  static absl::StatusOr<std::unique_ptr<UnixPeerRelay>> Create(const std::string& socket_path);
  ~UnixPeerRelay();  // Stop()s
  UnixPeerRelay(const UnixPeerRelay&) = delete;
  UnixPeerRelay& operator=(const UnixPeerRelay&) = delete;

  // Takes `client` (an accepted connection from user `uid`) and returns the
  // descriptor to hand to gRPC. On error `client` is closed.
  absl::StatusOr<int> Adopt(int client, uid_t uid);

  // Closes every relayed connection and the private listener. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit UnixPeerRelay(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpns::wire

#endif  // CPNS_WIRE_UNIX_PEER_RELAY_H_
