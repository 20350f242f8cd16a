// The gateway's step 2 on the hot path: a held 1st seed served to many threads.
#include <benchmark/benchmark.h>

#include "gateway/seed_cache.h"

namespace cpns::gateway {
namespace {

class FixedSource final : public FirstSeedSource {
 public:
  absl::StatusOr<FirstSeed> Fetch(absl::Time, uint32_t) override {
    return FirstSeed{*GatewayId::Parse("gw-bench"), 1, SecretBytes(32)};
  }
  absl::StatusOr<SeedStatus> Status(absl::Time, uint32_t) override {
    return absl::UnimplementedError("not used");
  }
};

void BM_HeldSeedGet(benchmark::State& state) {
  static FixedSource source;
  static RealClock clock;
  static SeedCache cache(*GatewayId::Parse("gw-bench"), source, "", clock);
  const absl::Time deadline = absl::InfiniteFuture();
  for (auto _ : state) benchmark::DoNotOptimize(cache.Get(deadline));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HeldSeedGet)->Threads(1)->Threads(2)->Threads(8)->UseRealTime();

}  // namespace
}  // namespace cpns::gateway

BENCHMARK_MAIN();
