#include "gateway/seed_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "core/aead.h"
#include "cpns/core/hex.h"
#include "cpns/core/random.h"
#include "cpns/core/kdf.h"

namespace cpns::gateway {
namespace {

constexpr absl::string_view kMagicV1 = "cpns-gateway-first-seed 1";
constexpr absl::string_view kMagicV2 = "cpns-gateway-first-seed 2";
constexpr absl::string_view kMagicSealed = "cpns-gateway-first-seed-sealed 1\n";

std::string SealingContext(const GatewayId& gw_id) {
  return absl::StrCat("cpns-gw-first-seed:", gw_id.value());
}

absl::Status Malformed(const std::string& path, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("seed file ", path, " is malformed: ", why));
}

// The values of the "key value" lines after the magic line, in the order the
// version writes them; empty if any is missing or out of place.
std::vector<absl::string_view> Values(const std::vector<absl::string_view>& lines,
                                      const std::vector<absl::string_view>& keys) {
  std::vector<absl::string_view> values;
  for (size_t i = 0; i < keys.size(); ++i) {
    absl::string_view line = lines[i + 1];
    if (!absl::ConsumePrefix(&line, keys[i]) || !absl::ConsumePrefix(&line, " ")) return {};
    values.push_back(line);
  }
  return values;
}

absl::StatusOr<int64_t> ParseSeconds(const std::string& path, absl::string_view field,
                                     absl::string_view text) {
  int64_t seconds = 0;
  if (!absl::SimpleAtoi(text, &seconds)) return Malformed(path, absl::StrCat("bad ", field));
  return seconds;
}

absl::Status Errno(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

// fsync of the directory holding `path`, so a rename or unlink is durable.
absl::Status SyncDirectoryOf(const std::string& path) {
  const std::string::size_type slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash + 1);
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open", dir);
  const int rc = ::fsync(fd);
  absl::Status s = rc == 0 ? absl::OkStatus() : Errno("fsync", dir);
  ::close(fd);
  return s;
}

absl::StatusOr<FirstSeed> ParseSeed(const std::string& path, const GatewayId& gw_id,
                                    absl::string_view gw, absl::string_view epoch,
                                    absl::string_view hex) {
  if (gw != gw_id.value()) {
    return absl::FailedPreconditionError(absl::StrCat("seed file ", path, " belongs to gateway '",
                                                      gw, "', not '", gw_id.value(), "'"));
  }
  uint32_t seed_epoch = 0;
  if (!absl::SimpleAtoi(epoch, &seed_epoch) || seed_epoch == 0) {
    return Malformed(path, "bad seed_epoch");
  }
  absl::StatusOr<SecretBytes> bytes = HexDecodeSecret("first_seed", hex);
  if (!bytes.ok() || bytes->size() != kFirstSeedSize) return Malformed(path, "bad first_seed");
  return FirstSeed{gw_id, seed_epoch, std::move(*bytes)};
}

}  // namespace

