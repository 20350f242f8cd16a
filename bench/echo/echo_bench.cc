// The bare echo alone, over a Unix socket, at the sizes of an EUKey
// assignment (18-byte request, 103-byte response): a check of the ceiling
// itself. The cpns benchmarks run the same echo in their own binaries.
#include <benchmark/benchmark.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <cstdlib>
#include <string>

#include "echo/echo.h"

namespace cpns::bench {
namespace {

struct UnixEcho {
  std::unique_ptr<EchoServer> server;
  std::unique_ptr<EchoClient> client;

  UnixEcho() {
    std::string tmpl = "/tmp/cpns_echo_bench_XXXXXX";
    const std::string dir = ::mkdtemp(tmpl.data());
    server = std::move(*EchoServer::Start("unix:" + dir + "/echo.sock",
                                          grpc::InsecureServerCredentials()));
    client = std::make_unique<EchoClient>(
        grpc::CreateChannel(server->address(), grpc::InsecureChannelCredentials()));
  }
};

void BM_EchoOverUnixSocket(benchmark::State& state) {
  static UnixEcho* echo = new UnixEcho();  // shared by the threads; lives until exit
  for (auto _ : state) {
    absl::Status s = echo->client->Call({.request_bytes = 18, .response_bytes = 103});
    if (!s.ok()) state.SkipWithError(std::string(s.message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EchoOverUnixSocket)->Threads(1)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace cpns::bench

BENCHMARK_MAIN();
