#include "wire/unix_peer_relay.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/mutex.h"
#include "cpns/core/hex.h"
#include "cpns/core/random.h"

namespace cpns::wire {
namespace {

constexpr absl::string_view kPeerPrefix = "unix-abstract:cpns.uid.";
constexpr size_t kBufferBytes = 16 * 1024;

std::string Errno(absl::string_view what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

// An abstract Unix socket address for `name` (no leading NUL in `name`).
socklen_t AbstractAddress(absl::string_view name, sockaddr_un& addr) {
  addr = sockaddr_un{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path + 1, name.data(), name.size());
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
}

// The abstract name a socket is bound to, or its peer is bound to.
std::string AbstractName(int fd, bool peer) {
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  const int rc = peer ? ::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len)
                      : ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const size_t offset = offsetof(sockaddr_un, sun_path) + 1;
  if (rc != 0 || len <= offset || addr.sun_path[0] != '\0') return "";
  return std::string(addr.sun_path + 1, len - offset);
}

// Bytes on their way from one socket to the other.
struct Flow {
  int from = -1, to = -1;
  char buffer[kBufferBytes];
  size_t begin = 0, end = 0;
  bool eof = false;
};

// A client's connection and the relay's own socket towards gRPC.
struct Relayed {
  int client = -1, inner = -1;
  Flow up, down;  // client -> inner, inner -> client
};

// Moves what it can along `flow`; false when the connection is over (an
// end closed, or an error).
bool Pump(Flow& flow) {
  while (true) {
    while (flow.begin < flow.end) {
      const ssize_t n = ::send(flow.to, flow.buffer + flow.begin, flow.end - flow.begin,
                               MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        flow.begin += static_cast<size_t>(n);
      } else if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        return true;  // wait until `to` can take more
      } else {
        return false;
      }
    }
    flow.begin = flow.end = 0;
    if (flow.eof) return false;  // everything sent; gRPC connections do not half-close
    const ssize_t n = ::recv(flow.from, flow.buffer, kBufferBytes, MSG_DONTWAIT);
    if (n > 0) {
      flow.end = static_cast<size_t>(n);
    } else if (n == 0) {
      flow.eof = true;
    } else {
      return errno == EAGAIN || errno == EINTR;
    }
  }
}

}  // namespace

std::string PeerName(absl::string_view peer) {
  if (absl::StartsWith(peer, kPeerPrefix)) {
    absl::string_view rest = peer.substr(kPeerPrefix.size());
    uint32_t uid = 0;
    if (absl::SimpleAtoi(rest.substr(0, rest.find('.')), &uid)) return absl::StrCat("uid:", uid);
  }
  return std::string(peer);
}

std::string PeerKey(absl::string_view peer) {
  if (absl::StartsWith(peer, "ipv4:") || absl::StartsWith(peer, "ipv6:")) {
    const size_t colon = peer.rfind(':');
    if (colon > 4) return std::string(peer.substr(0, colon));
  }
  return PeerName(peer);
}

class UnixPeerRelay::Impl {
 public:
  Impl(int listen_fd, std::string listen_name, std::string prefix, int epoll_fd, int wake_fd)
      : listen_fd_(listen_fd),
        listen_name_(std::move(listen_name)),
        prefix_(std::move(prefix)),
        epoll_fd_(epoll_fd),
        wake_fd_(wake_fd) {
    epoll_event ev{.events = EPOLLIN, .data = {.ptr = nullptr}};
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
    thread_ = std::thread([this] { Run(); });
  }
  ~Impl() {
    Stop();
    ::close(epoll_fd_);
    ::close(wake_fd_);
  }

  absl::StatusOr<int> Adopt(int client, uid_t uid);
  void Stop();

