// The relay with real sockets: bytes flow both ways unchanged, the socket
// handed over names the user, and either end closing ends the other.
#include "wire/unix_peer_relay.h"
#include "support/temp_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
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

// The gRPC peer string of `fd` ("unix:PATH").
std::string PeerOf(int fd) {
  sockaddr_un addr{};
  socklen_t len = sizeof(addr);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  return "unix:" + std::string(addr.sun_path);
}

std::string TempSocketPath() {
  return test::NewTempDir("relay") + "/gw.sock";
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
  auto relay = UnixPeerRelay::Create(TempSocketPath());
  ASSERT_TRUE(relay.ok()) << relay.status();
  Relayed a = Connect(**relay, 1000);
  Relayed b = Connect(**relay, 1001);
  EXPECT_EQ(PeerName(PeerOf(a.handed)), "uid:1000");
  EXPECT_EQ(PeerName(PeerOf(b.handed)), "uid:1001");
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

// gRPC wrote more than a client that does not read takes, then closed its
// end: the relay closes the client's connection too (it neither spins on
// the hang-up nor holds the connection for the client).
TEST(UnixPeerRelayTest, AHangUpWhileTheClientDoesNotReadEndsTheConnection) {
  auto relay = UnixPeerRelay::Create(TempSocketPath());
  ASSERT_TRUE(relay.ok());
  Relayed r = Connect(**relay, 1000);
  const std::string chunk(4096, 'x');
  size_t sent = 0;
  for (int i = 0; i < 1000; ++i) {
    const ssize_t n = send(r.handed, chunk.data(), chunk.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n <= 0) {
      // Full: give the relay a moment to move what it can, then once more.
      pollfd p{.fd = r.handed, .events = POLLOUT};
      if (poll(&p, 1, 200) <= 0) break;
      continue;
    }
    sent += static_cast<size_t>(n);
  }
  ASSERT_GT(sent, 16u * 1024) << "the relay's buffer was never full";
  close(r.handed);
  // The relay closes its end towards the client, which still reads nothing.
  pollfd p{.fd = r.client, .events = POLLRDHUP};
  ASSERT_EQ(poll(&p, 1, 5000), 1);
  EXPECT_NE(p.revents & POLLRDHUP, 0);
  close(r.client);
}

TEST(UnixPeerRelayTest, StopClosesEveryRelayedConnection) {
  auto relay = UnixPeerRelay::Create(TempSocketPath());
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

TEST(UnixPeerRelayTest, ItsDirectoryIsPrivateAndLeftEmpty) {
  const std::string socket_path = TempSocketPath();
  const std::string dir = socket_path + ".relay";
  ASSERT_EQ(mkdir(dir.c_str(), 0755), 0);
  // What a killed run left behind is cleared.
  ASSERT_EQ(close(open((dir + "/cpns.uid.0.1").c_str(), O_CREAT | O_WRONLY, 0600)), 0);
  auto relay = UnixPeerRelay::Create(socket_path);
  ASSERT_TRUE(relay.ok()) << relay.status();
  struct stat st;
  ASSERT_EQ(stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_NE(stat((dir + "/cpns.uid.0.1").c_str(), &st), 0);
  Relayed r = Connect(**relay, 1000);
  // The relay's socket names are unlinked at once: nothing is left there.
  int entries = 0;
  for (DIR* d = opendir(dir.c_str()); d != nullptr;) {
    dirent* e = readdir(d);
    if (e == nullptr) {
      closedir(d);
      break;
    }
    if (e->d_name[0] != '.') ++entries;
  }
  EXPECT_EQ(entries, 0);
  close(r.client);
  close(r.handed);
  (*relay)->Stop();
  EXPECT_NE(stat(dir.c_str(), &st), 0) << "the directory is removed at Stop";
}

TEST(UnixPeerRelayTest, RefusesADirectoryThatIsNotItsUsers) {
  const std::string socket_path = TempSocketPath();
  ASSERT_EQ(symlink("/tmp", (socket_path + ".relay").c_str()), 0);
  auto relay = UnixPeerRelay::Create(socket_path);
  EXPECT_EQ(relay.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(relay.status().message().find(".relay"), absl::string_view::npos);
}

}  // namespace
}  // namespace cpns::wire
