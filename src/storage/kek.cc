#include "storage/kek.h"

#include <fcntl.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "core/aead.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"
#include "cpns/core/random.h"

namespace cpns::storage {
namespace {

constexpr absl::string_view kFileMagic = "cpns-kek 1";

// "cpns-first-seed" || L(gw_id) || gw_id || be32(epoch): the row's identity.
std::string SeedAad(const GatewayId& gw_id, uint32_t seed_epoch) {
  const std::string& id = gw_id.value();
  std::string aad = "cpns-first-seed";
  aad.push_back(static_cast<char>(id.size() >> 8));
  aad.push_back(static_cast<char>(id.size() & 0xFF));
  aad.append(id);
  aad.append(BigEndian32(seed_epoch));
  return aad;
}

}  // namespace

Kek::Kek(SecretBytes key) : key_(std::move(key)) {
  std::string input = "cpns-kek-id";
  input.append(key_.RevealSecret().data(), key_.size());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), digest);
  WipeString(input);
  id_ = HexEncode(absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

absl::StatusOr<Kek> Kek::Generate() {
  CPNS_ASSIGN_OR_RETURN(SecretBytes key, SecureRandomBytes(kAeadKeySize));
  return Kek(std::move(key));
}

absl::StatusOr<Kek> Kek::FromHex(absl::string_view what, absl::string_view hex) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes key, HexDecodeSecret(what, absl::StripAsciiWhitespace(hex)));
  if (key.size() != kAeadKeySize) {
    return absl::InvalidArgumentError(absl::StrCat(what, " must be 64 hex digits (32 bytes)"));
  }
  return Kek(std::move(key));
}

absl::StatusOr<Kek> Kek::LoadFile(const std::string& path) {
  absl::StatusOr<SecretBytes> contents = ReadSecretFile(path);
  if (absl::IsNotFound(contents.status())) {
    return absl::NotFoundError(absl::StrCat("KEK file ", path, " does not exist"));
  }
  CPNS_RETURN_IF_ERROR(WithContext("KEK file", contents.status()));
  std::vector<absl::string_view> lines =
      absl::StrSplit(contents->RevealSecret(), '\n', absl::SkipEmpty());
  if (lines.size() != 2 || lines[0] != kFileMagic) {
    return absl::InvalidArgumentError(absl::StrCat(path, " is not a cpns KEK file"));
  }
  return FromHex(absl::StrCat("KEK file ", path), lines[1]);
}

absl::Status Kek::WriteNewFile(const std::string& path) const {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    if (errno == EEXIST) {
      return absl::AlreadyExistsError(absl::StrCat("KEK file ", path, " exists; not overwriting"));
    }
    return absl::Status(errno == EACCES ? absl::StatusCode::kPermissionDenied
                                        : absl::StatusCode::kFailedPrecondition,
                        absl::StrCat("cannot create KEK file ", path, ": ", std::strerror(errno)));
  }
  std::string hex = HexEncode(key_.RevealSecret());
  std::string text = absl::StrCat(kFileMagic, "\n", hex, "\n");
  const bool ok = ::fchmod(fd, 0600) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                  ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  WipeString(hex);
  WipeString(text);
  if (!ok) {
    ::unlink(path.c_str());  // never leave a partial KEK that blocks the next attempt
    return absl::InternalError(absl::StrCat("cannot write KEK file ", path, ": ", std::strerror(err)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> Kek::SealSeed(const SecretBytes& seed, const GatewayId& gw_id,
                                          uint32_t seed_epoch) const {
  return AeadSeal(key_, seed, SeedAad(gw_id, seed_epoch));
}

absl::StatusOr<SecretBytes> Kek::OpenSeed(absl::string_view sealed, const GatewayId& gw_id,
                                          uint32_t seed_epoch) const {
  absl::StatusOr<SecretBytes> seed = AeadOpen(key_, sealed, SeedAad(gw_id, seed_epoch));
  if (!seed.ok()) {
    return absl::DataLossError(absl::StrCat("stored 1st seed of gateway ", gw_id.value(),
                                            " epoch ", seed_epoch, " does not decrypt under KEK ",
                                            id_, ": ", seed.status().message()));
  }
  return seed;
}

absl::StatusOr<std::string> Kek::SealServerSecret(const SecretBytes& secret,
                                                  absl::string_view name) const {
  return AeadSeal(key_, secret, absl::StrCat("cpns-server-secret/", name));
}

absl::StatusOr<SecretBytes> Kek::OpenServerSecret(absl::string_view sealed,
                                                  absl::string_view name) const {
  absl::StatusOr<SecretBytes> secret =
      AeadOpen(key_, sealed, absl::StrCat("cpns-server-secret/", name));
  if (!secret.ok()) {
    return absl::DataLossError(absl::StrCat("server secret '", name,
                                            "' does not decrypt under KEK ", id_));
  }
  return secret;
}

absl::StatusOr<KeyRing> KeyRing::Create(std::vector<Kek> keys) {
  if (keys.empty()) return absl::InvalidArgumentError("a key ring needs at least one KEK");
  return KeyRing(std::move(keys));
}

absl::StatusOr<const Kek*> KeyRing::Find(absl::string_view kek_id) const {
  for (const Kek& k : keys_) {
    if (k.id() == kek_id) return &k;
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "this server does not hold KEK ", kek_id, "; give its file with another --kek-file"));
}

absl::StatusOr<KeyRing> LoadKeyRing(const std::vector<std::string>& kek_files) {
  std::vector<Kek> keys;
  for (const std::string& file : kek_files) {
    CPNS_ASSIGN_OR_RETURN(Kek kek, Kek::LoadFile(file));
    keys.push_back(std::move(kek));
  }
  if (keys.empty()) {
    const char* env = std::getenv(kKekEnvVar);
    if (env == nullptr || *env == '\0') {
      return absl::InvalidArgumentError(absl::StrCat(
          "no KEK: give --kek-file (create one with cpns-server init --kek-file F) or set $",
          kKekEnvVar));
    }
    CPNS_ASSIGN_OR_RETURN(Kek kek, Kek::FromHex(absl::StrCat("$", kKekEnvVar), env));
    keys.push_back(std::move(kek));
  }
  return KeyRing::Create(std::move(keys));
}

}  // namespace cpns::storage
