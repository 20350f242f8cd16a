#include "wire/unix_peer_relay.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <sys/stat.h>
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

namespace cpns::wire {
namespace {

// The name of a relay socket: "<private dir>/cpns.uid.<uid>.<n>".
constexpr absl::string_view kNamePrefix = "cpns.uid.";
constexpr size_t kBufferBytes = 16 * 1024;

std::string Errno(absl::string_view what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

// A Unix socket address for `path`; false when it does not fit.
bool PathAddress(const std::string& path, sockaddr_un& addr) {
  addr = sockaddr_un{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) return false;
  std::memcpy(addr.sun_path, path.data(), path.size());
  return true;
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
  // Only relayed connections reach gRPC from a Unix listener, so a "unix:"
  // peer named like a relay socket is one.
  if (absl::StartsWith(peer, "unix:")) {
    absl::string_view base = peer.substr(peer.rfind('/') + 1);
    uint32_t uid = 0;
    if (absl::StartsWith(base, kNamePrefix)) {
      base.remove_prefix(kNamePrefix.size());
      if (absl::SimpleAtoi(base.substr(0, base.find('.')), &uid)) return absl::StrCat("uid:", uid);
    }
  }
  return std::string(peer);
}

std::string PeerKey(absl::string_view peer) {
  if (!absl::StartsWith(peer, "ipv4:") && !absl::StartsWith(peer, "ipv6:")) {
    return PeerName(peer).substr(0, 64);
  }
  const size_t colon = peer.rfind(':');
  if (colon <= 4) return std::string(peer.substr(0, 64));
  absl::string_view host = peer.substr(0, colon);
  if (!absl::StartsWith(host, "ipv6:[") || !absl::EndsWith(host, "]")) return std::string(host);
  // One IPv6 host can hold a whole /64: one peer.
  const std::string address(host.substr(6, host.size() - 7));
  in6_addr a{};
  if (inet_pton(AF_INET6, address.c_str(), &a) != 1) return std::string(host.substr(0, 64));
  std::memset(a.s6_addr + 8, 0, 8);
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &a, text, sizeof(text));
  return absl::StrCat("ipv6:[", text, "]/64");
}

class UnixPeerRelay::Impl {
 public:
  Impl(std::string dir, int epoll_fd, int wake_fd)
      : dir_(std::move(dir)), epoll_fd_(epoll_fd), wake_fd_(wake_fd) {
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
  void Run();
  void Watch(Relayed& r, int op);
  void Close(Relayed* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string dir_;  // mode 0700: nobody else can bind a name in it
  const int epoll_fd_;
  const int wake_fd_;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
  Mutex mu_;
  uint64_t next_ ABSL_GUARDED_BY(mu_) = 0;
  // Owned here; epoll events point at them.
  std::map<Relayed*, std::unique_ptr<Relayed>> relayed_ ABSL_GUARDED_BY(mu_);
};

// A connected pair: the relay keeps `inner`, bound to `path` (so that the
// other end's peer name is `path`), and gRPC gets the other end.
absl::StatusOr<int> BoundPair(const std::string& path, int& inner) {
  int pair[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, pair) != 0) {
    return absl::UnavailableError(Errno("socketpair"));
  }
  inner = pair[0];
  sockaddr_un addr;
  if (!PathAddress(path, addr) ||
      ::bind(inner, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    absl::Status error = absl::UnavailableError(Errno(absl::StrCat("bind of the relay socket ", path)));
    ::close(pair[1]);
    return error;
  }
  ::unlink(path.c_str());  // the socket keeps its name; the directory stays empty
  return pair[1];
}

absl::StatusOr<int> UnixPeerRelay::Impl::Adopt(int client, uid_t uid) {
  std::string path;
  {
    MutexLock lock(&mu_);
    if (stopped_.load()) {
      ::close(client);
      return absl::UnavailableError("the relay has stopped");
    }
    path = absl::StrCat(dir_, "/", kNamePrefix, uid, ".", next_++);
  }
  int inner = -1;
  absl::StatusOr<int> outer = BoundPair(path, inner);
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
  if (stopped_.load()) {  // stopped meanwhile: nothing would relay it
    ::close(client);
    ::close(inner);
    ::close(*outer);
    return absl::UnavailableError("the relay has stopped");
  }
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
      // A hang-up or error on either end ends the connection once what can
      // still move has moved: waiting on it would only spin (epoll reports
      // it whatever the mask) or hold a client that does not read.
      const bool hung_up = (events[i].events & (EPOLLHUP | EPOLLERR)) != 0;
      if (!Pump(r->up) || !Pump(r->down) || hung_up) {
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
  ::rmdir(dir_.c_str());
}

namespace {

// `dir` as an empty directory of this user's alone (mode 0700): made, or
// emptied of what an earlier run left.
absl::Status MakePrivateDirectory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0) return absl::OkStatus();
  struct stat st;
  if (errno != EEXIST || ::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) ||
      st.st_uid != ::geteuid()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot make the relay directory ", dir,
        ": it exists and is not a directory of this user (remove it)"));
  }
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) {
        ::unlinkat(::dirfd(d), e->d_name, 0);
      }
    }
    ::closedir(d);
  }
  if (::chmod(dir.c_str(), 0700) != 0) {
    return absl::FailedPreconditionError(Errno(absl::StrCat("chmod 0700 ", dir)));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<UnixPeerRelay>> UnixPeerRelay::Create(
    const std::string& socket_path) {
  const std::string dir = socket_path + ".relay";
  // The longest relay socket path must fit in a sockaddr_un.
  if (dir.size() + sizeof("/cpns.uid.4294967295.18446744073709551615") > sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unix:", socket_path, ": the path is too long for the relay beside it (",
        dir.size(), " bytes; keep the socket path under 60 bytes)"));
  }
  if (absl::Status s = MakePrivateDirectory(dir); !s.ok()) return s;
  const int epoll_fd = ::epoll_create1(EPOLL_CLOEXEC);
  const int wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd < 0 || wake_fd < 0) {
    absl::Status error = absl::UnavailableError(Errno("epoll/eventfd for the relay"));
    if (epoll_fd >= 0) ::close(epoll_fd);
    if (wake_fd >= 0) ::close(wake_fd);
    return error;
  }
  return std::unique_ptr<UnixPeerRelay>(
      new UnixPeerRelay(std::make_unique<Impl>(dir, epoll_fd, wake_fd)));
}

UnixPeerRelay::UnixPeerRelay(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
UnixPeerRelay::~UnixPeerRelay() = default;
absl::StatusOr<int> UnixPeerRelay::Adopt(int client, uid_t uid) { return impl_->Adopt(client, uid); }
void UnixPeerRelay::Stop() { impl_->Stop(); }

}  // namespace cpns::wire