 private:
  absl::StatusOr<int> ConnectInner(const std::string& name, int& inner);
  void Run();
  void Watch(Relayed& r, int op);
  void Close(Relayed* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int listen_fd_;
  const std::string listen_name_;
  const std::string prefix_;
  const int epoll_fd_;
  const int wake_fd_;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
  Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  // Owned here; epoll events point at them.
  std::map<Relayed*, std::unique_ptr<Relayed>> relayed_ ABSL_GUARDED_BY(mu_);
};

absl::StatusOr<int> UnixPeerRelay::Impl::ConnectInner(const std::string& name, int& inner) {
  inner = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (inner < 0) return absl::UnavailableError(Errno("socket"));
  sockaddr_un addr;
  socklen_t len = AbstractAddress(name, addr);
  if (::bind(inner, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return absl::UnavailableError(Errno("bind of a relay socket"));
  }
  len = AbstractAddress(listen_name_, addr);
  if (::connect(inner, reinterpret_cast<sockaddr*>(&addr), len) != 0) {
    return absl::UnavailableError(Errno("connect to the relay listener"));
  }
  // Take our own connection off the private listener; anything else queued
  // there (another process found the name) is closed.
  for (int tries = 0; tries < 16; ++tries) {
    pollfd p{.fd = listen_fd_, .events = POLLIN};
    if (::poll(&p, 1, 1000) <= 0) break;
    const int outer = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (outer < 0) continue;
    ucred cred{};
    socklen_t cred_len = sizeof(cred);
    if (::getsockopt(outer, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) == 0 &&
        cred.pid == ::getpid() && AbstractName(outer, /*peer=*/true) == name) {
      return outer;
    }
    ::close(outer);
  }
  return absl::UnavailableError("the relay listener did not hand back our connection");
}

absl::StatusOr<int> UnixPeerRelay::Impl::Adopt(int client, uid_t uid) {
  std::string name;
  {
    MutexLock lock(&mu_);
    name = absl::StrCat("cpns.uid.", uid, ".", prefix_, ".", next_++);
  }
  int inner = -1;
  absl::StatusOr<int> outer = ConnectInner(name, inner);
  if (!outer.ok()) {
    ::close(client);
    if (inner >= 0) ::close(inner);
    return outer.status();
  }
  auto r = std::make_unique<Relayed>();
  r->client = client;
  r->inner = inner;
  r->up.from = r->down.to = client;
  r->up.to = r->down.from = inner;
  MutexLock lock(&mu_);
  Relayed* raw = r.get();
  relayed_.emplace(raw, std::move(r));
  Watch(*raw, EPOLL_CTL_ADD);
  return *outer;
}

// Both ends wait for input while their flow's buffer is empty and for room
// while the flow towards them has bytes left (level-triggered).
void UnixPeerRelay::Impl::Watch(Relayed& r, int op) {
  epoll_event client{.events = 0, .data = {.ptr = &r}};
  epoll_event inner{.events = 0, .data = {.ptr = &r}};
  if (r.up.end == 0) client.events |= EPOLLIN;
  if (r.down.begin < r.down.end) client.events |= EPOLLOUT;
  if (r.down.end == 0) inner.events |= EPOLLIN;
  if (r.up.begin < r.up.end) inner.events |= EPOLLOUT;
  ::epoll_ctl(epoll_fd_, op, r.client, &client);
  ::epoll_ctl(epoll_fd_, op, r.inner, &inner);
}

void UnixPeerRelay::Impl::Run() {
  epoll_event events[64];
  while (!stopped_.load()) {
    const int n = ::epoll_wait(epoll_fd_, events, 64, 1000);
    MutexLock lock(&mu_);
    for (int i = 0; i < n; ++i) {
      auto* r = static_cast<Relayed*>(events[i].data.ptr);
      if (r == nullptr || relayed_.count(r) == 0) continue;  // the wake-up, or closed already
      if (!Pump(r->up) || !Pump(r->down)) {
        Close(r);
      } else {
        Watch(*r, EPOLL_CTL_MOD);
      }
    }
  }
}

void UnixPeerRelay::Impl::Close(Relayed* r) {
  ::close(r->client);  // closing also removes them from the epoll set
  ::close(r->inner);
  relayed_.erase(r);
}

void UnixPeerRelay::Impl::Stop() {
  if (stopped_.exchange(true)) return;
  const uint64_t one = 1;
  (void)!::write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  MutexLock lock(&mu_);
  while (!relayed_.empty()) Close(relayed_.begin()->first);
  ::close(listen_fd_);
}

absl::StatusOr<std::unique_ptr<UnixPeerRelay>> UnixPeerRelay::Create() {
  // A name nobody can guess, so that no other process squats on it first.
  absl::StatusOr<SecretBytes> random = SecureRandomBytes(8);
  if (!random.ok()) return random.status();
  const std::string prefix = HexEncode(random->RevealSecret());
  const std::string listen_name = absl::StrCat("cpns.relay.", ::getpid(), ".", prefix);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return absl::UnavailableError(Errno("socket"));
  sockaddr_un addr;
  const socklen_t len = AbstractAddress(listen_name, addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 || ::listen(fd, 64) != 0) {
    absl::Status error = absl::UnavailableError(Errno("the relay listener"));
    ::close(fd);
    return error;
  }
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  const int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd < 0 || wake_fd < 0) {
    absl::Status error = absl::UnavailableError(Errno("epoll/eventfd for the relay"));
    ::close(fd);
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
    return error;
  }
  return std::unique_ptr<UnixPeerRelay>(new UnixPeerRelay(
      std::make_unique<Impl>(fd, listen_name, prefix, epoll_fd, wake_fd)));
}

UnixPeerRelay::UnixPeerRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UnixPeerRelay::~UnixPeerRelay() = default;
absl::StatusOr<int> UnixPeerRelay::Adopt(int client, uid_t uid) { return impl_->Adopt(client, uid); }
void UnixPeerRelay::Stop() { impl_->Stop(); }

}  // namespace cpns::wire
