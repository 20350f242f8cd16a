// Both daemons as a systemd unit of Type=notify sees them: the test plays the
// service manager's side of sd_notify(3), a Unix datagram socket named by
// $NOTIFY_SOCKET, and checks that READY=1 comes only once the listener
// accepts, from the daemon's own pid (NotifyAccess=main), and STOPPING=1
// when SIGTERM starts the drain.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "flow_fixture.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "wire/tls.h"

namespace cpns::test {
namespace {

using grpc::health::v1::HealthCheckResponse;

// systemd's end of $NOTIFY_SOCKET: datagrams with the sender's credentials.
class NotifySocket {
 public:
  struct Message {
    std::string text;  // "READY=1\nSTATUS=..."
    pid_t pid = -1;    // the sender, as the kernel says (SCM_CREDENTIALS)
  };

  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    const int on = 1;
    bound_ = fd_ >= 0 && ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == 0 &&
             ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
    ::unlink(path_.c_str());
  }
  bool bound() const { return bound_; }
  std::string env() const { return "NOTIFY_SOCKET=" + path_; }

  // Messages until one has the line `line` (kept in `seen` too), for at most
  // `timeout`; that message, or nullopt.
  std::optional<Message> WaitFor(const std::string& line, absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      const int ms = static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
      if (::poll(&p, 1, ms < 0 ? 0 : ms) <= 0) continue;
      std::optional<Message> m = Receive();
      if (!m) continue;
      seen.push_back(*m);
      if (HasLine(m->text, line)) return m;
    }
    return std::nullopt;
  }

  static bool HasLine(const std::string& text, const std::string& line) {
    for (absl::string_view l : absl::StrSplit(text, '\n')) {
      if (l == line) return true;
    }
    return false;
  }
  // The value of `key`= in `text` ("" when absent).
  static std::string Field(const std::string& text, const std::string& key) {
    for (absl::string_view l : absl::StrSplit(text, '\n')) {
      if (absl::StartsWith(l, key + "=")) return std::string(l.substr(key.size() + 1));
    }
    return "";
  }

  std::vector<Message> seen;

 private:
  std::optional<Message> Receive() {
    char buf[4096];
    char control[CMSG_SPACE(sizeof(ucred))];
    iovec iov{.iov_base = buf, .iov_len = sizeof(buf)};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof(control);
    const ssize_t n = ::recvmsg(fd_, &msg, MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    Message m{.text = std::string(buf, static_cast<size_t>(n))};
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof(cred));
        m.pid = cred.pid;
      }
    }
    return m;
  }

  std::string path_;
  int fd_ = -1;
  bool bound_ = false;
};

