// Cost of pairing by code (PROTOCOL.md section 11), and its ceiling.
//
// The gateway's part of one exchange, BM_GatewayPairingExchange (y, shareV,
// then Z, V, the transcript, the keys and the check of confirmP: five P-256
// multiplications and an HKDF), is compared with BM_EcdhP256Ceiling, one
// ephemeral ECDH on P-256 through EVP (a key pair and a derivation: the
// least any key agreement costs, two multiplications). The device's PBKDF2
// of a code at the default count is BM_DevicePbkdf2Default; it is also what
// `cpns-gw pair add` spends once per code. Run:
//   cpns_pairing_bench --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <string>

#include "core/pairing.h"
#include "core/spake2plus.h"

namespace cpns {
namespace {

const Assignee kAssignee{EntityType::kPne, *EntityId::Parse("headset-42"),
                         *UserId::Parse("alice@example.com")};

struct Code {
  spake2plus::ProverSecrets secrets;
  spake2plus::VerifierRecord record;
  spake2plus::Identities ids;
};

const Code& TheCode() {
  static const Code* code = [] {
    auto* c = new Code;
    c->secrets = *pairing::ProverSecretsFromCode(SecretBytes::CopyFrom("7K3QF9M2XP"),
                                                 std::string(32, 's'), pairing::kMinIterations);
    c->record = *spake2plus::MakeVerifierRecord(c->secrets);
    c->ids = pairing::TranscriptIdentities(kAssignee, *GatewayId::Parse("gw-0001"));
    return c;
  }();
  return *code;
}

void BM_GatewayPairingExchange(benchmark::State& state) {
  const Code& c = TheCode();
  const spake2plus::Prover prover = *spake2plus::Prover::Start(c.secrets);
  // The device's confirmation is checked against a share made once: the
  // gateway's work does not depend on which device share it gets.
  for (auto _ : state) {
    spake2plus::Verifier verifier = *spake2plus::Verifier::Start(c.record);
    absl::StatusOr<spake2plus::Keys> keys = verifier.Finish(c.ids, prover.share());
    benchmark::DoNotOptimize(spake2plus::ConfirmationMatches(keys->confirm_p, keys->confirm_p));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_GatewayPairingExchange);

void BM_DevicePairingExchange(benchmark::State& state) {
  const Code& c = TheCode();
  const spake2plus::Verifier verifier = *spake2plus::Verifier::Start(c.record);
  for (auto _ : state) {
    spake2plus::Prover prover = *spake2plus::Prover::Start(c.secrets);
    benchmark::DoNotOptimize(prover.Finish(c.ids, verifier.share()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DevicePairingExchange);

void BM_EcdhP256Ceiling(benchmark::State& state) {
  EVP_PKEY* peer = EVP_EC_gen("P-256");
  for (auto _ : state) {
    EVP_PKEY* mine = EVP_EC_gen("P-256");
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(mine, nullptr);
    unsigned char secret[32];
    size_t len = sizeof secret;
    const bool ok = EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
                    EVP_PKEY_derive(ctx, secret, &len) == 1;
    benchmark::DoNotOptimize(ok);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(mine);
  }
  EVP_PKEY_free(peer);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EcdhP256Ceiling);

void BM_DevicePbkdf2Default(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(pairing::ProverSecretsFromCode(
        SecretBytes::CopyFrom("7K3QF9M2XP"), std::string(32, 's'), pairing::kDefaultIterations));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DevicePbkdf2Default)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace cpns

BENCHMARK_MAIN();
