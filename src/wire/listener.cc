#include "wire/listener.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <thread>
#include <vector>

#include <grpcpp/server_posix.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/logging.h"
#include "wire/connection_table.h"
#include "wire/listen_socket.h"
#include "wire/preface_gate.h"
#include "wire/unix_peers.h"

namespace cpns::wire {
namespace {

// How often the accept thread wakes with nothing to accept: to forget closed
// connections and to check that a Unix socket file is still ours.
constexpr int kTickMillis = 500;
// After accept4 fails for want of descriptors or memory: first wait, cap.
constexpr absl::Duration kFirstBackoff = absl::Milliseconds(50);
constexpr absl::Duration kMaxBackoff = absl::Seconds(1);
// Refusals and descriptor shortages are logged at most this often.
constexpr absl::Duration kLogEvery = absl::Seconds(10);

std::string Errno(absl::string_view what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

}  // namespace

class Listener::Impl {
 public:
  Impl(Bound bound, UnixPeers* unix_peers,
       std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor,
       const ConnectionLimits& limits, FatalHandler on_fatal, std::string name)
      : bound_(std::move(bound)),
        unix_peers_(unix_peers),
        acceptor_(std::move(acceptor)),
        limits_(limits),
        on_fatal_(std::move(on_fatal)),
        name_(std::move(name)),
        wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

  ~Impl() {
    Stop();
    if (wake_fd_ >= 0) ::close(wake_fd_);
  }

  int port() const { return bound_.port; }
  int64_t descriptor_waits() const { return descriptor_waits_.load(); }

  void Start(grpc::Server& server) {
    server_ = &server;
    thread_ = std::thread([this] { Run(); });
  }

  void Stop() {
    if (stopped_.exchange(true)) return;
    const uint64_t one = 1;
    (void)!::write(wake_fd_, &one, sizeof(one));
    if (thread_.joinable()) thread_.join();
    gate_.CloseAll();
    ::close(bound_.fd);
    if (!bound_.unix_path.empty()) {
      struct stat st;
      if (::stat(bound_.unix_path.c_str(), &st) == 0 && st.st_ino == bound_.unix_inode) {
        ::unlink(bound_.unix_path.c_str());
      }
    }
  }

 private:
  void Run();
  // false when the accept thread must stop (asked to, or a fatal fault).
  bool WaitReadable(int timeout_ms);
  bool AcceptOne();
  // What to do after accept4 failed with `error`: false to stop the loop.
  bool AcceptFailed(int error);
  // Whether a new connection from `peer` fits the bounds; closes it if not.
  bool WithinBounds(int fd, const std::string& peer);
  // Tracks the connection and hands it to gRPC (a Unix socket's named after
  // its user in unix_peers_).
  void Admit(int fd, const std::string& peer);
  bool CheckUnixSocketFile();
  void Fatal(absl::Status status);
  // Counts the connection on `fd` against `peer` until `fd` is closed; false
  // (and `fd` closed) when it cannot be looked at.
  bool Track(int fd, const std::string& peer);
  void GiveToGrpc(int fd);
  // A Unix connection whose preface has come.
  void GiveToGrpc(const PrefaceGate::Connection& c);
  void NoteRefusal(const std::string& why);

  Bound bound_;
  UnixPeers* const unix_peers_;  // Unix sockets only
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;  // TCP only
  grpc::Server* server_ = nullptr;  // set by Start()
  const ConnectionLimits limits_;
  FatalHandler on_fatal_;
  const std::string name_;
  const int wake_fd_;
  std::atomic<bool> stopped_{false};
  std::atomic<int64_t> descriptor_waits_{0};
  std::thread thread_;

