#include "wire/preface_gate.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace cpns::wire {
namespace {

// "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" (RFC 9113, 3.4) and the 9-byte header of
// the SETTINGS frame that must follow it: a client that sends the preface
// alone and then nothing is still held here, under the handshake deadline,
// not by gRPC until its idle timeout. gRPC checks what the bytes are.
constexpr size_t kPrefaceBytes = 24 + 9;
// How often a connection that sent part of its preface is looked at again.
constexpr absl::Duration kPartialRecheck = absl::Milliseconds(100);

enum class Arrived { kAll, kPart, kNothing, kGone };

Arrived Peek(int fd) {
  char bytes[kPrefaceBytes];
  const ssize_t n = ::recv(fd, bytes, sizeof(bytes), MSG_PEEK | MSG_DONTWAIT);
  if (n == static_cast<ssize_t>(kPrefaceBytes)) return Arrived::kAll;
  if (n > 0) return Arrived::kPart;
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return Arrived::kNothing;
  return Arrived::kGone;  // hung up (0) or failed
}

}  // namespace

void PrefaceGate::Add(int fd, uid_t uid, absl::Time deadline) {
  waiting_.push_back({.fd = fd, .uid = uid, .deadline = deadline});
}

void PrefaceGate::AppendPollFds(std::vector<pollfd>& fds) const {
  for (const Waiting& w : waiting_) {
    if (!w.partial) fds.push_back({.fd = w.fd, .events = POLLIN, .revents = 0});
  }
}

int PrefaceGate::TimeoutMs(absl::Time now, int longest_ms) const {
  absl::Duration wait = absl::Milliseconds(longest_ms);
  for (const Waiting& w : waiting_) {
    wait = std::min(wait, w.deadline - now);
    if (w.partial) wait = std::min(wait, kPartialRecheck);
  }
  // At least 1 ms: a deadline just passed is handled by TakeReady, not by
  // spinning.
  return static_cast<int>(std::max<int64_t>(1, absl::ToInt64Milliseconds(absl::Ceil(
                                                   wait, absl::Milliseconds(1)))));
}

std::vector<PrefaceGate::Connection> PrefaceGate::TakeReady(absl::Time now) {
  std::vector<Connection> ready;
  auto keep = waiting_.begin();
  for (Waiting& w : waiting_) {
    const Arrived arrived = Peek(w.fd);
    if (arrived == Arrived::kAll) {
      ready.push_back({w.fd, w.uid});
    } else if (arrived == Arrived::kGone || now >= w.deadline) {
      ::close(w.fd);
    } else {
      w.partial = arrived == Arrived::kPart;
      *keep++ = w;
    }
  }
  waiting_.erase(keep, waiting_.end());
  return ready;
}

void PrefaceGate::CloseAll() {
  for (const Waiting& w : waiting_) ::close(w.fd);
  waiting_.clear();
}

}  // namespace cpns::wire
