#include "wire/health.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"

namespace cpns::wire {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;

TEST(ReadinessTest, StartsNotReadyUntilSet) {
  Readiness readiness;
  EXPECT_FALSE(readiness.Get().ready);
  EXPECT_EQ(readiness.Get().reason, "starting");
  readiness.Set(true, "store answers");
  EXPECT_TRUE(readiness.Get().ready);
  EXPECT_EQ(readiness.Get().reason, "store answers");
  readiness.Set(false, "store unreachable: timeout");
  EXPECT_FALSE(readiness.Get().ready);
  EXPECT_EQ(readiness.Get().reason, "store unreachable: timeout");
}

// A real server (loopback, port 0) with gRPC's health service, checked by a
// real health client.
class ReadinessServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EnableHealthService();
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&any_service_);  // gRPC serves nothing without one
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    stub_ = Health::NewStub(grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                                                grpc::InsecureChannelCredentials()));
  }

  HealthCheckResponse::ServingStatus Check(const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status status = stub_->Check(&context, request, &response);
    if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      return HealthCheckResponse::SERVICE_UNKNOWN;
    }
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response.status();
  }

  grpc::reflection::v1alpha::ServerReflection::Service any_service_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Health::Stub> stub_;
};

TEST_F(ReadinessServerTest, BoundServerFollowsEverySet) {
  Readiness readiness;
  auto binding = readiness.Bind(*server_, {"cpns.v1.Example"});
  EXPECT_EQ(Check(""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check("cpns.v1.Example"), HealthCheckResponse::NOT_SERVING);
  readiness.Set(true, "ok");
  EXPECT_EQ(Check(""), HealthCheckResponse::SERVING);
  EXPECT_EQ(Check("cpns.v1.Example"), HealthCheckResponse::SERVING);
  readiness.Set(false, "store unreachable");
  EXPECT_EQ(Check(""), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check("cpns.v1.Example"), HealthCheckResponse::NOT_SERVING);
  EXPECT_EQ(Check("cpns.v1.Unknown"), HealthCheckResponse::SERVICE_UNKNOWN);
}

TEST_F(ReadinessServerTest, WatchStreamsTheChange) {
  Readiness readiness;
  readiness.Set(true, "ok");
  auto binding = readiness.Bind(*server_, {"cpns.v1.Example"});
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
  HealthCheckRequest request;
  request.set_service("cpns.v1.Example");
  auto watch = stub_->Watch(&context, request);
  HealthCheckResponse response;
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);
  readiness.Set(false, "store unreachable");
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::NOT_SERVING);
  context.TryCancel();
}

TEST_F(ReadinessServerTest, AnUnboundServerNoLongerChanges) {
  Readiness readiness;
  readiness.Set(true, "ok");
  readiness.Bind(*server_, {"cpns.v1.Example"}).reset();
  readiness.Set(false, "store unreachable");
  EXPECT_EQ(Check("cpns.v1.Example"), HealthCheckResponse::SERVING);
  EXPECT_FALSE(readiness.Get().ready);
}

}  // namespace
}  // namespace cpns::wire
