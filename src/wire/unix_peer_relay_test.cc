// The relay with real sockets: bytes flow both ways unchanged, the socket
// handed over names the user, and either end closing ends the other.
#include "wire/unix_peer_relay.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace cpns::wire {
namespace {

// Reads exactly `n` bytes (waiting up to 5 s for each part); fewer on EOF.
std::string ReadN(int fd, size_t n) {
  std::string out;
  char buf[4096];
  while (out.size() < n) {
    pollfd p{.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 5000) <= 0) break;
    const ssize_t got = recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
    if (got <= 0) break;
    out.append(buf, static_cast<size_t>(got));
  }
  return out;
}

bool SeesEof(int fd) {
  pollfd p{.fd = fd, .events = POLLIN};
  if (poll(&p, 1, 5000) <= 0) return false;
  char byte;
  return recv(fd, &byte, 1, 0) <= 0;
}

std::string PeerOf(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  return std::string(addr.sun_path + 1, len - offsetof(sockaddr_un, sun_path) - 1);
}

struct Relayed {
  int client = -1;  // what the connecting program holds
  int handed = -1;  // what gRPC would get
};

Relayed Connect(UnixPeerRelay& relay, uid_t uid) {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  absl::StatusOr<int> handed = relay.Adopt(fds[1], uid);
  EXPECT_TRUE(handed.ok()) << handed.status();
  return {fds[0], handed.value_or(-1)};
}

TEST(UnixPeerRelayTest, CopiesBothWaysAndNamesTheUser) {
  auto relay = UnixPeerRelay::Create();
  ASSERT_TRUE(relay.ok()) << relay.status();
  Relayed a = Connect(**relay, 1000);
  Relayed b = Connect(**relay, 1001);
  EXPECT_EQ(PeerKey("unix-abstract:" + PeerOf(a.handed)), "uid:1000");
  EXPECT_EQ(PeerKey("unix-abstract:" + PeerOf(b.handed)), "uid:1001");
  EXPECT_NE(PeerOf(a.handed), PeerOf(b.handed));

  // More than the relay's buffer, written while the other side reads.
  std::string big(200 * 1024, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
  std::thread writer([&] {
    size_t sent = 0;
    while (sent < big.size()) {
      pollfd p{.fd = a.client, .events = POLLOUT};
      poll(&p, 1, 5000);
      const ssize_t n = send(a.client, big.data() + sent, big.size() - sent, MSG_NOSIGNAL);
      if (n > 0) sent += static_cast<size_t>(n);
      else if (errno != EAGAIN) break;
    }
  });
  EXPECT_EQ(ReadN(a.handed, big.size()), big);
  writer.join();
  ASSERT_EQ(send(a.handed, "pong", 4, MSG_NOSIGNAL), 4);
  EXPECT_EQ(ReadN(a.client, 4), "pong");
  ASSERT_EQ(send(b.client, "b", 1, MSG_NOSIGNAL), 1);
  EXPECT_EQ(ReadN(b.handed, 1), "b");

  // gRPC closing its end closes the client's, and the other way round.
  close(a.handed);
  EXPECT_TRUE(SeesEof(a.client));
  close(b.client);
  EXPECT_TRUE(SeesEof(b.handed));
  close(a.client);
  close(b.handed);
}

TEST(UnixPeerRelayTest, StopClosesEveryRelayedConnection) {
  auto relay = UnixPeerRelay::Create();
  ASSERT_TRUE(relay.ok());
  std::vector<Relayed> all;
  for (int i = 0; i < 8; ++i) all.push_back(Connect(**relay, 0));
  (*relay)->Stop();
  for (Relayed& r : all) {
    EXPECT_TRUE(SeesEof(r.client));
    EXPECT_TRUE(SeesEof(r.handed));
    close(r.client);
    close(r.handed);
  }
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  EXPECT_FALSE((*relay)->Adopt(fds[1], 0).ok());  // closed its listener
  close(fds[0]);
}

}  // namespace
}  // namespace cpns::wire
