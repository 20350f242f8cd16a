// The gateway's 1st seed on disk, so neither a second request nor a restart
// reaches the CPNS Server again.
//
// One file, mode 0600, replaced atomically (write, fsync, rename, fsync dir).
// Format (text, one "key value" per line, in this order):
//   cpns-gateway-first-seed 2
//   gw_id <gw_id>
//   seed_epoch <n>
//   created_at <Unix seconds>
//   expires_at <Unix seconds; 0: unknown>
//   first_seed <64 lowercase hex digits>
// Version 1 files (no created_at/expires_at lines, written before seeds
// expired) still load, with created_at the Unix epoch and expires_at unknown.
//
// Sealed under a gateway key (--seal-key-file), the file is instead
//   cpns-gateway-first-seed-sealed 1
//   <hex of AES-256-GCM(key, the version 2 text above,
//                       associated data "cpns-gw-first-seed:" || gw_id)>
// so that a copy of the state directory alone does not reveal the seed.
// Thread-compatible functions.
#ifndef CPNS_GATEWAY_SEED_FILE_H_
#define CPNS_GATEWAY_SEED_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "gateway/first_seed.h"

namespace cpns::gateway {

// NotFound if there is no file; DataLoss if it is malformed or does not open
// under `seal_key`; FailedPrecondition if it belongs to another gateway than
// `gw_id`, or is sealed and no `seal_key` is given. A plain file loads with
// or without a key (it is sealed at the next save).
absl::StatusOr<FirstSeed> LoadSeedFile(const std::string& path, const GatewayId& gw_id,
                                       const SecretBytes* seal_key = nullptr);

// Sealed under `seal_key` when it is given.
absl::Status SaveSeedFile(const std::string& path, const FirstSeed& seed,
                          const SecretBytes* seal_key = nullptr);

// The gateway key in `path` (64 hex digits), created from the CSPRNG with
// mode 0600 when the file does not exist. FailedPrecondition if the file is
// not fit for a secret (ReadSecretFile: a link, another user's, open to group
// or others); DataLoss if it is malformed.
absl::StatusOr<SecretBytes> LoadOrCreateSealKey(const std::string& path);

// Removes the file durably (unlink, fsync dir). OK if there is none.
absl::Status RemoveSeedFile(const std::string& path);

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_SEED_FILE_H_
