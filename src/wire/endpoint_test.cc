#include "wire/endpoint.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace cpns::wire {
namespace {

TEST(EndpointTest, ParsesTheThreeForms) {
  EXPECT_EQ(ParseEndpoint("--x", "unix:/run/gw.sock")->GrpcAddress(), "unix:/run/gw.sock");
  EXPECT_EQ(ParseEndpoint("--x", "tls:127.0.0.1:0")->kind, Endpoint::Kind::kTls);
  EXPECT_EQ(ParseEndpoint("--x", "[::1]:8443")->GrpcAddress(), "[::1]:8443");
}

// Plain TCP, for pairing listeners: its own kind, the same gRPC address
// form, and no host that gRPC would read as a scheme.
TEST(EndpointTest, ParsesPlainTcp) {
  const auto tcp = ParseEndpoint("--x", "tcp:192.168.1.1:7000");
  ASSERT_TRUE(tcp.ok()) << tcp.status();
  EXPECT_EQ(tcp->kind, Endpoint::Kind::kTcp);
  EXPECT_EQ(tcp->GrpcAddress(), "192.168.1.1:7000");
  EXPECT_FALSE(ParseEndpoint("--x", "tcp:tcp:7000").ok());
  EXPECT_FALSE(ParseEndpoint("--x", "tcp:127.0.0.1").ok());
  EXPECT_FALSE(ParseEndpoint("--x", "tcp:tls:127.0.0.1:7000").ok());
}

TEST(EndpointTest, RejectsMissingPortNamingTheFlag) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("--server", "localhost");
  ASSERT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), ::testing::StartsWith("--server:"));
  EXPECT_FALSE(ParseEndpoint("--server", "h:70000").ok());
  EXPECT_FALSE(ParseEndpoint("--server", "unix:").ok());
}

// Found by fuzz/endpoint_fuzz.cc: gRPC would have read these HOST:PORT
// addresses as a Unix socket or another scheme, not as TCP with TLS.
TEST(EndpointTest, RejectsHostsThatGrpcReadsAsAnotherScheme) {
  EXPECT_FALSE(ParseEndpoint("--x", "tls:unix:/run/gw.sock:1").ok());
  EXPECT_FALSE(ParseEndpoint("--x", "tls:unix:5").ok());
  EXPECT_FALSE(ParseEndpoint("--x", "dns:///cpns.example:443").ok());
  EXPECT_FALSE(ParseEndpoint("--x", "ipv4:10.0.0.1:443").ok());
  EXPECT_FALSE(ParseEndpoint("--x", "tls:tls:443").ok());
  EXPECT_FALSE(ParseEndpoint("--x", "::1:443").ok());
  EXPECT_TRUE(ParseEndpoint("--x", "tls:cpns-server.example.org:443").ok());
  EXPECT_TRUE(ParseEndpoint("--x", "[fe80::1%eth0]:443").ok());
  EXPECT_TRUE(ParseEndpoint("--x", "0.0.0.0:0").ok());
}

}  // namespace
}  // namespace cpns::wire