  // Owned by the accept thread.
  ConnectionTable table_;
  PrefaceGate gate_;  // Unix connections until their HTTP/2 preface comes
  absl::Duration backoff_ = absl::ZeroDuration();
  int starved_ = 0;  // accept4 failures for want of descriptors, not yet logged
  absl::Time last_log_ = absl::InfinitePast();
  int refusals_since_log_ = 0;
};

void Listener::Impl::Run() {
  absl::Time next_check = absl::Now();
  while (true) {
    if (absl::Now() >= next_check) {
      table_.Sweep();
      if (!CheckUnixSocketFile()) return;
      next_check = absl::Now() + absl::Milliseconds(kTickMillis);
    }
    if (!WaitReadable(gate_.TimeoutMs(absl::Now(), kTickMillis))) return;
    for (const PrefaceGate::Connection& c : gate_.TakeReady(absl::Now())) GiveToGrpc(c);
    if (!AcceptOne()) return;
  }
}

bool Listener::Impl::WaitReadable(int timeout_ms) {
  std::vector<pollfd> fds = {{.fd = bound_.fd, .events = POLLIN},
                             {.fd = wake_fd_, .events = POLLIN}};
  gate_.AppendPollFds(fds);
  const int n = ::poll(fds.data(), fds.size(), timeout_ms);
  if (stopped_.load()) return false;
  if (n < 0 && errno != EINTR) {
    Fatal(absl::InternalError(Errno("poll on the listening socket")));
    return false;
  }
  if (n > 0 && (fds[0].revents & (POLLERR | POLLNVAL)) != 0) {
    Fatal(absl::InternalError("the listening socket failed"));
    return false;
  }
  return true;
}

bool Listener::Impl::AcceptOne() {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  const int fd = ::accept4(bound_.fd, reinterpret_cast<sockaddr*>(&addr), &len,
                           SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return AcceptFailed(errno);
  backoff_ = absl::ZeroDuration();
  if (starved_ > 0) {
    NoteRefusal(absl::StrCat("out of descriptors: accepting waited ", starved_, " time(s)"));
    starved_ = 0;
  }
  const std::string peer = PeerOf(fd, addr);
  if (WithinBounds(fd, peer)) Admit(fd, peer);
  return true;
}

bool Listener::Impl::AcceptFailed(int error) {
  switch (error) {
    case EAGAIN: case EINTR: case ECONNABORTED: case EPROTO: case EPERM:
      return true;
    case EMFILE: case ENFILE: case ENOBUFS: case ENOMEM: {
      // Out of descriptors or memory: connections already held must close
      // first. Wait (not spin) and try again; the pending connections stay
      // in the kernel's queue meanwhile.
      // Counted, and logged once descriptors are back: writing a log line
      // may itself need one.
      backoff_ = std::clamp(backoff_ * 2, kFirstBackoff, kMaxBackoff);
      ++starved_;
      ++descriptor_waits_;
      table_.Sweep();
      pollfd wake = {.fd = wake_fd_, .events = POLLIN};
      ::poll(&wake, 1, static_cast<int>(absl::ToInt64Milliseconds(backoff_)));
      return !stopped_.load();
    }
    default:
      errno = error;
      Fatal(absl::InternalError(Errno("accept4")));
      return false;
  }
}

bool Listener::Impl::WithinBounds(int fd, const std::string& peer) {
  if (table_.size() >= limits_.max_connections ||
      table_.CountFor(peer) >= limits_.max_connections_per_peer) {
    table_.Sweep();  // some may have closed since the last look
  }
  if (table_.size() >= limits_.max_connections) {
    ::close(fd);
    NoteRefusal(absl::StrCat("at its limit of ", limits_.max_connections, " connections"));
    return false;
  }
  if (table_.CountFor(peer) >= limits_.max_connections_per_peer) {
    ::close(fd);
    NoteRefusal(absl::StrCat(peer, " at its limit of ", limits_.max_connections_per_peer,
                             " connections"));
    return false;
  }
  return true;
}

void Listener::Impl::Admit(int fd, const std::string& peer) {
  if (unix_peers_ == nullptr) {
    if (Track(fd, peer)) GiveToGrpc(fd);
    return;
  }
  ucred cred{};
  socklen_t cred_len = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cred_len) != 0) {
    ::close(fd);
    return;
  }
  if (!Track(fd, peer)) return;
  gate_.Add(fd, cred.uid, absl::Now() + HandshakeTimeout(limits_.idle_timeout));
}

void Listener::Impl::GiveToGrpc(const PrefaceGate::Connection& c) {
  // Named before gRPC sees it: its first call may come at once.
  unix_peers_->Add(c.fd, c.uid);
  grpc::AddInsecureChannelFromFd(server_, c.fd);  // gRPC owns fd from here on
}

bool Listener::Impl::Track(int fd, const std::string& peer) {
  absl::StatusOr<ino_t> inode = ConnectionTable::InodeOf(fd);
  if (!inode.ok()) {
    ::close(fd);
    return false;
  }
  // Recorded before the hand-over: its new owner may close it at once.
  table_.Add(fd, *inode, peer);
  return true;
}

void Listener::Impl::GiveToGrpc(int fd) {
  grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters params;
  params.listener_fd = bound_.fd;
  params.fd = fd;
  acceptor_->HandleNewConnection(&params);  // gRPC owns fd from here on
}

bool Listener::Impl::CheckUnixSocketFile() {
  if (bound_.unix_path.empty()) return true;
  struct stat st;
  if (::stat(bound_.unix_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) &&
      st.st_ino == bound_.unix_inode) {
    return true;
  }
  Fatal(absl::UnavailableError(absl::StrCat(
      "the socket file ", bound_.unix_path,
      " was removed or replaced: no client can reach this listener any more")));
  return false;
}

void Listener::Impl::Fatal(absl::Status status) {
  status = absl::Status(status.code(), absl::StrCat(name_, ": ", status.message()));
  log::Critical("listener cannot go on", {{"listener", name_}, {"error", status.message()}});
  if (on_fatal_) on_fatal_(status);
}

void Listener::Impl::NoteRefusal(const std::string& why) {
  ++refusals_since_log_;
  const absl::Time now = absl::Now();
  if (now - last_log_ < kLogEvery) return;
  log::Warn("connections refused or delayed",
            {{"listener", name_},
             {"refused", refusals_since_log_},
             {"period_s",
              last_log_ == absl::InfinitePast() ? 0 : absl::ToInt64Seconds(now - last_log_)},
             {"latest", why}});
  last_log_ = now;
  refusals_since_log_ = 0;
}

absl::Duration HandshakeTimeout(absl::Duration idle_timeout) {
  return std::min(idle_timeout, absl::Seconds(20));
}

void ApplyConnectionLimits(grpc::ServerBuilder& builder, const ConnectionLimits& limits) {
  // gRPC takes milliseconds as an int: a longer idle timeout (24 days and
  // more) is as good as none.
  const int64_t idle_ms = std::min<int64_t>(absl::ToInt64Milliseconds(limits.idle_timeout),
                                            std::numeric_limits<int>::max());
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, static_cast<int>(idle_ms));
  builder.AddChannelArgument(
      GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS,
      static_cast<int>(absl::ToInt64Milliseconds(HandshakeTimeout(limits.idle_timeout))));
  // A stream (a health Watch) keeps its connection from ever being idle: no
  // connection lives longer than kMaxConnectionAge, and its calls get a grace
  // period to finish; clients reconnect, as gRPC clients do.
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(kMaxConnectionAge)));
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS,
                             static_cast<int>(absl::ToInt64Milliseconds(kMaxConnectionAgeGrace)));
}

