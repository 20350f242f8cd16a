// The operators' HTTP endpoint (--metrics-listen) of the real daemons, scraped
// over a real socket as Prometheus would.
#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "flow_fixture.h"
#include "support/http_get.h"
#include "wire/tls.h"

namespace cpns::test {
namespace {

std::string Scrape(int port) {
  absl::StatusOr<HttpResponse> r = HttpGet(port, "/metrics");
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return "";
  EXPECT_EQ(r->status, 200);
  return r->body;
}

// The value of the sample `series` (name and labels, as exposed); -1 when the
// scrape has no such sample.
double Sample(const std::string& scrape, const std::string& series) {
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(series + " ", 0) != 0) continue;
    double value = -1;
    EXPECT_TRUE(absl::SimpleAtod(line.substr(series.size() + 1), &value)) << line;
    return value;
  }
  return -1;
}

std::string Grpc(const std::string& name, const std::string& service, const std::string& method,
                 const std::string& code = "") {
  const std::string code_label = code.empty() ? "" : absl::StrCat("grpc_code=\"", code, "\",");
  return absl::StrCat(name, "{", code_label, "grpc_method=\"", method, "\",grpc_service=\"",
                      service, "\",grpc_type=\"unary\"}");
}

TEST_F(FlowTest, MetricsCountExactlyTheCallsMade) {
  Daemon server = StartServer({"--metrics-listen", "127.0.0.1:0"});
  Daemon gw = StartGateway("gw-A", server.address, "", {"--metrics-listen", "127.0.0.1:0"});
  const int server_port = MetricsPort(server), gw_port = MetricsPort(gw);
  ASSERT_GT(server_port, 0);
  ASSERT_GT(gw_port, 0);
  for (const char* entity : {"headset-1", "headset-2", "headset-3"}) {
    const RunResult r = Request(gw.address, entity, "alice");
    ASSERT_EQ(r.exit_code, 0) << r.err << gw.process->log();
  }

  const std::string gw_scrape = Scrape(gw_port);
  const std::string assign = "cpns.v1.EUKeyService";
  EXPECT_EQ(Sample(gw_scrape, Grpc("grpc_server_started_total", assign, "AssignEUKey")), 3)
      << gw_scrape;
  EXPECT_EQ(Sample(gw_scrape, Grpc("grpc_server_handled_total", assign, "AssignEUKey", "OK")), 3);
  EXPECT_EQ(Sample(gw_scrape, Grpc("grpc_server_handled_total", assign, "AssignEUKey",
                                   "UNAVAILABLE")),
            0);
  EXPECT_EQ(Sample(gw_scrape,
                   Grpc("grpc_server_handling_seconds_count", assign, "AssignEUKey")), 3);
  EXPECT_EQ(Sample(gw_scrape, "cpns_build_info{program=\"cpns-gw\",version=\"" CPNS_VERSION
                              "\"}"),
            1)
      << gw_scrape;

  // The gateway's own metrics.
  EXPECT_EQ(Sample(gw_scrape, "cpns_eukey_assignments_total{result=\"ok\"}"), 3);
  EXPECT_EQ(Sample(gw_scrape, "cpns_gateway_first_seed_requests_total{result=\"ok\"}"), 1);
  EXPECT_EQ(Sample(gw_scrape, "cpns_gateway_seed_epoch"), 1);
  EXPECT_GT(Sample(gw_scrape, "cpns_gateway_seed_expiry_timestamp_seconds"),
            absl::ToUnixSeconds(absl::Now()));
  EXPECT_EQ(Sample(gw_scrape, "cpns_gateway_upstream_up"), 1);

  // The three assignments made one 1st Seed Request (the gateway's cache).
  const std::string server_scrape = Scrape(server_port);
  const std::string seeds = "cpns.v1.FirstSeedService";
  EXPECT_EQ(Sample(server_scrape, Grpc("grpc_server_started_total", seeds, "RequestFirstSeed")),
            1)
      << server_scrape;
  EXPECT_EQ(
      Sample(server_scrape, Grpc("grpc_server_handled_total", seeds, "RequestFirstSeed", "OK")), 1);
  EXPECT_EQ(Sample(server_scrape, "cpns_build_info{program=\"cpns-server\",version=\"" CPNS_VERSION
                                  "\"}"),
            1);
}

