// P-256 arithmetic for SPAKE2+ (core/spake2plus.cc), on OpenSSL 3's EC
// primitives, with the rules that keep secrets safe in one place:
//  - secret scalars are BIGNUMs from the secure heap with BN_FLG_CONSTTIME,
//    wiped on free; points are wiped on free;
//  - a multiplication takes one scalar and one point (constant-time path);
//  - a received point is refused unless on the curve and not the identity.
// Private to cpns. Thread-compatible objects, thread-safe functions.
#ifndef CPNS_CORE_P256_H_
#define CPNS_CORE_P256_H_

#include <openssl/bn.h>
#include <openssl/ec.h>

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/openssl_ptr.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::p256 {

inline constexpr size_t kPointSize = 65;   // SEC1 uncompressed
inline constexpr size_t kScalarSize = 32;  // big-endian, mod n

using GroupPtr = std::unique_ptr<EC_GROUP, OpenSslFree<EC_GROUP_free>>;
// Points may hold secrets (x*P, w0*M, Z, V): wiped on free.
using PointPtr = std::unique_ptr<EC_POINT, OpenSslFree<EC_POINT_clear_free>>;
// Scalars are secrets: allocated in the secure heap and wiped on free.
using SecretBn = std::unique_ptr<BIGNUM, OpenSslFree<BN_clear_free>>;

// A group per object rather than a process-wide one: no global state, and
// EC_GROUP_new_by_curve_name is cheap next to the multiplications.
absl::StatusOr<GroupPtr> NewGroup();

// OS2IP(bytes) mod n, for bytes of any length.
absl::StatusOr<SecretBn> ScalarModN(const EC_GROUP* group, absl::string_view bytes);
// A scalar below n as kScalarSize bytes, big-endian.
SecretBytes ScalarBytes(const BIGNUM* scalar);
// A fresh scalar in [1, n-1] from OpenSSL's private CSPRNG.
absl::StatusOr<SecretBytes> RandomScalar(const EC_GROUP* group);

// scalar*base, or scalar*P (the generator) for a null base.
absl::StatusOr<PointPtr> Mul(const EC_GROUP* group, const EC_POINT* base, const BIGNUM* scalar);
// a + b, or a - b when `subtract`.
absl::StatusOr<PointPtr> Add(const EC_GROUP* group, const EC_POINT* a, const EC_POINT* b,
                             bool subtract);

// A point from SEC1 bytes (only the 65-byte uncompressed form when
// `uncompressed_only`). InvalidArgument naming `what` unless the point is on
// the curve and not the identity.
absl::StatusOr<PointPtr> DecodePoint(const EC_GROUP* group, absl::string_view what,
                                     absl::string_view bytes, bool uncompressed_only);
// SEC1 uncompressed, into SecretBytes; InvalidArgument naming `what` for the
// identity (which has no such encoding).
absl::StatusOr<SecretBytes> EncodePoint(const EC_GROUP* group, const EC_POINT* point,
                                        absl::string_view what);
// The same for a point that is not secret (a share, L, M, N).
absl::StatusOr<std::string> EncodePublicPoint(const EC_GROUP* group, const EC_POINT* point);

}  // namespace cpns::p256

#endif  // CPNS_CORE_P256_H_
