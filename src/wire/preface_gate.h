// PrefaceGate: a Unix socket connection waits here, before gRPC gets it,
// until its client has sent the 24 bytes of the HTTP/2 connection preface;
// one that has not by its deadline (the handshake timeout), or hangs up
// first, is closed.
//
// gRPC bounds the handshake of the connections its own listeners accept
// (for TLS connections, through the acceptor Listener uses); a connection
// added from a descriptor gets no such deadline, only the idle timeout. The
// gate keeps a Unix connection that never speaks from holding its place for
// longer than a TLS one may.
//
// Not thread-safe: owned by a Listener's accept thread, which polls the
// descriptors it gives.
#ifndef CPNS_WIRE_PREFACE_GATE_H_
#define CPNS_WIRE_PREFACE_GATE_H_

#include <poll.h>
#include <sys/types.h>

#include <vector>

#include "absl/time/time.h"

namespace cpns::wire {

class PrefaceGate {
 public:
  struct Connection {
    int fd;
    uid_t uid;
  };

  PrefaceGate() = default;
  ~PrefaceGate() { CloseAll(); }
  PrefaceGate(const PrefaceGate&) = delete;
  PrefaceGate& operator=(const PrefaceGate&) = delete;

  // Takes `fd` (from user `uid`) until TakeReady() gives it back or closes it.
  void Add(int fd, uid_t uid, absl::Time deadline);
  // Appends a POLLIN entry for each connection that has sent nothing yet.
  void AppendPollFds(std::vector<pollfd>& fds) const;
  // How long the accept thread may wait, at most `longest_ms`: until the
  // next deadline, or the next look at a connection that has sent part of
  // its preface (those are not polled: they would be readable at once).
  int TimeoutMs(absl::Time now, int longest_ms) const;
  // The connections whose preface has arrived, now the caller's; closes those
  // that hung up or whose deadline has passed.
  std::vector<Connection> TakeReady(absl::Time now);
  void CloseAll();
  int size() const { return static_cast<int>(waiting_.size()); }

 private:
  struct Waiting {
    int fd;
    uid_t uid;
    absl::Time deadline;
    bool partial = false;  // some bytes of the preface, not all
  };
  std::vector<Waiting> waiting_;
};

}  // namespace cpns::wire

#endif  // CPNS_WIRE_PREFACE_GATE_H_
