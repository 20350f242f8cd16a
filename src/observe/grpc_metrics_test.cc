#include "observe/grpc_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cpns/v1/cpns.grpc.pb.h"

namespace cpns::observe {
namespace {

using Type = grpc::experimental::ServerRpcInfo::Type;

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

const std::vector<GrpcMethod> kServed{
    {"/cpns.v1.FirstSeedService/RequestFirstSeed", Type::UNARY}};

TEST(GrpcServerMetricsTest, SplitsServiceAndMethodAndKeepsTheSeries) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry, kServed);
  const auto* m = metrics.ForMethod("/cpns.v1.FirstSeedService/RequestFirstSeed");
  EXPECT_EQ(m, metrics.ForMethod("/cpns.v1.FirstSeedService/RequestFirstSeed"));
  m->started->Increment();
  m->handled[static_cast<int>(grpc::StatusCode::UNAVAILABLE)]->Increment();
  const std::string text = Scrape(registry);
  EXPECT_NE(text.find("grpc_server_started_total{grpc_method=\"RequestFirstSeed\","
                      "grpc_service=\"cpns.v1.FirstSeedService\",grpc_type=\"unary\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("grpc_server_handled_total{grpc_code=\"UNAVAILABLE\","
                      "grpc_method=\"RequestFirstSeed\",grpc_service=\"cpns.v1.FirstSeedService\","
                      "grpc_type=\"unary\"} 1"),
            std::string::npos)
      << text;
}

// A peer may send any path (gRPC hands unknown methods to a generic handler
// once the health service is on): none may create a series or take the place
// of a method the server registers.
TEST(GrpcServerMetricsTest, PathsNotRegisteredCreateNoSeries) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry, kServed);
  const std::string text_before = Scrape(registry);
  const auto* unknown = metrics.ForMethod("/made.Up/M0");
  for (int i = 0; i < 100; ++i) {
    const auto* m = metrics.ForMethod("/made.Up/M" + std::to_string(i));
    EXPECT_EQ(m, unknown) << i;
  }
  EXPECT_EQ(unknown, metrics.ForMethod("not a method"));
  EXPECT_EQ(unknown, metrics.ForMethod("/" + std::string(8000, 'x')));
  unknown->started->Increment();
  const std::string text = Scrape(registry);
  EXPECT_EQ(text.find("made.Up"), std::string::npos) << text;
  EXPECT_NE(text.find("grpc_server_started_total{grpc_method=\"unknown\","
                      "grpc_service=\"unknown\",grpc_type=\"unknown\"} 1"),
            std::string::npos)
      << text;
  // Everything but that one count is as before the 100 paths.
  EXPECT_EQ(text.size(), text_before.size()) << text;
  const auto* registered = metrics.ForMethod("/cpns.v1.FirstSeedService/RequestFirstSeed");
  EXPECT_NE(registered, unknown);
  EXPECT_NE(text.find("grpc_server_started_total{grpc_method=\"RequestFirstSeed\","
                      "grpc_service=\"cpns.v1.FirstSeedService\",grpc_type=\"unary\"} 0"),
            std::string::npos)
      << text;
}

TEST(GrpcServerMetricsTest, ServedMethodsComeFromTheDescriptors) {
  // Links cpns.pb.cc in, whose descriptors a daemon has through its services.
  ASSERT_NE(cpns::v1::FirstSeedRequest::descriptor(), nullptr);
  auto methods = ServedMethods({cpns::v1::FirstSeedService::service_full_name(),
                                cpns::v1::AuthService::service_full_name()});
  ASSERT_TRUE(methods.ok()) << methods.status();
  std::vector<std::string> names;
  for (const GrpcMethod& m : *methods) names.push_back(m.full_name);
  EXPECT_NE(std::find(names.begin(), names.end(), "/cpns.v1.FirstSeedService/RequestFirstSeed"),
            names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "/grpc.health.v1.Health/Check"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "/cpns.v1.EUKeyService/AssignEUKey"),
            names.end());
  auto bad = ServedMethods({"cpns.v1.NoSuchService"});
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("cpns.v1.NoSuchService"), std::string::npos);
}

TEST(GrpcServerMetricsTest, NamesCodesCanonically) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::PERMISSION_DENIED), "PERMISSION_DENIED");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
}

}  // namespace
}  // namespace cpns::observe
