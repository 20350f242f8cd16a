// ConnectionTable: the connections a Listener has handed to gRPC and still
// holds, counted per peer.
//
// gRPC closes a connection's descriptor without telling us, so a connection
// is known by its descriptor number and the socket's inode: it is still held
// while that number still names that socket (fstat). A number that was
// closed, or reused for another file, means the connection is gone.
//
// Not thread-safe: owned by one accept thread.
#ifndef CPNS_WIRE_CONNECTION_TABLE_H_
#define CPNS_WIRE_CONNECTION_TABLE_H_

#include <sys/types.h>

#include <string>
#include <unordered_map>

#include "absl/status/statusor.h"

namespace cpns::wire {

class ConnectionTable {
 public:
  // The inode of the socket open as `fd`; an error if fstat fails.
  static absl::StatusOr<ino_t> InodeOf(int fd);

  // Records a connection handed over as `fd` (socket inode `inode`) from
  // `peer`. A previous entry under the same number is gone by definition
  // (the number was free to be reused) and is replaced.
  void Add(int fd, ino_t inode, const std::string& peer);

  // Forgets every connection whose descriptor no longer names its socket.
  void Sweep();

  int size() const { return static_cast<int>(by_fd_.size()); }
  int CountFor(const std::string& peer) const;

 private:
  struct Entry {
    ino_t inode;
    std::string peer;
  };
  void Forget(std::unordered_map<int, Entry>::iterator it);

  std::unordered_map<int, Entry> by_fd_;
  std::unordered_map<std::string, int> per_peer_;
};

}  // namespace cpns::wire

#endif  // CPNS_WIRE_CONNECTION_TABLE_H_
