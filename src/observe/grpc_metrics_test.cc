#include "observe/grpc_metrics.h"

#include <gtest/gtest.h>
#include <prometheus/text_serializer.h>

#include <string>

namespace cpns::observe {
namespace {

using Type = grpc::experimental::ServerRpcInfo::Type;

std::string Scrape(prometheus::Registry& registry) {
  return prometheus::TextSerializer().Serialize(registry.Collect());
}

TEST(GrpcServerMetricsTest, SplitsServiceAndMethodAndKeepsTheSeries) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  const auto* m = metrics.ForMethod("/cpns.v1.FirstSeedService/RequestFirstSeed", Type::UNARY);
  EXPECT_EQ(m, metrics.ForMethod("/cpns.v1.FirstSeedService/RequestFirstSeed", Type::UNARY));
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

TEST(GrpcServerMetricsTest, MethodsPastTheBoundShareTheUnknownSeries) {
  prometheus::Registry registry;
  GrpcServerMetrics metrics(registry);
  for (size_t i = 0; i < GrpcServerMetrics::kMaxMethods; ++i) {
    metrics.ForMethod("/s.S/M" + std::to_string(i), Type::UNARY);
  }
  const auto* past = metrics.ForMethod("/s.S/OneMore", Type::UNARY);
  EXPECT_EQ(past, metrics.ForMethod("/s.S/AndAnother", Type::BIDI_STREAMING));
  EXPECT_EQ(past, metrics.ForMethod("not a method", Type::UNARY));
  EXPECT_EQ(Scrape(registry).find("OneMore"), std::string::npos);
}

TEST(GrpcServerMetricsTest, NamesCodesCanonically) {
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::OK), "OK");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAVAILABLE), "UNAVAILABLE");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::PERMISSION_DENIED), "PERMISSION_DENIED");
  EXPECT_EQ(GrpcCodeName(grpc::StatusCode::UNAUTHENTICATED), "UNAUTHENTICATED");
}

}  // namespace
}  // namespace cpns::observe
