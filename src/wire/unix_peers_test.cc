// UnixPeers alone, and behind a real Listener and gRPC server on a Unix
// socket: a call's peer is the user that connected, and the descriptor that
// names it stays that connection's while the call runs, even once the
// client is gone (the property the naming rests on; a gRPC that closed it
// earlier would fail here).
#include "wire/unix_peers.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <thread>

#include <grpcpp/create_channel.h>
#include <grpcpp/create_channel_posix.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "support/temp_dir.h"
#include "wire/listener.h"

namespace cpns::wire {
namespace {

TEST(UnixPeersTest, NamesTheUserOfADescriptorAndLeavesOtherPeersAsTheyAre) {
  int first[2], other[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, first), 0);
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, other), 0);
  const std::string fd = absl::StrCat("fd:", first[0]);
  UnixPeers peers;
  peers.Add(first[0], 1000);
  EXPECT_EQ(peers.Name(fd), "uid:1000");
  // A descriptor never recorded, or past the table: one shared unknown peer.
  EXPECT_EQ(peers.Name(absl::StrCat("fd:", other[0])), "unix:unknown");
  EXPECT_EQ(peers.Name("fd:4000"), "unix:unknown");
  EXPECT_EQ(peers.Name("fd:-1"), "fd:-1");  // not a descriptor's name at all
  EXPECT_EQ(peers.Name("fd:17x"), "fd:17x");
  EXPECT_EQ(peers.Name("ipv4:10.0.0.7:51234"), "ipv4:10.0.0.7:51234");
  EXPECT_EQ(peers.Name("unix:"), "unix:");
  // The number now holds another socket that was not recorded: not the
  // first connection's user.
  ASSERT_EQ(::dup2(other[1], first[0]), first[0]);
  EXPECT_EQ(peers.Name(fd), "unix:unknown");
  // A later connection recorded on the same number is its user's.
  peers.Add(first[0], 0);
  EXPECT_EQ(peers.Name(fd), "uid:0");
  for (int s : {first[0], first[1], other[0], other[1]}) ::close(s);
}

// The inode of the socket open as `fd`, 0 if none is.
ino_t InodeOf(int fd) {
  struct stat st;
  return ::fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
}

int ConnectUnix(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Holds each call until the client's connection is gone, and notes what the
// call's peer names then.
class HoldingService final : public cpns::v1::EUKeyService::Service {
 public:
  explicit HoldingService(const UnixPeers& peers) : peers_(peers) {}

  grpc::Status AssignEUKey(grpc::ServerContext* context, const cpns::v1::EUKeyAssignmentRequest*,
                           cpns::v1::EUKeyAssignmentResponse*) override {
    name_at_start = peers_.Name(context->peer());
    int fd = -1;
    if (absl::SimpleAtoi(absl::string_view(context->peer()).substr(3), &fd)) {
      inode_at_start = InodeOf(fd);
    }
    started.Notify();
    const absl::Time deadline = absl::Now() + absl::Seconds(10);
    while (!context->IsCancelled() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
    cancelled = context->IsCancelled();
    // Give gRPC time to tear the connection down, as far as it will.
    absl::SleepFor(absl::Milliseconds(200));
    inode_at_end = fd >= 0 ? InodeOf(fd) : 0;
    name_at_end = peers_.Name(context->peer());
    done.Notify();
    return grpc::Status::OK;
  }

  std::string name_at_start, name_at_end;
  ino_t inode_at_start = 0, inode_at_end = 0;
  bool cancelled = false;
  absl::Notification started, done;

 private:
  const UnixPeers& peers_;
};

TEST(UnixPeersTest, ACallsPeerIsItsUserAndItsDescriptorOutlivesTheClient) {
  const std::string path = test::NewTempDir("unix_peers") + "/gw.sock";
  UnixPeers peers;
  HoldingService service(peers);
  grpc::ServerBuilder builder;
  const ConnectionLimits limits;
  auto listener = Listener::Bind({.kind = Endpoint::Kind::kUnix, .address = path},
                                 grpc::InsecureServerCredentials(), builder, limits, nullptr,
                                 &peers);
  ASSERT_TRUE(listener.ok()) << listener.status();
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  (*listener)->Start(*server);

  // The client's own socket, so that the test can cut the connection under
  // the call in progress.
  const int client = ConnectUnix(path);
  ASSERT_GE(client, 0);
  std::thread caller([&] {
    auto stub = cpns::v1::EUKeyService::NewStub(
        grpc::CreateInsecureChannelFromFd("gw", ::dup(client)));
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    cpns::v1::EUKeyAssignmentRequest request;
    cpns::v1::EUKeyAssignmentResponse response;
    (void)stub->AssignEUKey(&context, request, &response);
  });
  ASSERT_TRUE(service.started.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_EQ(service.name_at_start, absl::StrCat("uid:", ::geteuid()));
  EXPECT_NE(service.inode_at_start, 0u);

  ::shutdown(client, SHUT_RDWR);  // the client is gone
  // A new connection meanwhile would take the call's descriptor number, were
  // it free.
  const int other = ConnectUnix(path);
  ASSERT_TRUE(service.done.WaitForNotificationWithTimeout(absl::Seconds(20)));
  EXPECT_TRUE(service.cancelled) << "the call never saw its client go";
  EXPECT_EQ(service.inode_at_end, service.inode_at_start)
      << "gRPC closed the call's descriptor while the call ran: a descriptor no longer names "
         "its connection's user (see unix_peers.h)";
  EXPECT_EQ(service.name_at_end, service.name_at_start);
  caller.join();
  ::close(client);
  if (other >= 0) ::close(other);
  (*listener)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace
}  // namespace cpns::wire
