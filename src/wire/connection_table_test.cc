#include "wire/connection_table.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wire/listener.h"
#include "wire/unix_peers.h"

namespace cpns::wire {
namespace {

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    if (a >= 0) close(a);
    if (b >= 0) close(b);
  }
};

TEST(ConnectionTableTest, CountsPerPeerUntilTheDescriptorIsClosed) {
  ConnectionTable table;
  Pair one, two;
  table.Add(one.a, *ConnectionTable::InodeOf(one.a), "10.0.0.1");
  table.Add(two.a, *ConnectionTable::InodeOf(two.a), "10.0.0.1");
  table.Add(two.b, *ConnectionTable::InodeOf(two.b), "uid:1000");
  table.Sweep();
  EXPECT_EQ(table.size(), 3);
  EXPECT_EQ(table.CountFor("10.0.0.1"), 2);
  EXPECT_EQ(table.CountFor("uid:1000"), 1);
  EXPECT_EQ(table.CountFor("10.0.0.2"), 0);

  close(one.a);
  one.a = -1;
  table.Sweep();
  EXPECT_EQ(table.size(), 2);
  EXPECT_EQ(table.CountFor("10.0.0.1"), 1);
}

TEST(ConnectionTableTest, ADescriptorNumberReusedForAnotherSocketIsAnotherConnection) {
  ConnectionTable table;
  Pair first, second;
  const int fd = first.a;
  table.Add(fd, *ConnectionTable::InodeOf(fd), "peer");
  // gRPC closed it and the number now names another socket.
  ASSERT_EQ(dup2(second.a, fd), fd);
  table.Sweep();
  EXPECT_EQ(table.size(), 0);
  EXPECT_EQ(table.CountFor("peer"), 0);
  // Added again under the same number: replaces, never double counts.
  table.Add(fd, *ConnectionTable::InodeOf(fd), "peer");
  table.Add(fd, *ConnectionTable::InodeOf(fd), "other");
  EXPECT_EQ(table.size(), 1);
  EXPECT_EQ(table.CountFor("peer"), 0);
  EXPECT_EQ(table.CountFor("other"), 1);
}

TEST(FitToDescriptorLimitTest, LowersTheBoundToWhatTheLimitHolds) {
  const ConnectionLimits wanted{.max_connections = 512, .max_connections_per_peer = 64};
  EXPECT_EQ(DescriptorsPerConnection({"unix:/run/gw.sock", "tls:127.0.0.1:0"}), 2);
  EXPECT_EQ(DescriptorsPerConnection({"127.0.0.1:7443"}), 1);
  absl::StatusOr<ConnectionLimits> fitted = FitToDescriptorLimit(wanted, 2, 256);
  ASSERT_TRUE(fitted.ok());
  EXPECT_EQ(fitted->max_connections, (256 - kReservedDescriptors) / 2);
  EXPECT_EQ(fitted->max_connections_per_peer, 64);
  EXPECT_EQ(FitToDescriptorLimit(wanted, 1, 1 << 20)->max_connections, 512);
  EXPECT_EQ(FitToDescriptorLimit(wanted, 1, 100)->max_connections_per_peer, 36);
  absl::StatusOr<ConnectionLimits> none = FitToDescriptorLimit(wanted, 4, 80);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(none.status().message().find("ulimit -n"), absl::string_view::npos);
}

TEST(HandshakeTimeoutTest, IsTheIdleTimeoutAtMostTwentySeconds) {
  EXPECT_EQ(HandshakeTimeout(absl::Seconds(2)), absl::Seconds(2));
  EXPECT_EQ(HandshakeTimeout(absl::Minutes(2)), absl::Seconds(20));
}

TEST(PeerKeyTest, IsTheAddressWithoutItsPortOrTheUser) {
  EXPECT_EQ(PeerKey("ipv4:10.0.0.7:51234"), "ipv4:10.0.0.7");
  EXPECT_EQ(PeerKey("ipv6:[::1]:443"), "ipv6:[::]/64");
  // A /64 is one peer, whichever address of it the caller uses.
  EXPECT_EQ(PeerKey("ipv6:[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443"), "ipv6:[2001:db8:1:2::]/64");
  EXPECT_EQ(PeerKey("ipv6:[2001:db8:1:2::7]:51000"), "ipv6:[2001:db8:1:2::]/64");
  // As gRPC 1.48 and later write them: brackets percent-encoded, and zones.
  EXPECT_EQ(PeerKey("ipv6:%5B2001:db8:1:2::7%5D:51000"), "ipv6:[2001:db8:1:2::]/64");
  EXPECT_EQ(PeerKey("ipv6:%5b::1%5d:443"), "ipv6:[::]/64");
  EXPECT_EQ(PeerKey("ipv6:%5B2001:db8::1%25eth0%5D:443"), "ipv6:[2001:db8::]/64");
  // Link-local addresses are one peer each (every device has one in
  // fe80::/64), with their zone; IPv4 on a dual-stack socket is IPv4.
  EXPECT_EQ(PeerKey("ipv6:%5Bfe80::1%25eth0%5D:443"), "ipv6:[fe80::1%eth0]");
  EXPECT_EQ(PeerKey("ipv6:[fe80::2]:443"), "ipv6:[fe80::2]");
  EXPECT_NE(PeerKey("ipv6:[fe80::1]:1"), PeerKey("ipv6:[fe80::2]:1"));
  EXPECT_EQ(PeerKey("ipv6:[::ffff:10.0.0.7]:51234"), "ipv4:10.0.0.7");
  EXPECT_EQ(PeerKey("unix:/run/cpns.sock"), "unix:/run/cpns.sock");
  EXPECT_EQ(PeerKey(std::string(300, 'x')).size(), 64u);
  EXPECT_EQ(PeerKey("uid:1000"), "uid:1000");
  EXPECT_EQ(PeerKey("unix:"), "unix:");
}

}  // namespace
}  // namespace cpns::wire
