// PrefaceGate over real socket pairs, with the time given explicitly: a
// connection passes once its whole preface has come, and is closed when it
// hangs up or its deadline passes first.
#include "wire/preface_gate.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace cpns::wire {
namespace {

// The client preface and the header of an empty SETTINGS frame: 33 bytes.
const std::string kPreface = std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") +
                             std::string("\0\0\0\x04\0\0\0\0\0", 9);

struct Pair {
  int client = -1;  // what the connecting program holds
  int gated = -1;   // what the gate holds
};

Pair NewPair() {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds), 0);
  return {fds[0], fds[1]};
}

// True when the other end of `client` is closed.
bool ClosedOnTheOtherEnd(int client) {
  pollfd p{.fd = client, .events = POLLIN};
  if (poll(&p, 1, 0) != 1) return false;
  char byte;
  return recv(client, &byte, 1, MSG_DONTWAIT) == 0;
}

bool Send(int fd, const std::string& bytes) {
  return send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

TEST(PrefaceGateTest, PassesAConnectionOnceItsWholePrefaceHasCome) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  PrefaceGate gate;
  Pair p = NewPair();
  gate.Add(p.gated, 1000, t0 + absl::Seconds(20));
  EXPECT_TRUE(gate.TakeReady(t0).empty());
  ASSERT_TRUE(Send(p.client, kPreface.substr(0, 10)));
  EXPECT_TRUE(gate.TakeReady(t0).empty()) << "part of the preface is not enough";
  ASSERT_TRUE(Send(p.client, kPreface.substr(10, 14)));
  EXPECT_TRUE(gate.TakeReady(t0).empty()) << "the preface without the SETTINGS that follows";
  // Not polled (it would be readable at once), but looked at again soon.
  std::vector<pollfd> fds;
  gate.AppendPollFds(fds);
  EXPECT_TRUE(fds.empty());
  EXPECT_LE(gate.TimeoutMs(t0, 500), 100);
  ASSERT_TRUE(Send(p.client, kPreface.substr(24)));
  std::vector<PrefaceGate::Connection> ready = gate.TakeReady(t0 + absl::Seconds(1));
  ASSERT_EQ(ready.size(), 1u);
  EXPECT_EQ(ready[0].fd, p.gated);
  EXPECT_EQ(ready[0].uid, 1000u);
  EXPECT_EQ(gate.size(), 0);
  // The preface is still there for gRPC to read.
  char read[33];
  EXPECT_EQ(recv(p.gated, read, sizeof(read), 0), 33);
  EXPECT_EQ(std::string(read, 33), kPreface);
  close(p.client);
  close(p.gated);
}

TEST(PrefaceGateTest, ClosesAConnectionSilentPastItsDeadlineOrHungUp) {
  const absl::Time t0 = absl::FromUnixSeconds(1000);
  PrefaceGate gate;
  Pair silent = NewPair();
  Pair gone = NewPair();
  gate.Add(silent.gated, 0, t0 + absl::Seconds(20));
  gate.Add(gone.gated, 0, t0 + absl::Seconds(20));
  std::vector<pollfd> fds;
  gate.AppendPollFds(fds);
  EXPECT_EQ(fds.size(), 2u);
  EXPECT_EQ(gate.TimeoutMs(t0 + absl::Seconds(19), 500), 500);
  EXPECT_EQ(gate.TimeoutMs(t0 + absl::Milliseconds(19'900), 500), 100);

  close(gone.client);
  EXPECT_TRUE(gate.TakeReady(t0 + absl::Seconds(1)).empty());
  EXPECT_EQ(gate.size(), 1) << "the connection that hung up is closed";
  EXPECT_FALSE(ClosedOnTheOtherEnd(silent.client));
  EXPECT_TRUE(gate.TakeReady(t0 + absl::Seconds(20)).empty());
  EXPECT_EQ(gate.size(), 0);
  EXPECT_TRUE(ClosedOnTheOtherEnd(silent.client));
  close(silent.client);
}

TEST(PrefaceGateTest, CloseAllClosesEveryWaitingConnection) {
  PrefaceGate gate;
  std::vector<Pair> pairs;
  for (int i = 0; i < 4; ++i) {
    pairs.push_back(NewPair());
    gate.Add(pairs.back().gated, 0, absl::InfiniteFuture());
  }
  gate.CloseAll();
  for (const Pair& p : pairs) {
    EXPECT_TRUE(ClosedOnTheOtherEnd(p.client));
    close(p.client);
  }
}

}  // namespace
}  // namespace cpns::wire
