#include "observe/http_endpoint.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/version.h"
#include "observe/program_info.h"
#include "support/http_get.h"

namespace cpns::observe {
namespace {

using test::HttpGet;

struct Probe {
  std::atomic<bool> ready{false};
  ReadinessProbe Fn() {
    return [this] { return std::pair<bool, std::string>{ready.load(), "no seed\nheld yet"}; };
  }
};

TEST(HttpEndpointTest, ServesTheRegistryInTextFormat) {
  prometheus::Registry registry;
  AddBuildInfo(registry, "cpns-test");
  auto& c = prometheus::BuildCounter().Name("cpns_test_total").Help("t").Register(registry).Add({});
  c.Increment(3);
  Probe probe;
  auto endpoint = HttpEndpoint::Start("127.0.0.1:0", registry, probe.Fn());
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  ASSERT_GT((*endpoint)->port(), 0);
  auto r = HttpGet((*endpoint)->port(), "/metrics");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("cpns_test_total 3"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find(absl::StrCat("cpns_build_info{program=\"cpns-test\",version=\"",
                                      std::string(cpns::Version()), "\"} 1")),
            std::string::npos)
      << r->body;
}

TEST(HttpEndpointTest, ReadyzFollowsTheProbeAndHealthzDoesNot) {
  prometheus::Registry registry;
  Probe probe;
  auto endpoint = HttpEndpoint::Start("127.0.0.1:0", registry, probe.Fn());
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  const int port = (*endpoint)->port();
  auto not_ready = HttpGet(port, "/readyz");
  ASSERT_TRUE(not_ready.ok());
  EXPECT_EQ(not_ready->status, 503);
  EXPECT_EQ(not_ready->body, "no seed held yet\n");  // one line
  EXPECT_EQ(HttpGet(port, "/healthz")->status, 200);
  EXPECT_EQ(HttpGet(port, "/healthz")->body, "ok\n");
  probe.ready = true;
  EXPECT_EQ(HttpGet(port, "/readyz")->status, 200);
}

// A connection to 127.0.0.1:`port` that sends nothing; -1 if it fails.
int SilentClient(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  if (fd >= 0) ::close(fd);
  return -1;
}

// A liveness probe must not wait out clients that connect and send nothing:
// a thread is free for it, and each silent client is dropped after
// kRequestTimeoutMs. The deadline is well below the 5 s a silent client
// could hold a thread before.
TEST(HttpEndpointTest, AFewSilentClientsDoNotHoldOffHealthz) {
  prometheus::Registry registry;
  Probe probe;
  auto endpoint = HttpEndpoint::Start("127.0.0.1:0", registry, probe.Fn());
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  std::vector<int> silent;
  for (int i = 0; i < 3; ++i) silent.push_back(SilentClient((*endpoint)->port()));
  const absl::Time start = absl::Now();
  auto r = HttpGet((*endpoint)->port(), "/healthz");
  const absl::Duration waited = absl::Now() - start;
  for (int fd : silent) {
    EXPECT_GE(fd, 0);
    if (fd >= 0) ::close(fd);
  }
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_LT(waited, absl::Seconds(3));
}

TEST(HttpEndpointTest, RefusesOtherPathsAndMethods) {
  prometheus::Registry registry;
  Probe probe;
  auto endpoint = HttpEndpoint::Start("127.0.0.1:0", registry, probe.Fn());
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  EXPECT_EQ(HttpGet((*endpoint)->port(), "/etc/passwd")->status, 404);
  EXPECT_EQ(HttpGet((*endpoint)->port(), "/metrics", "POST")->status, 405);
}

TEST(HttpEndpointTest, RejectsAnAddressItCannotUse) {
  prometheus::Registry registry;
  Probe probe;
  for (const char* bad : {"localhost:9464", "127.0.0.1", "127.0.0.1:70000", "[::1]:0"}) {
    auto endpoint = HttpEndpoint::Start(bad, registry, probe.Fn());
    EXPECT_EQ(endpoint.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(endpoint.status().message().find("--metrics-listen"), std::string::npos);
  }
}

TEST(HttpEndpointTest, APortInUseIsUnavailable) {
  prometheus::Registry registry;
  Probe probe;
  auto first = HttpEndpoint::Start("127.0.0.1:0", registry, probe.Fn());
  ASSERT_TRUE(first.ok());
  auto second = HttpEndpoint::Start(absl::StrCat("127.0.0.1:", (*first)->port()), registry,
                                    probe.Fn());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cpns::observe
