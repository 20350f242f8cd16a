// UnixPeers: the user behind each Unix socket connection that a Listener
// handed to gRPC, so that a call's peer is that user.
//
// gRPC names a Unix socket peer by the address the client bound, usually
// none, so every local client would be one peer ("unix:") and one of them
// could use up everyone's rate limits. The listener therefore hands each
// accepted Unix connection to gRPC as a channel from its descriptor
// (grpc::AddInsecureChannelFromFd), whose peer gRPC names "fd:<n>", after
// recording here the user that connected (SO_PEERCRED) under <n>. Name()
// turns "fd:<n>" into "uid:<uid>". No byte is copied on the way.
//
// Why a descriptor number is a sound name: gRPC's transport owns the
// descriptor and closes it only when the transport is destroyed, which is
// after the last of its calls; so while a call runs, its number still names
// its own connection and cannot have been reused by a later one (whose entry
// would replace this one). unix_peers_test checks that property against the
// gRPC in use. In case a later gRPC closes descriptors earlier, the entry
// also holds the socket's inode, which Name() compares with what the number
// holds now; a mismatch or a number never recorded is named "unix:unknown",
// one peer shared by all such calls (fail closed: it has one budget).
//
// Thread-safe: the accept threads Add(), the gRPC threads Name().
#ifndef CPNS_WIRE_UNIX_PEERS_H_
#define CPNS_WIRE_UNIX_PEERS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "core/mutex.h"

namespace cpns::wire {

// The peer to count a call against: the peer's name without the port of a
// TCP address ("ipv4:10.0.0.7"), so that reconnecting does not make a new
// peer, and an IPv6 address cut to its /64 ("ipv6:[2001:db8::]/64"), which
// one host can hold whole, except a link-local one, kept whole with its zone
// ("ipv6:[fe80::1%eth0]": every device of a network has one in fe80::/64);
// an IPv4-mapped address is its IPv4 address. At most 64 bytes. Takes a gRPC
// peer string (brackets plain or percent-encoded) or a name
// UnixPeers::Name() gave ("uid:1000", kept as it is).
std::string PeerKey(absl::string_view grpc_peer);

class UnixPeers {
 public:
  // Records that the connection on descriptor `fd`, about to be handed to
  // gRPC, is user `uid`'s; replaces what an earlier connection on the same
  // number left (that one is closed: its number was free to be reused).
  void Add(int fd, uid_t uid);

  // The peer of a call as logs and records show it: "uid:<uid>" for the
  // peer "fd:<n>" of a connection Add()ed here and still on <n>,
  // "unix:unknown" for any other "fd:<n>", otherwise the gRPC peer as it is
  // ("ipv4:10.0.0.7:51234").
  std::string Name(absl::string_view grpc_peer) const;

 private:
  static constexpr uint64_t kNone = ~uint64_t{0};
  struct Entry {
    uint64_t uid = kNone;  // kNone: nothing recorded on this number
    ino_t inode = 0;
  };
  mutable Mutex mu_;
  std::vector<Entry> by_fd_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cpns::wire

#endif  // CPNS_WIRE_UNIX_PEERS_H_
