// EUKey assignments per second through the real gateway stack: cpns-pne's
// client library -> gRPC over a Unix socket -> EUKeyService with a held
// 1st seed (steps 1, 2, 6, 7; the server is not involved once the seed is
// held), open admission, no rate limits, the owner's record kept in
// gateway.db; and its ceiling, the bare gRPC echo over a Unix socket with the
// same message sizes (18-byte request, 103-byte response) and threads.
// BM_RecordAssignment is the owner's record alone, for the profile.
// Both report items_per_second, the latency of one call (p50_us, p99_us:
// each thread's percentile, averaged over the threads) and the CPU time of
// the whole process (client and server) per call (cpu_us).
#include <benchmark/benchmark.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <spdlog/spdlog.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "cpns/assignee/eukey_client.h"
#include "echo/echo.h"
#include "gateway/gateway.h"
#include "gateway/seed_file.h"
#include "gateway/state_db.h"
#include "pki/dev_pki.h"

namespace cpns {
namespace {

std::string NewTempDir() {
  std::string tmpl = "/tmp/cpns_assign_bench_XXXXXX";
  return ::mkdtemp(tmpl.data());
}

struct Rig {
  RealClock clock;
  std::unique_ptr<gateway::Gateway> gw;
  std::unique_ptr<assignee::EUKeyClient> client;

  Rig() {
    spdlog::set_level(spdlog::level::warn);  // one info line per assignment otherwise
    const std::string dir = NewTempDir();
    (void)pki::WriteDevelopmentPki({.out_dir = dir + "/pki", .server_name = "unused",
                                    .gateway_ids = {"gw-bench"}});
    const GatewayId id = *GatewayId::Parse("gw-bench");
    (void)EnsureState(dir + "/state", id);
    gateway::GatewayOptions o{.gw_id = "gw-bench",
                              .server = {.server = "127.0.0.1:1",
                                         .tls = {.ca_file = dir + "/pki/ca.crt",
                                                 .cert_file = dir + "/pki/gw-gw-bench.crt",
                                                 .key_file = dir + "/pki/gw-gw-bench.key"}},
                              .state_dir = dir + "/state",
                              .pn_listen = {"unix:" + dir + "/gw.sock"},
                              .admission = {.mode = gateway::AdmissionMode::kOpen,
                                            .per_peer_per_minute = 0,
                                            .per_entity_per_minute = 0}};
    gw = std::move(*gateway::Gateway::Start(o, clock));
    client = std::move(*assignee::EUKeyClient::Create({.gateway = "unix:" + dir + "/gw.sock"}));
  }
  static absl::Status EnsureState(const std::string& state, const GatewayId& id) {
    ::mkdir(state.c_str(), 0700);
    return gateway::SaveSeedFile(state + "/first_seed",
                                 {id, 1, SecretBytes::CopyFrom(std::string(32, 's'))});
  }
};

struct UnixEcho {
  std::unique_ptr<bench::EchoServer> server;
  std::unique_ptr<bench::EchoClient> client;

  UnixEcho() {
    server = std::move(*bench::EchoServer::Start("unix:" + NewTempDir() + "/echo.sock",
                                                 grpc::InsecureServerCredentials()));
    client = std::make_unique<bench::EchoClient>(
        grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  }
};

double ProcessCpuMicros() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  const auto us = [](const timeval& t) { return t.tv_sec * 1e6 + t.tv_usec; };
  return us(u.ru_utime) + us(u.ru_stime);
}

// Runs `call` once per iteration, timing each; sets items_per_second, this
// thread's p50_us and p99_us (averaged over the threads) and cpu_us.
template <typename Call>
void RunTimed(benchmark::State& state, Call call) {
  std::vector<double> us;
  us.reserve(1 << 16);
  const double cpu_start = ProcessCpuMicros();
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    const absl::Status s = call();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
                     .count());
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  const double cpu = ProcessCpuMicros() - cpu_start;
  state.SetItemsProcessed(state.iterations());
  if (us.empty()) return;
  // Every thread saw the whole process's time over about the same span.
  state.counters["cpu_us"] = benchmark::Counter(
      cpu / static_cast<double>(state.iterations() * state.threads()),
      benchmark::Counter::kAvgThreads);
  std::sort(us.begin(), us.end());
  const auto at = [&](double q) { return us[static_cast<size_t>(q * (us.size() - 1))]; };
  state.counters["p50_us"] = benchmark::Counter(at(0.50), benchmark::Counter::kAvgThreads);
  state.counters["p99_us"] = benchmark::Counter(at(0.99), benchmark::Counter::kAvgThreads);
}

void BM_AssignEUKeyOverUnixSocket(benchmark::State& state) {
  static Rig* rig = new Rig();  // shared by the threads; lives until exit
  const Assignee a{EntityType::kPne, *EntityId::Parse("headset"), *UserId::Parse("alice")};
  RunTimed(state, [&] {
    return rig->client->Request(a, absl::Seconds(10), SecretBytes()).status();
  });
}
BENCHMARK(BM_AssignEUKeyOverUnixSocket)->Threads(1)->Threads(4)->UseRealTime();

// The owner's record alone, as the handler writes it: the part of an
// assignment's time that is the state database's.
void BM_RecordAssignment(benchmark::State& state) {
  static RealClock clock;
  static gateway::GatewayStateDb* db = [] {
    const std::string dir = NewTempDir();
    return gateway::GatewayStateDb::Open(dir, clock)->release();
  }();
  const gateway::AssignmentRecord r{.at = clock.Now(),
                                    .assignee = {EntityType::kPne, *EntityId::Parse("headset"),
                                                 *UserId::Parse("alice")},
                                    .seed_epoch = 1,
                                    .second_seed_fingerprint = std::string(32, 'f'),
                                    .not_after = 1,
                                    .admitted_by = "open",
                                    .peer = "uid:1000"};
  RunTimed(state, [&] { return db->RecordAssignment(r); });
}
BENCHMARK(BM_RecordAssignment)->Threads(1)->Threads(4)->UseRealTime();

// The ceiling: what gRPC alone costs for a call of the same shape.
void BM_EchoOverUnixSocket(benchmark::State& state) {
  static UnixEcho* echo = new UnixEcho();  // shared by the threads; lives until exit
  RunTimed(state, [&] { return echo->client->Call({.request_bytes = 18, .response_bytes = 103}); });
}
BENCHMARK(BM_EchoOverUnixSocket)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace cpns

BENCHMARK_MAIN();
