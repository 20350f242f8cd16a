#include "gateway/status_socket.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "wire/listen_socket.h"

namespace cpns::gateway {
namespace {

constexpr int kTickMillis = 200;        // how soon Stop is noticed
constexpr size_t kMaxStatusBytes = 1 << 20;

timeval TimevalOf(absl::Duration d) {
  return absl::ToTimeval(std::max(d, absl::Milliseconds(1)));
}

}  // namespace

std::string StatusSocketPath(const std::string& state_dir) {
  return state_dir + "/status.sock";
}

absl::StatusOr<std::unique_ptr<StatusSocket>> StatusSocket::Start(
    const std::string& path, std::function<std::string()> snapshot) {
  absl::StatusOr<wire::Bound> bound = wire::BindUnix(path, 0600);
  if (!bound.ok()) return bound.status();
  return std::unique_ptr<StatusSocket>(new StatusSocket(bound->fd, path, std::move(snapshot)));
}

StatusSocket::StatusSocket(int fd, std::string path, std::function<std::string()> snapshot)
    : fd_(fd), path_(std::move(path)), snapshot_(std::move(snapshot)),
      thread_([this] { Run(); }) {}

StatusSocket::~StatusSocket() {
  stopping_.store(true);
  thread_.join();
  ::close(fd_);
  ::unlink(path_.c_str());
}

void StatusSocket::Run() {
  while (!stopping_.load()) {
    pollfd p = {.fd = fd_, .events = POLLIN};
    if (::poll(&p, 1, kTickMillis) <= 0) continue;
    const int client = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (client >= 0) Answer(client);
  }
}

// Blocking writes bounded by SO_SNDTIMEO: a client that does not read holds
// the thread for a second at most.
void StatusSocket::Answer(int client) {
  const timeval limit = TimevalOf(absl::Seconds(1));
  ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
  const std::string text = snapshot_();
  size_t sent = 0;
  while (sent < text.size()) {
    const ssize_t n = ::send(client, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  ::close(client);
}

absl::StatusOr<std::string> ReadLiveStatus(const std::string& path, absl::Duration timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": socket path too long"));
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(absl::StrCat("socket: ", std::strerror(errno)));
  const timeval limit = TimevalOf(timeout);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof(limit));
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof(limit));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::UnavailableError(
        absl::StrCat("no gateway daemon answers on ", path, ": ", std::strerror(error)));
  }
  const absl::Time deadline = absl::Now() + timeout;
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
    if (n == 0) break;  // the daemon closed: the whole status
    if (n < 0 || absl::Now() > deadline || text.size() + n > kMaxStatusBytes) {
      ::close(fd);
      return absl::UnavailableError(
          absl::StrCat("the gateway daemon on ", path, " did not send its status in time"));
    }
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return text;
}

}  // namespace cpns::gateway
