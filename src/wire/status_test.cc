#include "wire/status.h"

#include <gtest/gtest.h>

namespace cpns::wire {
namespace {

TEST(StatusTest, KeepsCodeAndMessageBothWays) {
  const grpc::Status g = ToGrpcStatus(absl::PermissionDeniedError("gw_id mismatch"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(g.error_message(), "gw_id mismatch");
  const absl::Status a = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "down"));
  EXPECT_EQ(a.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(a.message(), "down");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_STREQ(GrpcCodeName(grpc::StatusCode::INVALID_ARGUMENT), "INVALID_ARGUMENT");
}

}  // namespace
}  // namespace cpns::wire
