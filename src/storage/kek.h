// Key-encryption keys (KEKs) of the CPNS Server's store, and the sealing of
// 1st seeds under them.
//
// A 1st seed is stored as AES-256-GCM(KEK, seed) with associated data that
// names its gateway and epoch, so a row copied onto another gateway or epoch
// fails to open. Each row records the id of the KEK that sealed it.
// Immutable after construction; thread-safe.
#ifndef CPNS_STORAGE_KEK_H_
#define CPNS_STORAGE_KEK_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::storage {

// Environment variable that may carry a KEK (64 hex digits) instead of a file.
inline constexpr char kKekEnvVar[] = "CPNS_KEK";

class Kek {
 public:
  static absl::StatusOr<Kek> Generate();
  // The file written by WriteNewFile. FailedPrecondition if it is readable or
  // writable by group or others; InvalidArgument if it is not a KEK file.
  static absl::StatusOr<Kek> LoadFile(const std::string& path);
  // 64 hex digits, as in $CPNS_KEK.
  static absl::StatusOr<Kek> FromHex(absl::string_view what, absl::string_view hex);

  // Creates `path` with mode 0600; AlreadyExists if it exists (never overwrites).
  absl::Status WriteNewFile(const std::string& path) const;

  // A public name for the key: 16 hex digits of SHA-256("cpns-kek-id" || key).
  const std::string& id() const { return id_; }

  absl::StatusOr<std::string> SealSeed(const SecretBytes& seed, const GatewayId& gw_id,
                                       uint32_t seed_epoch) const;
  // DataLoss naming the gateway and epoch when the row does not open.
  absl::StatusOr<SecretBytes> OpenSeed(absl::string_view sealed, const GatewayId& gw_id,
                                       uint32_t seed_epoch) const;

  // A server-wide secret (e.g. the challenge key), bound to its name.
  absl::StatusOr<std::string> SealServerSecret(const SecretBytes& secret,
                                               absl::string_view name) const;
  absl::StatusOr<SecretBytes> OpenServerSecret(absl::string_view sealed,
                                               absl::string_view name) const;

 private:
  explicit Kek(SecretBytes key);
  SecretBytes key_;
  std::string id_;
};

// The KEKs a server holds: the primary seals new seeds, all of them open.
class KeyRing {
 public:
  // `keys` must not be empty; keys[0] is the primary.
  static absl::StatusOr<KeyRing> Create(std::vector<Kek> keys);

  const Kek& primary() const { return keys_.front(); }
  // FailedPrecondition naming the id when this server does not hold that KEK.
  absl::StatusOr<const Kek*> Find(absl::string_view kek_id) const;

 private:
  explicit KeyRing(std::vector<Kek> keys) : keys_(std::move(keys)) {}
  std::vector<Kek> keys_;
};

// The server's key ring from its --kek-file flags (the first is the primary),
// or, when none is given, from $CPNS_KEK. InvalidArgument when neither is
// set; the file's error when one cannot be loaded.
absl::StatusOr<KeyRing> LoadKeyRing(const std::vector<std::string>& kek_files);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_KEK_H_
