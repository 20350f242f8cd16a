// Sealed 1st seeds and server secrets as the store reads them back from a
// database row (src/storage/sealed_seed.*, src/storage/kek.*), under one
// fixed KEK (fixtures.h). Input: two bytes (which byte of a fresh sealed
// seed to change, and how), then the row "gw_id\nseed_epoch\nkek_id\n", then
// the sealed bytes.
// Properties: a row opens only to a 32-byte seed of its own gateway and
// epoch; a fresh sealed seed opens to the same seed for its own gateway and
// epoch only, and any changed byte of it is refused. A server secret
// round-trips under its name.
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "fixtures.h"
#include "fuzz_util.h"
#include "storage/sealed_seed.h"

namespace {

using cpns::fuzz::Check;
using cpns::storage::KeyRing;

const KeyRing& Keys() {
  static const KeyRing* keys = [] {
    auto kek = cpns::storage::Kek::FromHex("fuzz KEK", cpns::fuzz::kKekHex);
    Check(kek.ok());
    std::vector<cpns::storage::Kek> ring;
    ring.push_back(std::move(*kek));
    auto made = KeyRing::Create(std::move(ring));
    Check(made.ok());
    return new KeyRing(std::move(*made));
  }();
  return *keys;
}

cpns::storage::SeedRecord Record(const cpns::GatewayId& gw_id, uint32_t epoch, std::string kek_id) {
  return cpns::storage::SeedRecord{gw_id, epoch, absl::UnixEpoch(), cpns::storage::SeedState::kActive,
                                   std::move(kek_id), absl::InfiniteFuture()};
}

void CheckRoundTrip(const cpns::GatewayId& gw_id, uint32_t epoch, size_t flip, uint8_t mask) {
  const KeyRing& keys = Keys();
  const auto made = cpns::storage::MakeSealedSeed(&keys, gw_id, epoch);
  Check(made.ok());
  const auto opened = cpns::storage::OpenSealedSeed(&keys, Record(gw_id, epoch, made->kek_id),
                                                    made->sealed);
  Check(opened.ok() && opened->first_seed == made->seed && opened->seed_epoch == epoch);
  Check(!cpns::storage::OpenSealedSeed(&keys, Record(gw_id, epoch + 1, made->kek_id), made->sealed)
             .ok());
  if (mask != 0) {
    std::string changed = made->sealed;
    changed[flip % changed.size()] ^= static_cast<char>(mask);
    Check(!cpns::storage::OpenSealedSeed(&keys, Record(gw_id, epoch, made->kek_id), changed).ok());
  }
  const auto secret = cpns::storage::MakeSealedServerSecret(&keys, gw_id.value());
  Check(secret.ok());
  const auto back = cpns::storage::OpenSealedServerSecret(&keys, gw_id.value(), secret->sealed,
                                                          secret->kek_id);
  Check(back.ok() && *back == secret->seed);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const KeyRing& keys = Keys();
  const std::vector<absl::string_view> parts =
      absl::StrSplit(cpns::fuzz::AsText(data + 2, size - 2), absl::MaxSplits('\n', 3));
  if (parts.size() != 4) return 0;
  auto gw_id = cpns::GatewayId::Parse(parts[0]);
  uint32_t epoch = 0;
  if (!gw_id.ok() || !absl::SimpleAtoi(parts[1], &epoch)) return 0;
  const std::string kek_id(parts[2]);
  const absl::string_view sealed = parts[3];

  const auto opened = cpns::storage::OpenSealedSeed(&keys, Record(*gw_id, epoch, kek_id), sealed);
  if (opened.ok()) {
    Check(opened->first_seed.size() == 32 && opened->gw_id == *gw_id &&
          opened->seed_epoch == epoch);
  }
  (void)cpns::storage::OpenSealedServerSecret(&keys, gw_id->value(), sealed, kek_id);
  CheckRoundTrip(*gw_id, epoch, data[0], data[1]);
  return 0;
}
