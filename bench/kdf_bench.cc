// Cost of the key derivations of one assignment (step 6).
#include <benchmark/benchmark.h>

#include "cpns/core/kdf.h"
#include "cpns/core/random.h"

namespace cpns {
namespace {

const GatewayId kGw = *GatewayId::Parse("gw-0001");
const Assignee kAssignee{EntityType::kPne, *EntityId::Parse("headset-42"),
                         *UserId::Parse("alice@example.com")};

void BM_DeriveSecondSeed(benchmark::State& state) {
  const SecretBytes first(32);
  const std::string nonce(16, 'n');
  for (auto _ : state) benchmark::DoNotOptimize(DeriveSecondSeed(first, kGw, kAssignee, nonce));
}
BENCHMARK(BM_DeriveSecondSeed);

void BM_DeriveEUKey(benchmark::State& state) {
  const SecretBytes first(32), second(32);
  const AssignmentContext ctx{kGw, 1, kAssignee, 1767225600};
  for (auto _ : state) benchmark::DoNotOptimize(DeriveEUKey(first, second, ctx));
}
BENCHMARK(BM_DeriveEUKey);

// Everything step 6 does: nonce from the CSPRNG, 2nd seed, EUKey.
void BM_FullAssignmentDerivation(benchmark::State& state) {
  const SecretBytes first(32);
  const AssignmentContext ctx{kGw, 1, kAssignee, 1767225600};
  for (auto _ : state) {
    SecretBytes nonce = *SecureRandomBytes(kNonceSize);
    SecretBytes second = *DeriveSecondSeed(first, kGw, kAssignee, nonce.RevealSecret());
    benchmark::DoNotOptimize(DeriveEUKey(first, second, ctx));
  }
}
BENCHMARK(BM_FullAssignmentDerivation);

}  // namespace
}  // namespace cpns

BENCHMARK_MAIN();
