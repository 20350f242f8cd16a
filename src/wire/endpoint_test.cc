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

TEST(EndpointTest, RejectsMissingPortNamingTheFlag) {
  absl::StatusOr<Endpoint> e = ParseEndpoint("--server", "localhost");
  ASSERT_EQ(e.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(e.status().message()), ::testing::StartsWith("--server:"));
  EXPECT_FALSE(ParseEndpoint("--server", "h:70000").ok());
  EXPECT_FALSE(ParseEndpoint("--server", "unix:").ok());
}

}  // namespace
}  // namespace cpns::wire