TEST_F(FlowTest, ServerRoleMetricsCountWhatHappened) {
  Daemon server = StartServer({"--metrics-listen", "127.0.0.1:0"});
  Daemon gw = StartGateway("gw-A", server.address);
  const std::string key_file = dir_ + "/headset.key";
  ASSERT_EQ(Request(gw.address, "headset", "alice", {"--save", key_file}).exit_code, 0);
  ASSERT_EQ(Request(gw.address, "headset-2", "alice").exit_code, 0);
  for (int i = 0; i < 2; ++i) {
    const RunResult r = RunProgram({Program("cpns-pne"), "authenticate", "--key-file", key_file,
                                    "--server", server.address, "--server-ca", Pki("ca.crt")});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  // One refusal: a request that names nothing.
  auto stub = cpns::v1::AuthService::NewStub(grpc::CreateChannel(
      server.address, *wire::MakeChannelCredentials({.ca_file = Pki("ca.crt")})));
  grpc::ClientContext ctx;
  cpns::v1::AuthenticateResponse response;
  ASSERT_EQ(stub->Authenticate(&ctx, {}, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  const std::string scrape = Scrape(MetricsPort(server));
  EXPECT_EQ(Sample(scrape, "cpns_first_seeds_issued_total"), 1) << scrape;
  EXPECT_EQ(Sample(scrape, "cpns_auth_requests_total{result=\"ok\"}"), 2) << scrape;
  EXPECT_EQ(Sample(scrape, "cpns_auth_requests_total{result=\"invalid_argument\"}"), 1);
  EXPECT_EQ(Sample(scrape, "cpns_store_up"), 1);
  EXPECT_EQ(Sample(scrape, "cpns_store_operation_duration_seconds_count{backend=\"sqlite\","
                           "op=\"get_or_create_active\"}"),
            1);
  // Each accepted authentication read one row and spent one challenge.
  EXPECT_EQ(Sample(scrape, "cpns_store_operation_duration_seconds_count{backend=\"sqlite\","
                           "op=\"lookup_for_auth\"}"),
            2);
}

// A gateway the server refuses (another gateway's certificate): its
// requests fail, and the metrics say why without naming who asked; the
// upstream is up, since the server answered.
TEST_F(FlowTest, GatewayMetricsShowARefusedUpstream) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address, "gw-B", {"--metrics-listen", "127.0.0.1:0"});
  const RunResult r = Request(gw.address, "headset-1", "alice");
  ASSERT_NE(r.exit_code, 0);
  const std::string scrape = Scrape(MetricsPort(gw));
  EXPECT_EQ(Sample(scrape, "cpns_eukey_assignments_total{result=\"ok\"}"), 0) << scrape;
  EXPECT_EQ(Sample(scrape, "cpns_eukey_assignments_total{result=\"no-seed\"}"), 1) << scrape;
  EXPECT_GE(Sample(scrape, "cpns_gateway_first_seed_requests_total{result=\"permission_denied\"}"),
            1);
  EXPECT_EQ(Sample(scrape, "cpns_gateway_upstream_up"), 1) << "a refusal is the server answering";
  EXPECT_EQ(Sample(scrape, "cpns_gateway_seed_epoch"), 0);
  EXPECT_EQ(scrape.find("headset"), std::string::npos);
  EXPECT_EQ(scrape.find("alice"), std::string::npos);
}

TEST_F(FlowTest, HealthzAndReadyzOfBothDaemons) {
  Daemon server = StartServer({"--metrics-listen", "127.0.0.1:0"});
  Daemon gw = StartGateway("gw-A", server.address, "", {"--metrics-listen", "127.0.0.1:0"});
  for (const int port : {MetricsPort(server), MetricsPort(gw)}) {
    absl::StatusOr<HttpResponse> health = HttpGet(port, "/healthz");
    ASSERT_TRUE(health.ok()) << health.status();
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(health->body, "ok\n");
    absl::StatusOr<HttpResponse> ready = HttpGet(port, "/readyz");
    ASSERT_TRUE(ready.ok()) << ready.status();
    EXPECT_EQ(ready->status, 200);
    EXPECT_EQ(HttpGet(port, "/nothing-here")->status, 404);
  }
}

TEST_F(FlowTest, NoMetricsListenerUnlessAsked) {
  Daemon server = StartServer();
  EXPECT_EQ(server.ready.find("metrics_port"), std::string::npos) << server.ready;
}

TEST_F(FlowTest, ABadMetricsListenAddressStopsTheStart) {
  const RunResult r = RunProgram({Program("cpns-server"), "serve", "--listen", "127.0.0.1:0",
                                  "--db", db_, "--cert", Pki("server.crt"), "--key",
                                  Pki("server.key"), "--client-ca", Pki("ca.crt"),
                                  "--metrics-listen", "metrics.example:9464"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--metrics-listen metrics.example:9464"), std::string::npos) << r.err;
}

// The exposition of a real scrape passes Prometheus' own linter.
TEST_F(FlowTest, ScrapesPassPromtoolCheckMetrics) {
  Daemon server = StartServer({"--metrics-listen", "127.0.0.1:0"});
  Daemon gw = StartGateway("gw-A", server.address, "", {"--metrics-listen", "127.0.0.1:0"});
  ASSERT_EQ(Request(gw.address, "headset-1", "alice").exit_code, 0);
  for (const auto& [name, port] :
       {std::pair{"server", MetricsPort(server)}, std::pair{"gw", MetricsPort(gw)}}) {
    const std::string file = absl::StrCat(dir_, "/", name, ".prom");
    std::ofstream(file) << Scrape(port);
    const RunResult check =
        RunProgram({"/bin/sh", "-c", absl::StrCat("promtool check metrics < ", file, " 2>&1")});
    EXPECT_EQ(check.exit_code, 0) << name << ": " << check.out << check.err;
  }
}

}  // namespace
}  // namespace cpns::test
