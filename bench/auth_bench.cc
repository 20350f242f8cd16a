// Authentications per second, directly at the CPNS Server over TLS: the
// assignee's client library (GetChallenge, then Authenticate with a proof)
// -> gRPC over server-authenticated TLS on 127.0.0.1 -> a real CpnsServer on
// a real SQLite store file under $CPNS_BENCH_DIR (default /tmp), with the dev
// PKI's certificates. Each iteration is one whole authentication; its
// challenge is recorded as used before the answer.
//
// Its ceiling, BM_EchoPairOverTls: two calls of the bare gRPC echo
// (bench/echo) per iteration, with the serialized sizes of GetChallenge's
// and Authenticate's requests and responses, served with the same TLS
// credentials (the server's ReloadableServerTls, the same files) and called
// over the channel the client library makes.
#include <benchmark/benchmark.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sys/resource.h>

#include <cstdlib>
#include <optional>

#include "absl/synchronization/mutex.h"
#include "assignee/channel.h"
#include "cpns/assignee/auth_client.h"
#include "cpns/v1/cpns.pb.h"
#include "echo/echo.h"
#include "wire/messages.h"
#include "wire/tls_reload.h"
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
  absl::Mutex mu;  // StartServer

  Rig() {
    QuietLogs();
    const char* base = std::getenv("CPNS_BENCH_DIR");
    std::string tmpl = std::string(base != nullptr ? base : "/tmp") + "/cpns_auth_bench_XXXXXX";
    dir = mkdtemp(tmpl.data());
    Must(pki::WriteDevelopmentPki({.out_dir = dir + "/pki", .server_name = "localhost",
                                   .gateway_ids = {"gw-bench"}}),
         "dev PKI");
    store = Must(storage::SqliteSeedStore::Open(dir + "/store.db",
                                                {.keys = &keys, .migrate = true}, clock),
                 "store");
    key.emplace(MakeKey(*store));
  }

  // The CPNS Server and its client, started by the first caller. Only the
  // authentication benchmark starts them: an idle server's gRPC threads in
  // the echo's process would take turns at the process's one epoll set with
  // the echo's, and slow the ceiling down (each benchmark runs in a process
  // of its own under bench/run.py).
  void StartServer() {
    absl::MutexLock lock(&mu);
    if (server != nullptr) return;
    server = Must(server::CpnsServer::Start({.listen = "127.0.0.1:0", .tls = ServerTls()},
                                            *store, clock),
                  "server");
    client = Must(assignee::AuthClient::Create(
                      {.target = "127.0.0.1:" + std::to_string(server->port()),
                       .ca_file = dir + "/pki/ca.crt"}),
                  "client");
  }

  // As cpns-server serve has it: an assignee needs no client certificate.
  wire::ServerTlsOptions ServerTls() const {
    return {.cert_file = dir + "/pki/server.crt",
            .key_file = dir + "/pki/server.key",
            .client_ca_file = dir + "/pki/ca.crt",
            .client_cert = wire::ClientCertPolicy::kOptional};
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

// The whole process's CPU time (client, server, every thread) per item, as a
// counter set by the first thread: where an item's cost goes, besides waits.
class ProcessCpu {
 public:
  explicit ProcessCpu(const benchmark::State& state) : first_(state.thread_index() == 0) {
    if (first_) start_ = Now();
  }
  void Report(benchmark::State& state, int64_t items) const {
    if (first_ && items > 0) {
      state.counters["process_cpu_us"] =
          absl::ToDoubleMicroseconds(Now() - start_) / static_cast<double>(items);
    }
  }

 private:
  static absl::Duration Now() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return absl::DurationFromTimeval(u.ru_utime) + absl::DurationFromTimeval(u.ru_stime);
  }
  bool first_;
  absl::Duration start_;
};

Rig& TheRig() {
  static Rig* rig = new Rig();  // shared by the threads; lives until exit
  return *rig;
}

