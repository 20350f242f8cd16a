// A Listener in front of a real gRPC server, in this process: out of
// descriptors it waits and accepts again once connections close, and the
// server answers calls again.
#include "wire/listener.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>
#include <vector>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "cpns/v1/cpns.grpc.pb.h"

namespace cpns::wire {
namespace {

int OpenDescriptors() {
  int n = 0;
  DIR* d = opendir("/proc/self/fd");
  while (dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n - 1;  // the directory itself
}

int ConnectTo(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// True when a call reaches the server: its service implements nothing, so a
// served call is UNIMPLEMENTED.
bool ServerAnswers(int port) {
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                     grpc::InsecureChannelCredentials());
  auto stub = cpns::v1::EUKeyService::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  cpns::v1::EUKeyAssignmentRequest request;
  cpns::v1::EUKeyAssignmentResponse response;
  return stub->AssignEUKey(&context, request, &response).error_code() ==
         grpc::StatusCode::UNIMPLEMENTED;
}

TEST(ListenerTest, OutOfDescriptorsItWaitsAndServesAgainOnceConnectionsClose) {
  std::atomic<bool> fatal{false};
  grpc::ServerBuilder builder;
  const ConnectionLimits limits{.max_connections = 1000, .max_connections_per_peer = 1000};
  ApplyConnectionLimits(builder, limits);
  auto listener = Listener::Bind({.kind = Endpoint::Kind::kTls, .address = "127.0.0.1:0"},
                                 grpc::InsecureServerCredentials(), builder, limits,
                                 [&](const absl::Status&) { fatal = true; });
  ASSERT_TRUE(listener.ok()) << listener.status();
  cpns::v1::EUKeyService::Service unimplemented;  // every method UNIMPLEMENTED
  builder.RegisterService(&unimplemented);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);
  (*listener)->Start(*server);
  const int port = (*listener)->port();
  ASSERT_TRUE(ServerAnswers(port));

  // 100 connections wait in the kernel's queue; then the process may hold
  // only 10 more descriptors, so accepting them runs out (EMFILE).
  std::vector<int> clients;
  for (int i = 0; i < 100; ++i) clients.push_back(ConnectTo(port));
  rlimit saved{};
  getrlimit(RLIMIT_NOFILE, &saved);
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(OpenDescriptors() + 10);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  // Until accept4 has met EMFILE (polling needs no descriptor).
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while ((*listener)->DescriptorWaits() == 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  for (int fd : clients) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_GT((*listener)->DescriptorWaits(), 0) << "accepting never ran out of descriptors";

  bool answered = false;
  for (int i = 0; i < 20 && !answered; ++i) answered = ServerAnswers(port);
  EXPECT_TRUE(answered);
  EXPECT_FALSE(fatal.load()) << "running out of descriptors is not fatal";
  (*listener)->Stop();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(2));
}

}  // namespace
}  // namespace cpns::wire
