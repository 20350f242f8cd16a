// Pairing codes: how the owner of a gateway lets one device get one EUKey.
//
// A code is 10 symbols of Crockford's base32 (50 bits from the CSPRNG),
// shown as "XXXXX-XXXXX": long enough that guessing, with one guess per
// pairing exchange and at most 20 failed attempts per code (then it is
// spent), is hopeless; easy to type (no I, L, O, U; case, dashes and spaces
// are ignored; I and L read as 1, O as 0). The canonical form is the
// password of the pairing exchange (PROTOCOL.md section 11); the gateway
// keeps only its SPAKE2+ verifier. Thread-safe functions.
#ifndef CPNS_CORE_PAIRING_CODE_H_
#define CPNS_CORE_PAIRING_CODE_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cpns/core/secret_bytes.h"

namespace cpns {

inline constexpr int kPairingCodeSymbols = 10;

// A fresh code, formatted "XXXXX-XXXXX".
absl::StatusOr<SecretBytes> NewPairingCode();

// The canonical form (10 uppercase symbols, no separators) of what a person
// typed; InvalidArgument saying what is wrong (without echoing the code).
absl::StatusOr<SecretBytes> NormalizePairingCode(absl::string_view typed);

}  // namespace cpns

#endif  // CPNS_CORE_PAIRING_CODE_H_