absl::StatusOr<FirstSeed> LoadSeedFile(const std::string& path, const GatewayId& gw_id,
                                       const SecretBytes* seal_key) {
  absl::StatusOr<SecretBytes> contents = ReadSecretFile(path);
  if (!contents.ok()) return contents.status();
  absl::string_view text = contents->RevealSecret();
  if (absl::ConsumePrefix(&text, kMagicSealed)) {
    if (seal_key == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "seed file ", path, " is sealed under a gateway key; give --seal-key-file"));
    }
    absl::StatusOr<std::string> sealed = HexDecode("sealed seed", absl::StripTrailingAsciiWhitespace(text));
    if (!sealed.ok()) return Malformed(path, "sealed part is not hex");
    absl::StatusOr<SecretBytes> opened = AeadOpen(*seal_key, *sealed, SealingContext(gw_id));
    if (!opened.ok()) {
      return absl::DataLossError(absl::StrCat(
          "seed file ", path, " does not open under the gateway key (another key, another "
          "gateway, or a damaged file)"));
    }
    contents = std::move(opened);
  }
  std::vector<absl::string_view> lines =
      absl::StrSplit(contents->RevealSecret(), '\n', absl::SkipEmpty());
  const bool v1 = !lines.empty() && lines[0] == kMagicV1;
  const bool v2 = !lines.empty() && lines[0] == kMagicV2;
  const std::vector<absl::string_view> keys =
      v1 ? std::vector<absl::string_view>{"gw_id", "seed_epoch", "first_seed"}
         : std::vector<absl::string_view>{"gw_id", "seed_epoch", "created_at", "expires_at",
                                          "first_seed"};
  if (!(v1 || v2) || lines.size() != keys.size() + 1) return Malformed(path, "unknown format");
  const std::vector<absl::string_view> values = Values(lines, keys);
  if (values.empty()) return Malformed(path, "missing field");
  absl::StatusOr<FirstSeed> seed = ParseSeed(path, gw_id, values[0], values[1], values.back());
  if (!seed.ok() || v1) return seed;  // version 1: created at the epoch, expiry unknown
  CPNS_ASSIGN_OR_RETURN(const int64_t created, ParseSeconds(path, "created_at", values[2]));
  CPNS_ASSIGN_OR_RETURN(const int64_t expires, ParseSeconds(path, "expires_at", values[3]));
  seed->created_at = absl::FromUnixSeconds(created);
  seed->expires_at = ExpiryFromUnixSeconds(expires);
  return seed;
}

absl::Status SaveSeedFile(const std::string& path, const FirstSeed& seed,
                          const SecretBytes* seal_key) {
  std::string hex = HexEncode(seed.first_seed.RevealSecret());
  std::string text = absl::StrCat(kMagicV2, "\ngw_id ", seed.gw_id.value(), "\nseed_epoch ",
                                  seed.seed_epoch, "\ncreated_at ",
                                  absl::ToUnixSeconds(seed.created_at), "\nexpires_at ",
                                  ExpiryToUnixSeconds(seed.expires_at), "\nfirst_seed ", hex,
                                  "\n");
  if (seal_key != nullptr) {
    absl::StatusOr<std::string> sealed =
        AeadSeal(*seal_key, SecretBytes::CopyFrom(text), SealingContext(seed.gw_id));
    WipeString(hex);
    WipeString(text);
    if (!sealed.ok()) return sealed.status();
    text = absl::StrCat(kMagicSealed, HexEncode(*sealed), "\n");
  }
  absl::Status s = WriteFileAtomically(path, text, 0600);
  WipeString(hex);
  WipeString(text);
  return s;
}

absl::StatusOr<SecretBytes> LoadOrCreateSealKey(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno != ENOENT) return Errno("stat", path);
    CPNS_ASSIGN_OR_RETURN(SecretBytes key, SecureRandomBytes(kAeadKeySize));
    std::string text = absl::StrCat(HexEncode(key.RevealSecret()), "\n");
    absl::Status s = WriteFileAtomically(path, text, 0600);
    WipeString(text);
    if (!s.ok()) return s;
    return key;
  }
  absl::StatusOr<SecretBytes> contents = ReadSecretFile(path);
  CPNS_RETURN_IF_ERROR(WithContext("--seal-key-file", contents.status()));
  absl::StatusOr<SecretBytes> key = HexDecodeSecret(
      "gateway key", absl::StripTrailingAsciiWhitespace(contents->RevealSecret()));
  if (!key.ok() || key->size() != kAeadKeySize) {
    return absl::DataLossError(absl::StrCat("gateway key ", path, " is not 64 hex digits"));
  }
  return key;
}

absl::Status RemoveSeedFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) {
    return errno == ENOENT ? absl::OkStatus() : Errno("remove", path);
  }
  // Durable, so that a crash does not bring the seed back.
  return SyncDirectoryOf(path);
}

}  // namespace cpns::gateway
