// EUKey assignments per second through the real gateway stack: cpns-pne's
// client library -> gRPC over a Unix socket -> EUKeyService with a held
// 1st seed (steps 1, 2, 6, 7; the server is not involved once the seed is held).
#include <benchmark/benchmark.h>
#include <spdlog/spdlog.h>

#include <sys/stat.h>

#include <cstdlib>

#include "cpns/assignee/eukey_client.h"
#include "gateway/gateway.h"
#include "gateway/seed_file.h"
#include "pki/dev_pki.h"

namespace cpns {
namespace {

struct Rig {
  RealClock clock;
  std::unique_ptr<gateway::Gateway> gw;
  std::unique_ptr<assignee::EUKeyClient> client;

  Rig() {
    spdlog::set_level(spdlog::level::warn);  // one info line per assignment otherwise
    std::string tmpl = "/tmp/cpns_assign_bench_XXXXXX";
    const std::string dir = mkdtemp(tmpl.data());
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

void BM_AssignEUKeyOverUnixSocket(benchmark::State& state) {
  static Rig* rig = new Rig();  // shared by the threads; lives until exit
  const Assignee a{EntityType::kPne, *EntityId::Parse("headset"), *UserId::Parse("alice")};
  for (auto _ : state) {
    auto r = rig->client->Request(a, absl::Seconds(10), SecretBytes());
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AssignEUKeyOverUnixSocket)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace cpns

BENCHMARK_MAIN();
