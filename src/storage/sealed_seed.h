// What both store backends do to turn a 1st seed into a row and back.
// Thread-safe functions.
#ifndef CPNS_STORAGE_SEALED_SEED_H_
#define CPNS_STORAGE_SEALED_SEED_H_

#include <string>

#include "absl/status/statusor.h"
#include "storage/kek.h"
#include "storage/seed_store.h"

namespace cpns::storage {

// A new 1st seed (32 CSPRNG bytes) and its sealed form under the primary KEK.
struct NewSeed {
  SecretBytes seed;
  std::string sealed;
  std::string kek_id;
};
absl::StatusOr<NewSeed> MakeSealedSeed(const KeyRing* keys, const GatewayId& gw_id,
                                       uint32_t seed_epoch);

// Opens a stored row (its metadata in `record`) with the KEK it names.
absl::StatusOr<StoredSeed> OpenSealedSeed(const KeyRing* keys, const SeedRecord& record,
                                          absl::string_view sealed);


// A new 32-byte server secret and its sealed form under the primary KEK.
absl::StatusOr<NewSeed> MakeSealedServerSecret(const KeyRing* keys, absl::string_view name);
absl::StatusOr<SecretBytes> OpenSealedServerSecret(const KeyRing* keys, absl::string_view name,
                                                   absl::string_view sealed,
                                                   absl::string_view kek_id);

// FailedPrecondition unless `version` is kLatestSchemaVersion; the message
// tells the operator what to do.
absl::Status CheckSchemaVersion(int version);

// A stored state name. DataLoss for any other value (a row written by a newer
// program or edited by hand): it fails closed, never as active.
absl::StatusOr<SeedState> ParseSeedState(absl::string_view s);

}  // namespace cpns::storage

#endif  // CPNS_STORAGE_SEALED_SEED_H_
