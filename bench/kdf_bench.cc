// Cost of the key derivations of one assignment (step 6), and their ceiling.
//
// The goal's ratio is BM_FullAssignmentDerivation (what the gateway does per
// assignment: a nonce, the 2nd seed from the held seed's prepared state, the
// EUKey) over BM_TwoHmacLimit (two HMAC-SHA-256 of the same input sizes with
// reused, pre-keyed EVP_MAC contexts, as `openssl speed -hmac sha256`
// measures). Both count one item per assignment. Run them interleaved:
//   cpns_kdf_bench --benchmark_filter='FullAssignmentDerivation|TwoHmacLimit'
//     --benchmark_repetitions=10 --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include <string>

#include "cpns/core/kdf.h"
#include "cpns/core/random.h"

namespace cpns {
namespace {

const GatewayId kGw = *GatewayId::Parse("gw-0001");
const Assignee kAssignee{EntityType::kPne, *EntityId::Parse("headset-42"),
                         *UserId::Parse("alice@example.com")};
const AssignmentContext kContext{kGw, 1, kAssignee, 1767225600};

void BM_DeriveSecondSeed(benchmark::State& state) {
  const SecretBytes first(32);
  const std::string nonce(16, 'n');
  for (auto _ : state) benchmark::DoNotOptimize(DeriveSecondSeed(first, kGw, kAssignee, nonce));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeriveSecondSeed);

void BM_SecondSeedDeriver(benchmark::State& state) {
  const std::shared_ptr<const SecondSeedDeriver> deriver = SecondSeedDeriver::Create(SecretBytes(32));
  const std::string nonce(16, 'n');
  for (auto _ : state) benchmark::DoNotOptimize(deriver->Derive(kGw, kAssignee, nonce));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SecondSeedDeriver);

void BM_DeriveEUKey(benchmark::State& state) {
  const SecretBytes first(32), second(32);
  for (auto _ : state) benchmark::DoNotOptimize(DeriveEUKey(first, second, kContext));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DeriveEUKey);

void BM_SecureRandomNonce(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(SecureRandomNonce(kNonceSize));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SecureRandomNonce);

// Step 6 with the one-shot functions: an unbuffered nonce, the 2nd seed keyed
// from scratch, the EUKey.
void BM_AssignmentDerivationOneShot(benchmark::State& state) {
  const SecretBytes first(32);
  for (auto _ : state) {
    SecretBytes nonce = *SecureRandomBytes(kNonceSize);
    SecretBytes second = *DeriveSecondSeed(first, kGw, kAssignee, nonce.RevealSecret());
    benchmark::DoNotOptimize(DeriveEUKey(first, second, kContext));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AssignmentDerivationOneShot);

// Step 6 as the gateway does it (gateway/eukey_service.cc) with its seed held.
void BM_FullAssignmentDerivation(benchmark::State& state) {
  const SecretBytes first(32);
  const std::shared_ptr<const SecondSeedDeriver> deriver = SecondSeedDeriver::Create(first);
  for (auto _ : state) {
    SecretBytes nonce = *SecureRandomNonce(kNonceSize);
    SecretBytes second = *deriver->Derive(kGw, kAssignee, nonce.RevealSecret());
    benchmark::DoNotOptimize(DeriveEUKey(first, second, kContext));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FullAssignmentDerivation);

// The length of S = FC || P0 || L0 || ... for these parameters.
size_t KdfInputSize(std::initializer_list<size_t> param_sizes) {
  size_t size = 1;
  for (size_t p : param_sizes) size += p + 2;
  return size;
}

// An HMAC-SHA-256 context of OpenSSL's, keyed once with `key_size` bytes.
EVP_MAC_CTX* KeyedHmac(EVP_MAC* mac, size_t key_size) {
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  const std::string key(key_size, 'k');
  EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(), params);
  return ctx;
}

void Mac(EVP_MAC_CTX* ctx, const std::string& message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t out_len = 0;
  EVP_MAC_init(ctx, nullptr, 0, nullptr);  // restart from the kept key state
  EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  EVP_MAC_final(ctx, out, &out_len, sizeof(out));
  benchmark::DoNotOptimize(out);
}

// The ceiling: the two HMACs of step 6 (inputs of the same sizes as the 2nd
// seed's and the EUKey's S, keys of 32 and 64 bytes) with reused, pre-keyed
// contexts and nothing else.
void BM_TwoHmacLimit(benchmark::State& state) {
  const std::string entity_type(EntityTypeName(kAssignee.entity_type));
  const std::string second_input(
      KdfInputSize({13, kGw.value().size(), entity_type.size(), kAssignee.entity_id.value().size(),
                    kAssignee.user_id.value().size(), kNonceSize}), 's');
  const std::string eukey_input(
      KdfInputSize({10, kGw.value().size(), 4, entity_type.size(),
                    kAssignee.entity_id.value().size(), kAssignee.user_id.value().size(), 8}), 'e');
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* first = KeyedHmac(mac, kFirstSeedSize);
  EVP_MAC_CTX* both = KeyedHmac(mac, kFirstSeedSize + kSecondSeedSize);
  for (auto _ : state) {
    Mac(first, second_input);
    Mac(both, eukey_input);
  }
  state.SetItemsProcessed(state.iterations());
  EVP_MAC_CTX_free(both);
  EVP_MAC_CTX_free(first);
  EVP_MAC_free(mac);
}
BENCHMARK(BM_TwoHmacLimit);

}  // namespace
}  // namespace cpns

BENCHMARK_MAIN();
