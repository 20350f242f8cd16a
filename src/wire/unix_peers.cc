#include "wire/unix_peers.h"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <cstring>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace cpns::wire {

std::string PeerKey(absl::string_view peer) {
  if (!absl::StartsWith(peer, "ipv4:") && !absl::StartsWith(peer, "ipv6:")) {
    return std::string(peer.substr(0, 64));
  }
  const size_t colon = peer.rfind(':');
  if (colon <= 4) return std::string(peer.substr(0, 64));
  absl::string_view host = peer.substr(0, colon);
  // gRPC 1.48 and later write the brackets percent-encoded
  // ("ipv6:%5B2001:db8::7%5D:5000"); earlier ones as they are.
  std::string address;
  if (absl::StartsWith(host, "ipv6:[") && absl::EndsWith(host, "]")) {
    address = std::string(host.substr(6, host.size() - 7));
  } else if (absl::StartsWithIgnoreCase(host, "ipv6:%5B") && absl::EndsWithIgnoreCase(host, "%5D")) {
    address = std::string(host.substr(8, host.size() - 11));
    if (const size_t at = address.find("%25"); at != std::string::npos) address.erase(at + 1, 2);
  } else {
    return std::string(host.substr(0, 64));
  }
  // One IPv6 host can hold a whole /64: one peer (but see link-local below).
  in6_addr a{};
  const size_t zone = address.find('%');  // "%eth0", as gRPC writes it "%25eth0"
  if (inet_pton(AF_INET6, address.substr(0, zone).c_str(), &a) != 1) {
    return std::string(host.substr(0, 64));
  }
  char text[INET6_ADDRSTRLEN];
  if (IN6_IS_ADDR_V4MAPPED(&a)) {  // an IPv4 peer on a dual-stack socket
    inet_ntop(AF_INET, a.s6_addr + 12, text, sizeof(text));
    return absl::StrCat("ipv4:", text);
  }
  if (IN6_IS_ADDR_LINKLOCAL(&a)) {
    // Every device of a personal network has an fe80::/64 address: each is
    // a peer of its own (with its zone), or one neighbour's failures would
    // throttle them all.
    inet_ntop(AF_INET6, &a, text, sizeof(text));
    return absl::StrCat("ipv6:[", text, zone == std::string::npos ? "" : address.substr(zone), "]")
        .substr(0, 64);
  }
  std::memset(a.s6_addr + 8, 0, 8);
  inet_ntop(AF_INET6, &a, text, sizeof(text));
  return absl::StrCat("ipv6:[", text, "]/64");
}

namespace {

constexpr char kUnknownUnixPeer[] = "unix:unknown";

}  // namespace

void UnixPeers::Add(int fd, uid_t uid) {
  struct stat st;
  if (fd < 0 || ::fstat(fd, &st) != 0) return;  // then named unix:unknown
  MutexLock lock(&mu_);
  const size_t at = static_cast<size_t>(fd);
  if (by_fd_.size() <= at) by_fd_.resize(at + 1);
  by_fd_[at] = {.uid = uid, .inode = st.st_ino};
}

std::string UnixPeers::Name(absl::string_view peer) const {
  int fd = -1;
  if (!absl::StartsWith(peer, "fd:") || !absl::SimpleAtoi(peer.substr(3), &fd) || fd < 0) {
    return std::string(peer);
  }
  Entry entry;
  {
    MutexLock lock(&mu_);
    if (static_cast<size_t>(fd) < by_fd_.size()) entry = by_fd_[static_cast<size_t>(fd)];
  }
  struct stat st;
  if (entry.uid == kNone || ::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode) ||
      st.st_ino != entry.inode) {
    return kUnknownUnixPeer;
  }
  return absl::StrCat("uid:", entry.uid);
}

}  // namespace cpns::wire
