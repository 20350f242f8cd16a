#include "gateway/seed_file.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"

namespace cpns::gateway {
namespace {

constexpr absl::string_view kMagic = "cpns-gateway-first-seed 1";

absl::Status Malformed(const std::string& path, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("seed file ", path, " is malformed: ", why));
}

}  // namespace

absl::StatusOr<FirstSeed> LoadSeedFile(const std::string& path, const GatewayId& gw_id) {
  absl::StatusOr<SecretBytes> contents = ReadSecretFile(path);
  if (!contents.ok()) return contents.status();
  std::vector<absl::string_view> lines =
      absl::StrSplit(contents->RevealSecret(), '\n', absl::SkipEmpty());
  if (lines.size() != 4 || lines[0] != kMagic) return Malformed(path, "unknown format");
  std::vector<absl::string_view> gw = absl::StrSplit(lines[1], absl::MaxSplits(' ', 1));
  std::vector<absl::string_view> epoch = absl::StrSplit(lines[2], absl::MaxSplits(' ', 1));
  std::vector<absl::string_view> seed = absl::StrSplit(lines[3], absl::MaxSplits(' ', 1));
  if (gw.size() != 2 || gw[0] != "gw_id" || epoch.size() != 2 || epoch[0] != "seed_epoch" ||
      seed.size() != 2 || seed[0] != "first_seed") {
    return Malformed(path, "missing field");
  }
  if (gw[1] != gw_id.value()) {
    return absl::FailedPreconditionError(absl::StrCat("seed file ", path, " belongs to gateway '",
                                                      gw[1], "', not '", gw_id.value(), "'"));
  }
  uint32_t seed_epoch = 0;
  if (!absl::SimpleAtoi(epoch[1], &seed_epoch) || seed_epoch == 0) {
    return Malformed(path, "bad seed_epoch");
  }
  absl::StatusOr<SecretBytes> bytes = HexDecodeSecret("first_seed", seed[1]);
  if (!bytes.ok() || bytes->size() != kFirstSeedSize) return Malformed(path, "bad first_seed");
  return FirstSeed{gw_id, seed_epoch, std::move(*bytes)};
}

absl::Status SaveSeedFile(const std::string& path, const FirstSeed& seed) {
  std::string hex = HexEncode(seed.first_seed.RevealSecret());
  std::string text = absl::StrCat(kMagic, "\ngw_id ", seed.gw_id.value(), "\nseed_epoch ",
                                  seed.seed_epoch, "\nfirst_seed ", hex, "\n");
  absl::Status s = WriteFileAtomically(path, text, 0600);
  WipeString(hex);
  WipeString(text);
  return s;
}

}  // namespace cpns::gateway
