// Authentications per second, directly at the CPNS Server over TLS: the
// assignee's client library (GetChallenge, then Authenticate with a proof)
// -> gRPC over server-authenticated TLS on 127.0.0.1 -> a real CpnsServer on
// a real SQLite store file (WAL, synchronous=FULL), with the dev PKI's
// certificates. Each iteration is one whole authentication; its challenge is
// consumed (a durable write) before the answer.
#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <optional>

#include "cpns/assignee/auth_client.h"
#include "cpns/core/kdf.h"
#include "pki/dev_pki.h"
#include "server/cpns_server.h"
#include "storage/kek.h"
#include "storage/sqlite_seed_store.h"

namespace cpns {
namespace {

template <typename T>
T Must(absl::StatusOr<T> v, const char* what) {
  if (!v.ok()) {
    fprintf(stderr, "auth_bench: %s: %s\n", what, v.status().ToString().c_str());
    std::abort();
  }
  return std::move(*v);
}

void Must(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    fprintf(stderr, "auth_bench: %s: %s\n", what, s.ToString().c_str());
    std::abort();
  }
}

// The server logs one info line per authentication, as in production; it is
// formatted but goes nowhere.
void QuietLogs() {
  auto logger = std::make_shared<spdlog::logger>("bench",
                                                 std::make_shared<spdlog::sinks::null_sink_mt>());
  logger->set_level(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

struct Rig {
  RealClock clock;
  std::string dir;
  storage::KeyRing keys = Must(storage::KeyRing::Create({Must(storage::Kek::Generate(), "KEK")}),
                               "key ring");
  std::unique_ptr<storage::SqliteSeedStore> store;
  std::unique_ptr<server::CpnsServer> server;
  std::unique_ptr<assignee::AuthClient> client;
  std::optional<assignee::EUKeyAssignment> key;  // set once the seed is stored

  Rig() {
    QuietLogs();
    std::string tmpl = "/tmp/cpns_auth_bench_XXXXXX";
    dir = mkdtemp(tmpl.data());
    Must(pki::WriteDevelopmentPki({.out_dir = dir + "/pki", .server_name = "localhost",
                                   .gateway_ids = {"gw-bench"}}),
         "dev PKI");
    store = Must(storage::SqliteSeedStore::Open(dir + "/store.db",
                                                {.keys = &keys, .migrate = true}, clock),
                 "store");
    key.emplace(MakeKey(*store));
    server = Must(server::CpnsServer::Start(
                      {.listen = "127.0.0.1:0",
                       .tls = {.cert_file = dir + "/pki/server.crt",
                               .key_file = dir + "/pki/server.key",
                               .client_ca_file = dir + "/pki/ca.crt",
                               .client_cert = wire::ClientCertPolicy::kOptional}},
                      *store, clock),
                  "server");
    client = Must(assignee::AuthClient::Create(
                      {.target = "127.0.0.1:" + std::to_string(server->port()),
                       .ca_file = dir + "/pki/ca.crt"}),
                  "client");
  }

  // An EUKey as the gateway would assign it from the stored 1st seed.
  assignee::EUKeyAssignment MakeKey(storage::SeedStore& s) {
    const GatewayId gw = Must(GatewayId::Parse("gw-bench"), "gw_id");
    storage::StoredSeed seed = Must(s.GetOrCreateActive(gw), "1st seed");
    const Assignee a{EntityType::kPne, Must(EntityId::Parse("headset"), "entity"),
                     Must(UserId::Parse("alice"), "user")};
    const int64_t not_after = absl::ToUnixSeconds(clock.Now() + absl::Hours(24 * 30));
    SecretBytes second = Must(DeriveSecondSeed(seed.first_seed, gw, a, std::string(16, 'n')),
                              "2nd seed");
    SecretBytes eukey = Must(
        DeriveEUKey(seed.first_seed, second, {gw, seed.seed_epoch, a, not_after}), "EUKey");
    return {gw, seed.seed_epoch, a, not_after, std::move(second), std::move(eukey)};
  }
};

Rig& TheRig() {
  static Rig* rig = new Rig();  // shared by the threads; lives until exit
  return *rig;
}

void BM_AuthenticateDirectTls(benchmark::State& state) {
  Rig& rig = TheRig();
  for (auto _ : state) {
    const absl::Status s = rig.client->Authenticate(*rig.key, absl::Seconds(10));
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AuthenticateDirectTls)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace cpns

BENCHMARK_MAIN();