// Whether a connection to 127.0.0.1:`port` is accepted now (one try, no retry).
bool TcpAcceptsNow(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// Whether a connection to the Unix socket `path` is accepted now.
bool UnixAcceptsNow(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

HealthCheckResponse::ServingStatus Health(const std::shared_ptr<grpc::Channel>& channel) {
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  HealthCheckResponse response;
  const grpc::Status s = grpc::health::v1::Health::NewStub(channel)->Check(
      &context, grpc::health::v1::HealthCheckRequest(), &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return response.status();
}

class ServiceManagerTest : public FlowTest {
 protected:
  // After SIGTERM: STOPPING=1 with a STATUS about the drain, and exit 0.
  void ExpectStoppingOnSigterm(NotifySocket& notify, Process& daemon) {
    for (const NotifySocket::Message& m : notify.seen) {
      EXPECT_FALSE(NotifySocket::HasLine(m.text, "STOPPING=1")) << "before SIGTERM: " << m.text;
    }
    EXPECT_EQ(daemon.Terminate(), 0) << daemon.log();
    std::optional<NotifySocket::Message> stopping = notify.WaitFor("STOPPING=1", absl::Seconds(10));
    ASSERT_TRUE(stopping.has_value()) << daemon.log();
    EXPECT_EQ(NotifySocket::Field(stopping->text, "STATUS"), "draining");
    EXPECT_EQ(stopping->pid, daemon.pid());
  }
};

TEST_F(ServiceManagerTest, ServerSaysReadyOnceItsListenerAcceptsAndStoppingOnSigterm) {
  NotifySocket notify(dir_ + "/notify");
  ASSERT_TRUE(notify.bound()) << std::strerror(errno);
  // env execs the server: the pid that notifies is the one started, as
  // NotifyAccess=main requires. No --ready-file: READY=1 alone says when.
  Process server({"/usr/bin/env", notify.env(), Program("cpns-server"), "serve", "--listen",
                  "127.0.0.1:0", "--db", db_, "--cert", Pki("server.crt"), "--key",
                  Pki("server.key"), "--client-ca", Pki("ca.crt")},
                 dir_ + "/server.log");
  std::optional<NotifySocket::Message> ready = notify.WaitFor("READY=1", absl::Seconds(20));
  ASSERT_TRUE(ready.has_value()) << server.log();
  EXPECT_EQ(ready->pid, server.pid());
  EXPECT_EQ(NotifySocket::Field(notify.seen.front().text, "STATUS"), "starting")
      << "systemctl status says what the daemon does before it is ready";
  // "serving: 127.0.0.1:PORT": the port bound, so the listener can be tried now.
  const std::string status = NotifySocket::Field(ready->text, "STATUS");
  ASSERT_TRUE(absl::StartsWith(status, "serving: 127.0.0.1:")) << status;
  int port = 0;
  ASSERT_TRUE(absl::SimpleAtoi(status.substr(status.rfind(':') + 1), &port)) << status;
  EXPECT_TRUE(TcpAcceptsNow(port)) << "READY=1 came before the listener accepted";
  auto creds = wire::MakeChannelCredentials({.ca_file = Pki("ca.crt")});
  ASSERT_TRUE(creds.ok()) << creds.status();
  EXPECT_EQ(Health(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port), *creds)),
            HealthCheckResponse::SERVING);

  ExpectStoppingOnSigterm(notify, server);
}

TEST_F(ServiceManagerTest, GatewaySaysReadyOnceItsSocketAcceptsAndStoppingOnSigterm) {
  Daemon server = StartServer();
  NotifySocket notify(dir_ + "/notify");
  ASSERT_TRUE(notify.bound()) << std::strerror(errno);
  const std::string sock = dir_ + "/gw-A.sock";
  Process gateway({"/usr/bin/env", notify.env(), Program("cpns-gw"), "serve", "--gw-id", "gw-A",
                   "--server", server.address, "--server-ca", Pki("ca.crt"), "--cert",
                   Pki("gw-gw-A.crt"), "--key", Pki("gw-gw-A.key"), "--state-dir",
                   StateDir("gw-A"), "--pn-listen", "unix:" + sock, "--admission", "open"},
                  dir_ + "/gw.log");
  std::optional<NotifySocket::Message> ready = notify.WaitFor("READY=1", absl::Seconds(20));
  ASSERT_TRUE(ready.has_value()) << gateway.log();
  EXPECT_EQ(ready->pid, gateway.pid());
  EXPECT_EQ(NotifySocket::Field(ready->text, "STATUS"), "serving: pn_listen unix:" + sock);
  EXPECT_TRUE(UnixAcceptsNow(sock)) << "READY=1 came before the PN socket accepted";
  EXPECT_EQ(Health(grpc::CreateChannel("unix:" + sock, grpc::InsecureChannelCredentials())),
            HealthCheckResponse::SERVING);

  ExpectStoppingOnSigterm(notify, gateway);
}

// A daemon that cannot start (here: no certificate) exits without READY=1,
// so systemd reports the start as failed instead of waiting for it.
TEST_F(ServiceManagerTest, ADaemonThatCannotStartNeverSaysReady) {
  NotifySocket notify(dir_ + "/notify");
  ASSERT_TRUE(notify.bound()) << std::strerror(errno);
  Process server({"/usr/bin/env", notify.env(), Program("cpns-server"), "serve", "--listen",
                  "127.0.0.1:0", "--db", db_, "--cert", dir_ + "/missing.crt", "--key",
                  Pki("server.key"), "--client-ca", Pki("ca.crt")},
                 dir_ + "/server.log");
  EXPECT_EQ(server.WaitForExit(), 1) << server.log();
  // Whatever it sent is queued by now; none of it is READY=1.
  EXPECT_FALSE(notify.WaitFor("READY=1", absl::Milliseconds(200)).has_value());
}

}  // namespace
}  // namespace cpns::test