// The two calls' shapes, from messages as the client and server fill them
// (a 41-byte challenge, the rig's identifiers, 32-byte seeds and proof).
struct PairShapes {
  bench::EchoShape challenge;
  bench::EchoShape authenticate;
};
PairShapes MeasureShapes(const assignee::EUKeyAssignment& key, absl::Time now) {
  cpns::v1::ChallengeResponse challenge;
  challenge.set_challenge(std::string(41, 'c'));
  challenge.set_expires_at(absl::ToUnixSeconds(now + absl::Seconds(60)));
  cpns::v1::AuthenticateRequest request;
  request.set_challenge(challenge.challenge());
  request.set_client_nonce(std::string(kNonceSize, 'n'));
  request.set_gw_id(key.gw_id.value());
  request.set_seed_epoch(key.seed_epoch);
  request.set_entity_type(wire::ToProto(key.assignee.entity_type));
  request.set_entity_id(key.assignee.entity_id.value());
  request.set_user_id(key.assignee.user_id.value());
  request.set_second_seed(std::string(kSecondSeedSize, 's'));
  request.set_not_after(key.not_after);
  request.set_proof(std::string(kEUKeySize, 'p'));
  cpns::v1::AuthenticateResponse response;
  response.set_gw_id(request.gw_id());
  response.set_seed_epoch(request.seed_epoch());
  response.set_entity_id(request.entity_id());
  response.set_user_id(request.user_id());
  response.set_not_after(request.not_after());
  // A ChallengeRequest is empty; an echo request carries at least the size
  // of its response (2 bytes), the nearest it can come.
  const size_t challenge_request = std::max<size_t>(cpns::v1::ChallengeRequest().ByteSizeLong(), 2);
  return {{challenge_request, challenge.ByteSizeLong()},
          {request.ByteSizeLong(), response.ByteSizeLong()}};
}

struct EchoPair {
  std::unique_ptr<wire::ReloadableServerTls> tls;
  std::unique_ptr<bench::EchoServer> server;
  std::unique_ptr<bench::EchoClient> client;
  PairShapes shapes;

  explicit EchoPair(Rig& rig) : shapes(MeasureShapes(*rig.key, rig.clock.Now())) {
    tls = Must(wire::ReloadableServerTls::Create(rig.ServerTls()), "echo TLS");
    server = Must(bench::EchoServer::Start("127.0.0.1:0", tls->credentials()), "echo server");
    client = std::make_unique<bench::EchoClient>(
        Must(assignee::MakeChannel("--server", server->address(), rig.dir + "/pki/ca.crt", ""),
             "echo channel"));
    fprintf(stderr, "echo pair: GetChallenge %zu B -> %zu B, Authenticate %zu B -> %zu B\n",
            shapes.challenge.request_bytes, shapes.challenge.response_bytes,
            shapes.authenticate.request_bytes, shapes.authenticate.response_bytes);
  }
};

void BM_AuthenticateOverTls(benchmark::State& state) {
  Rig& rig = TheRig();
  rig.StartServer();
  const ProcessCpu cpu(state);
  for (auto _ : state) {
    const absl::Status s = rig.client->Authenticate(*rig.key, absl::Seconds(10));
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  cpu.Report(state, state.iterations() * state.threads());
}
BENCHMARK(BM_AuthenticateOverTls)->Threads(1)->Threads(4)->UseRealTime();

void BM_EchoPairOverTls(benchmark::State& state) {
  static EchoPair* echo = new EchoPair(TheRig());  // shared by the threads; lives until exit
  const ProcessCpu cpu(state);
  for (auto _ : state) {
    absl::Status s = echo->client->Call(echo->shapes.challenge);
    if (s.ok()) s = echo->client->Call(echo->shapes.authenticate);
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  cpu.Report(state, state.iterations() * state.threads());
}
BENCHMARK(BM_EchoPairOverTls)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace cpns

BENCHMARK_MAIN();