int DescriptorsPerConnection(const std::vector<std::string>& listen) {
  return static_cast<int>(listen.size());  // one each: the connection's own socket
}

absl::StatusOr<ConnectionLimits> FitToDescriptorLimit(const ConnectionLimits& limits,
                                                      int descriptors_per_connection,
                                                      long fd_limit) {
  ConnectionLimits fitted = limits;
  const long room = (fd_limit - kReservedDescriptors) / std::max(descriptors_per_connection, 1);
  if (room < 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the descriptor limit (", fd_limit, ") leaves fewer than 8 connections per listener; raise it "
        "(ulimit -n, LimitNOFILE=)"));
  }
  fitted.max_connections = static_cast<int>(std::min<long>(limits.max_connections, room));
  fitted.max_connections_per_peer = std::min(fitted.max_connections_per_peer, fitted.max_connections);
  return fitted;
}

absl::StatusOr<std::unique_ptr<Listener>> Listener::Bind(
    const Endpoint& endpoint, std::shared_ptr<grpc::ServerCredentials> creds,
    grpc::ServerBuilder& builder, const ConnectionLimits& limits, FatalHandler on_fatal,
    UnixPeers* unix_peers) {
  absl::StatusOr<Bound> bound = endpoint.kind == Endpoint::Kind::kUnix ? BindUnix(endpoint.address)
                                                                      : BindTcp(endpoint.address);
  if (!bound.ok()) return bound.status();
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor;
  if (endpoint.kind == Endpoint::Kind::kUnix) {
    if (unix_peers == nullptr) {
      return absl::InvalidArgumentError("a unix: listener needs the UnixPeers to name its users");
    }
  } else {
    unix_peers = nullptr;
    acceptor = builder.experimental().AddExternalConnectionAcceptor(
        grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, std::move(creds));
  }
  std::string name = endpoint.kind == Endpoint::Kind::kUnix
                         ? absl::StrCat("unix:", endpoint.address)
                         : absl::StrCat(endpoint.address.substr(0, endpoint.address.rfind(':')), ":",
                                        bound->port);
  return std::unique_ptr<Listener>(new Listener(std::make_unique<Impl>(
      *std::move(bound), unix_peers, std::move(acceptor), limits, std::move(on_fatal), std::move(name))));
}

Listener::Listener(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Listener::~Listener() = default;
int Listener::port() const { return impl_->port(); }
int64_t Listener::DescriptorWaits() const { return impl_->descriptor_waits(); }
void Listener::Start(grpc::Server& server) { impl_->Start(server); }
void Listener::Stop() { impl_->Stop(); }

}  // namespace cpns::wire
