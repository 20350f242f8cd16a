// The gateway's seed file (src/gateway/seed_file.*), plain and sealed, read
// through the real loader from a scratch file with mode 0600. The gateway is
// kGatewayId and its key 32 bytes of kSealKeyByte (fixtures.h).
// Properties: what loads belongs to this gateway, with epoch >= 1 and a
// 32-byte seed; saved again (plain and sealed) it loads back unchanged.
#include <string>

#include "fixtures.h"
#include "fuzz_util.h"
#include "gateway/seed_file.h"

namespace {

using cpns::fuzz::Check;
using cpns::gateway::FirstSeed;

const cpns::SecretBytes& SealKey() {
  static const cpns::SecretBytes* key =
      new cpns::SecretBytes(cpns::SecretBytes::CopyFrom(std::string(32, cpns::fuzz::kSealKeyByte)));
  return *key;
}

bool Same(const FirstSeed& a, const FirstSeed& b) {
  return a.gw_id == b.gw_id && a.seed_epoch == b.seed_epoch && a.first_seed == b.first_seed &&
         a.created_at == b.created_at && a.expires_at == b.expires_at;
}

void CheckSavedAgain(const FirstSeed& seed, const cpns::GatewayId& gw_id) {
  const std::string path = cpns::fuzz::ScratchDir() + "/saved";
  for (const cpns::SecretBytes* key : {static_cast<const cpns::SecretBytes*>(nullptr), &SealKey()}) {
    Check(cpns::gateway::SaveSeedFile(path, seed, key).ok());
    const auto back = cpns::gateway::LoadSeedFile(path, gw_id, key);
    Check(back.ok() && Same(*back, seed));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const cpns::GatewayId* gw_id =
      new cpns::GatewayId(*cpns::GatewayId::Parse(cpns::fuzz::kGatewayId));
  const std::string path = cpns::fuzz::WriteScratchFile("seed", cpns::fuzz::AsText(data, size));
  for (const cpns::SecretBytes* key : {static_cast<const cpns::SecretBytes*>(nullptr), &SealKey()}) {
    const auto seed = cpns::gateway::LoadSeedFile(path, *gw_id, key);
    if (!seed.ok()) continue;
    Check(seed->gw_id == *gw_id && seed->seed_epoch >= 1 && seed->first_seed.size() == 32);
    CheckSavedAgain(*seed, *gw_id);
  }
  return 0;
}
