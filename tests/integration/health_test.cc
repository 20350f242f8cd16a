// Both daemons as standard gRPC tools see them: grpc.health.v1.Health (Check
// and Watch) for "" and each cpns service, NOT_SERVING while the daemon
// cannot do its job, and server reflection only with --reflection.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "flow_fixture.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "pg_util.h"
#include "support/http_get.h"
#include "wire/tls.h"

namespace cpns::test {
namespace {

using grpc::health::v1::Health;
using grpc::health::v1::HealthCheckRequest;
using grpc::health::v1::HealthCheckResponse;
namespace reflection = grpc::reflection::v1alpha;

constexpr auto kServing = HealthCheckResponse::SERVING;
constexpr auto kNotServing = HealthCheckResponse::NOT_SERVING;

std::chrono::system_clock::time_point In(absl::Duration d) {
  return absl::ToChronoTime(absl::Now() + d);
}

class HealthTest : public FlowTest {
 protected:
  // The server's listener, TLS verified against the suite's CA; no client
  // certificate, as a probe has none.
  std::shared_ptr<grpc::Channel> ServerChannel(const Daemon& server) {
    auto creds = wire::MakeChannelCredentials({.ca_file = Pki("ca.crt")});
    EXPECT_TRUE(creds.ok()) << creds.status();
    return grpc::CreateChannel(server.address, *creds);
  }
  std::shared_ptr<grpc::Channel> GatewayChannel(const Daemon& gateway) {
    return grpc::CreateChannel(gateway.address, grpc::InsecureChannelCredentials());
  }

  // Check's answer; SERVICE_UNKNOWN for NOT_FOUND (a service never named).
  static HealthCheckResponse::ServingStatus Check(grpc::Channel& channel,
                                                  const std::string& service) {
    grpc::ClientContext context;
    context.set_deadline(In(absl::Seconds(10)));
    HealthCheckRequest request;
    request.set_service(service);
    HealthCheckResponse response;
    const grpc::Status s = Health::NewStub(std::shared_ptr<grpc::Channel>(
                                               &channel, [](grpc::Channel*) {}))
                               ->Check(&context, request, &response);
    if (s.error_code() == grpc::StatusCode::NOT_FOUND) return HealthCheckResponse::SERVICE_UNKNOWN;
    EXPECT_TRUE(s.ok()) << service << ": " << s.error_code() << " " << s.error_message();
    return s.ok() ? response.status() : HealthCheckResponse::UNKNOWN;
  }

  // The services reflection lists, or its error.
  static grpc::Status ListServices(grpc::Channel& channel, std::vector<std::string>* names) {
    auto stub = reflection::ServerReflection::NewStub(
        std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
    grpc::ClientContext context;
    context.set_deadline(In(absl::Seconds(10)));
    auto stream = stub->ServerReflectionInfo(&context);
    reflection::ServerReflectionRequest request;
    request.set_list_services("");
    stream->Write(request);
    stream->WritesDone();
    reflection::ServerReflectionResponse response;
    while (stream->Read(&response)) {
      for (const auto& service : response.list_services_response().service()) {
        names->push_back(service.name());
      }
    }
    return stream->Finish();
  }

  static bool Lists(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
  }
};

TEST_F(HealthTest, ServerIsServingForTheWholeAndEachService) {
  Daemon server = StartServer();
  auto channel = ServerChannel(server);
  EXPECT_EQ(Check(*channel, ""), kServing);
  EXPECT_EQ(Check(*channel, "cpns.v1.FirstSeedService"), kServing);
  EXPECT_EQ(Check(*channel, "cpns.v1.AuthService"), kServing);
  EXPECT_EQ(Check(*channel, "cpns.v1.NoSuchService"), HealthCheckResponse::SERVICE_UNKNOWN);
}

TEST_F(HealthTest, ServerReflectionListsTheServicesOnlyWhenTurnedOn) {
  Daemon server = StartServer({"--reflection"});
  std::vector<std::string> names;
  const grpc::Status s = ListServices(*ServerChannel(server), &names);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(Lists(names, "cpns.v1.FirstSeedService"));
  EXPECT_TRUE(Lists(names, "cpns.v1.AuthService"));

  Daemon quiet = StartServer();  // off by default
  names.clear();
  EXPECT_EQ(ListServices(*ServerChannel(quiet), &names).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_TRUE(names.empty());
  EXPECT_EQ(Check(*ServerChannel(quiet), ""), kServing) << "health stays without reflection";
}

// PostgreSQL stopped under a running server: NOT_SERVING, streamed to a
// Watch, and SERVING again once it is back, without a restart.
TEST_F(HealthTest, ServerGoesNotServingWhileItsDatabaseIsDownAndBack) {
  PrivatePgCluster cluster(dir_ + "/pg");
  ASSERT_NO_FATAL_FAILURE(UsePostgres(cluster.url()));
  Daemon server = StartServer({"--kek-file", NewKek()});
  auto channel = ServerChannel(server);
  ASSERT_EQ(Check(*channel, "cpns.v1.FirstSeedService"), kServing);

  grpc::ClientContext watch_context;
  watch_context.set_deadline(In(absl::Seconds(90)));
  HealthCheckRequest request;
  request.set_service("cpns.v1.FirstSeedService");
  auto watch = Health::NewStub(channel)->Watch(&watch_context, request);
  HealthCheckResponse seen;
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), kServing);

