#include "wire/listen_socket.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace cpns::wire {
namespace {

constexpr int kBacklog = 1024;

std::string Errno(absl::string_view what) { return absl::StrCat(what, ": ", std::strerror(errno)); }

}  // namespace

absl::StatusOr<Bound> BindUnix(const std::string& path, mode_t mode) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("unix:", path, ": a socket path must be 1 to ", sizeof(addr.sun_path) - 1,
                     " bytes"));
  }
  struct stat st;
  if (::lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return absl::FailedPreconditionError(
          absl::StrCat(path, " exists and is not a socket; not replacing it"));
    }
    // A stale socket of an earlier run is replaced; a live one is not.
    const int probe = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un target{};
    target.sun_family = AF_UNIX;
    std::memcpy(target.sun_path, path.data(), path.size());
    const bool live =
        probe >= 0 && ::connect(probe, reinterpret_cast<sockaddr*>(&target), sizeof(target)) == 0;
    if (probe >= 0) ::close(probe);
    if (live) {
      return absl::FailedPreconditionError(
          absl::StrCat("unix:", path, " is in use: another process serves on it"));
    }
    ::unlink(path.c_str());
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  Bound b{.fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), .unix_path = path};
  if (b.fd < 0) return absl::UnavailableError(Errno("socket"));
  // The mode before listen(): nobody else can connect in between.
  if (::bind(b.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::chmod(path.c_str(), mode) != 0 || ::stat(path.c_str(), &st) != 0 ||
      ::listen(b.fd, kBacklog) != 0) {
    absl::Status error = absl::UnavailableError(Errno(absl::StrCat("cannot listen on unix:", path)));
    ::close(b.fd);
    return error;
  }
  b.unix_inode = st.st_ino;
  return b;
}

absl::StatusOr<Bound> BindTcp(const std::string& address) {
  const size_t colon = address.rfind(':');
  std::string host = address.substr(0, colon);
  const std::string port = address.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat("cannot resolve ", address, ": ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> list(found, &::freeaddrinfo);
  std::string last_error = "no address";
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    Bound b{.fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (b.fd < 0) continue;
    const int one = 1, zero = 0;
    ::setsockopt(b.fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6) ::setsockopt(b.fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    sockaddr_storage local{};
    socklen_t len = sizeof(local);
    if (::bind(b.fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(b.fd, kBacklog) == 0 &&
        ::getsockname(b.fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) {
      b.port = ntohs(local.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&local)->sin6_port
                                                 : reinterpret_cast<sockaddr_in*>(&local)->sin_port);
      return b;
    }
    last_error = std::strerror(errno);
    ::close(b.fd);
  }
  return absl::UnavailableError(absl::StrCat("cannot listen on ", address, ": ", last_error));
}

std::string PeerOf(int fd, const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = "?";
  switch (addr.ss_family) {
    case AF_INET: {
      in_addr a = reinterpret_cast<const sockaddr_in*>(&addr)->sin_addr;
      // Every local program can use any address of 127/8: one peer.
      if ((ntohl(a.s_addr) >> 24) == 127) return "127.0.0.0/8";
      ::inet_ntop(AF_INET, &a, text, sizeof(text));
      return text;
    }
    case AF_INET6: {
      in6_addr a = reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_addr;
      if (IN6_IS_ADDR_V4MAPPED(&a)) {
        sockaddr_storage v4{};
        auto* in = reinterpret_cast<sockaddr_in*>(&v4);
        in->sin_family = AF_INET;
        std::memcpy(&in->sin_addr, a.s6_addr + 12, 4);
        return PeerOf(fd, v4);
      }
      if (IN6_IS_ADDR_LOOPBACK(&a)) return "::1";
      // One host can hold a whole /64: one peer.
      std::memset(a.s6_addr + 8, 0, 8);
      ::inet_ntop(AF_INET6, &a, text, sizeof(text));
      return absl::StrCat(text, "/64");
    }
    case AF_UNIX: {
      ucred cred{};
      socklen_t len = sizeof(cred);
      if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
        return absl::StrCat("uid:", cred.uid);
      }
      return "uid:?";
    }
    default:
      return "?";
  }
}


}  // namespace cpns::wire
