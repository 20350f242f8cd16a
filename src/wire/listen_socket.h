// The listening sockets a Listener accepts on, and how it names the peer of
// an accepted connection. Used by cpns_wire's Listener and by the gateway's
// status socket; not part of the wire's interface to the roles otherwise.
#ifndef CPNS_WIRE_LISTEN_SOCKET_H_
#define CPNS_WIRE_LISTEN_SOCKET_H_

#include <sys/socket.h>
#include <sys/types.h>

#include <string>

#include "absl/status/statusor.h"

namespace cpns::wire {

// A bound, listening, non-blocking socket.
struct Bound {
  int fd = -1;
  int port = 0;
  std::string unix_path;
  ino_t unix_inode = 0;  // of the socket file, to notice it removed or replaced
};

// A Unix socket at `path`, given `mode` before it listens; a stale socket
// file is replaced, a live one (another process serves on it) is not.
absl::StatusOr<Bound> BindUnix(const std::string& path, mode_t mode = 0660);

// TCP on "HOST:PORT" (port 0: any free one).
absl::StatusOr<Bound> BindTcp(const std::string& address);

// The peer a connection counts against: its address without the port (all
// of 127/8 is one, an IPv6 /64 is one), or "uid:N" on a Unix socket.
std::string PeerOf(int fd, const sockaddr_storage& addr);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_LISTEN_SOCKET_H_