  ASSERT_TRUE(cluster.Stop());
  ASSERT_TRUE(watch->Read(&seen)) << "the probe runs every 5 s";
  EXPECT_EQ(seen.status(), kNotServing);
  EXPECT_EQ(Check(*channel, ""), kNotServing);
  EXPECT_EQ(Check(*channel, "cpns.v1.AuthService"), kNotServing);
  EXPECT_TRUE(server.process->running()) << "not ready is not dead";

  ASSERT_TRUE(cluster.Start());
  ASSERT_TRUE(watch->Read(&seen));
  EXPECT_EQ(seen.status(), kServing);
  EXPECT_EQ(Check(*channel, ""), kServing);
  watch_context.TryCancel();
}

TEST_F(HealthTest, GatewayIsServingWithItsSeedAndListsItsServices) {
  Daemon server = StartServer();
  Daemon gateway = StartGateway("gw-A", server.address, "", {"--reflection"});
  ASSERT_EQ(Request(gateway.address, "headset-42", "alice").exit_code, 0);  // a seed held
  auto channel = GatewayChannel(gateway);
  EXPECT_EQ(Check(*channel, ""), kServing);
  EXPECT_EQ(Check(*channel, "cpns.v1.EUKeyService"), kServing);
  EXPECT_EQ(Check(*channel, "cpns.v1.AuthService"), kServing);
  std::vector<std::string> names;
  ASSERT_TRUE(ListServices(*channel, &names).ok());
  EXPECT_TRUE(Lists(names, "cpns.v1.EUKeyService"));

  // The server gone: the held seed still serves its PN.
  server.process->Kill();
  EXPECT_EQ(Check(*channel, ""), kServing);

  Daemon quiet = StartGateway("gw-B", server.address);  // off by default
  names.clear();
  EXPECT_EQ(ListServices(*GatewayChannel(quiet), &names).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

// No seed and no server: the gateway cannot assign a key, and says so once
// it has tried (before the first request it holds no seed and has not yet
// found the server away: it is not known to be unable).
TEST_F(HealthTest, GatewayWithoutSeedOrServerIsNotServing) {
  Daemon server = StartServer();
  const std::string gone = server.address;
  server.process->Kill();
  Daemon gateway = StartGateway("gw-A", gone, "", {"--metrics-listen", "127.0.0.1:0"});
  auto channel = GatewayChannel(gateway);
  EXPECT_EQ(Check(*channel, ""), kServing);
  EXPECT_NE(Request(gateway.address, "headset-42", "alice").exit_code, 0);
  EXPECT_TRUE(WaitUntil([&] { return Check(*channel, "") == kNotServing; }, absl::Seconds(30)))
      << "the status loop updates readiness every 2 s";
  EXPECT_EQ(Check(*channel, "cpns.v1.EUKeyService"), kNotServing);
  EXPECT_EQ(Check(*channel, "cpns.v1.AuthService"), kNotServing);
  // The operators' endpoint says the same, with the reason.
  absl::StatusOr<HttpResponse> ready = HttpGet(MetricsPort(gateway), "/readyz");
  ASSERT_TRUE(ready.ok()) << ready.status();
  EXPECT_EQ(ready->status, 503);
  EXPECT_EQ(ready->body, "no 1st seed and the CPNS Server is unreachable\n");
  EXPECT_TRUE(gateway.process->running());
}

}  // namespace
}  // namespace cpns::test
