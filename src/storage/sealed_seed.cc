#include "storage/sealed_seed.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "cpns/core/kdf.h"
#include "cpns/core/random.h"
#include "storage/migrations.h"

namespace cpns::storage {
namespace {

absl::Status NoKeys() {
  return absl::FailedPreconditionError("the store was opened without a KEK; seeds are sealed");
}

}  // namespace

absl::StatusOr<NewSeed> MakeSealedSeed(const KeyRing* keys, const GatewayId& gw_id,
                                       uint32_t seed_epoch) {
  if (keys == nullptr) return NoKeys();
  CPNS_ASSIGN_OR_RETURN(SecretBytes seed, SecureRandomBytes(kFirstSeedSize));
  CPNS_ASSIGN_OR_RETURN(std::string sealed, keys->primary().SealSeed(seed, gw_id, seed_epoch));
  return NewSeed{std::move(seed), std::move(sealed), keys->primary().id()};
}

absl::StatusOr<StoredSeed> OpenSealedSeed(const KeyRing* keys, const SeedRecord& record,
                                          absl::string_view sealed) {
  const GatewayId& gw_id = record.gw_id;
  const uint32_t seed_epoch = record.seed_epoch;
  const absl::string_view kek_id = record.kek_id;
  if (keys == nullptr) return NoKeys();
  CPNS_ASSIGN_OR_RETURN(const Kek* kek, keys->Find(kek_id));
  CPNS_ASSIGN_OR_RETURN(SecretBytes seed, kek->OpenSeed(sealed, gw_id, seed_epoch));
  if (seed.size() != kFirstSeedSize) {
    return absl::DataLossError(absl::StrCat("stored 1st seed of gateway ", gw_id.value(),
                                            " is not 32 bytes"));
  }
  return StoredSeed{gw_id,          seed_epoch,         std::move(seed),
                    record.created_at, record.expires_at, record.state};
}

absl::StatusOr<NewSeed> MakeSealedServerSecret(const KeyRing* keys, absl::string_view name) {
  if (keys == nullptr) return NoKeys();
  CPNS_ASSIGN_OR_RETURN(SecretBytes secret, SecureRandomBytes(32));
  CPNS_ASSIGN_OR_RETURN(std::string sealed, keys->primary().SealServerSecret(secret, name));
  return NewSeed{std::move(secret), std::move(sealed), keys->primary().id()};
}

absl::StatusOr<SecretBytes> OpenSealedServerSecret(const KeyRing* keys, absl::string_view name,
                                                   absl::string_view sealed,
                                                   absl::string_view kek_id) {
  if (keys == nullptr) return NoKeys();
  CPNS_ASSIGN_OR_RETURN(const Kek* kek, keys->Find(kek_id));
  return kek->OpenServerSecret(sealed, name);
}

absl::Status CheckSchemaVersion(int version) {
  if (version > kLatestSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema version ", version, " is newer than this cpns-server knows (",
        kLatestSchemaVersion, "); upgrade cpns-server"));
  }
  if (version < kLatestSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        "database schema version ", version, " is older than this cpns-server needs (",
        kLatestSchemaVersion, "); run: cpns-server migrate --db URL"));
  }
  return absl::OkStatus();
}

absl::string_view SeedStateName(SeedState state) {
  switch (state) {
    case SeedState::kActive: return "active";
    case SeedState::kRotated: return "rotated";
    case SeedState::kRetired: return "retired";
    case SeedState::kRevoked: return "revoked";
  }
  return "?";
}

absl::StatusOr<SeedState> ParseSeedState(absl::string_view s) {
  if (s == "active") return SeedState::kActive;
  if (s == "rotated") return SeedState::kRotated;
  if (s == "retired") return SeedState::kRetired;
  if (s == "revoked") return SeedState::kRevoked;
  // Fail closed: a state this program does not know must not authenticate
  // anything, least of all as an active seed.
  return absl::DataLossError(absl::StrCat("stored seed state '", absl::CHexEscape(s.substr(0, 32)),
                                          "' is unknown (active, rotated, retired, revoked)"));
}

}  // namespace cpns::storage
