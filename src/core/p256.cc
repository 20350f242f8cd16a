#include "core/p256.h"

#include <openssl/obj_mac.h>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace cpns::p256 {
namespace {

using BnCtxPtr = std::unique_ptr<BN_CTX, OpenSslFree<BN_CTX_free>>;

const unsigned char* U(absl::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("P-256: OpenSSL failed in ", what));
}

absl::StatusOr<BnCtxPtr> NewCtx() {
  BnCtxPtr ctx(BN_CTX_secure_new());
  if (ctx == nullptr) return OpenSslError("BN_CTX_secure_new");
  return ctx;
}

}  // namespace

absl::StatusOr<GroupPtr> NewGroup() {
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (group == nullptr) return OpenSslError("EC_GROUP_new_by_curve_name(P-256)");
  return group;
}

// bytes (big-endian, any length) mod n. BN_FLG_CONSTTIME makes BN_nnmod take
// OpenSSL's fixed-top division, whose timing does not depend on the value.
absl::StatusOr<SecretBn> ScalarModN(const EC_GROUP* group, absl::string_view bytes) {
  SecretBn in(BN_secure_new()), out(BN_secure_new());
  CPNS_ASSIGN_OR_RETURN(BnCtxPtr ctx, NewCtx());
  if (in == nullptr || out == nullptr) return OpenSslError("BN_secure_new");
  BN_set_flags(in.get(), BN_FLG_CONSTTIME);
  BN_set_flags(out.get(), BN_FLG_CONSTTIME);
  if (BN_bin2bn(U(bytes), static_cast<int>(bytes.size()), in.get()) == nullptr ||
      BN_nnmod(out.get(), in.get(), EC_GROUP_get0_order(group), ctx.get()) != 1) {
    return OpenSslError("reducing a scalar mod n");
  }
  return out;
}

SecretBytes ScalarBytes(const BIGNUM* scalar) {
  SecretBytes out(kScalarSize);
  BN_bn2binpad(scalar, out.MutableSecretData(), kScalarSize);  // < n, always fits
  return out;
}

// scalar*base, or scalar*P for a null base. One scalar and one point per
// call: for that shape OpenSSL 3 uses its constant-time path (the Montgomery
// ladder, or P-256's constant-time windowed tables), never the variable-time
// wNAF it uses for sums of several products.
absl::StatusOr<PointPtr> Mul(const EC_GROUP* group, const EC_POINT* base, const BIGNUM* scalar) {
  PointPtr out(EC_POINT_new(group));
  CPNS_ASSIGN_OR_RETURN(BnCtxPtr ctx, NewCtx());
  const int ok = base == nullptr
                     ? EC_POINT_mul(group, out.get(), scalar, nullptr, nullptr, ctx.get())
                     : EC_POINT_mul(group, out.get(), nullptr, base, scalar, ctx.get());
  if (out == nullptr || ok != 1) return OpenSslError("EC_POINT_mul");
  return out;
}

// a + b, or a - b when `subtract`. (Addition branches only on the
// exceptional cases: equal points or infinity, which honest inputs reach with
// negligible probability.)
absl::StatusOr<PointPtr> Add(const EC_GROUP* group, const EC_POINT* a, const EC_POINT* b,
                             bool subtract) {
  PointPtr neg(EC_POINT_dup(b, group)), out(EC_POINT_new(group));
  CPNS_ASSIGN_OR_RETURN(BnCtxPtr ctx, NewCtx());
  if (neg == nullptr || out == nullptr ||
      (subtract && EC_POINT_invert(group, neg.get(), ctx.get()) != 1) ||
      EC_POINT_add(group, out.get(), a, neg.get(), ctx.get()) != 1) {
    return OpenSslError("EC_POINT_add");
  }
  return out;
}

// A point from its encoding, refused unless it is on the curve and not the
// identity. P-256 has cofactor 1, so that also puts it in the prime-order
// group: a peer cannot make us multiply a secret by a point of small order
// or of another curve (invalid-curve attacks), and cannot cancel our share.
absl::StatusOr<PointPtr> DecodePoint(const EC_GROUP* group, absl::string_view what,
                                     absl::string_view bytes, bool uncompressed_only) {
  if (uncompressed_only && bytes.size() != kPointSize) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be a 65-byte uncompressed P-256 point (got ",
                     bytes.size(), " bytes)"));
  }
  if (uncompressed_only && bytes[0] != 0x04) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " must be an uncompressed P-256 point, starting 04 (it starts ",
        absl::Hex(static_cast<uint8_t>(bytes[0]), absl::kZeroPad2), ")"));
  }
  PointPtr point(EC_POINT_new(group));
  CPNS_ASSIGN_OR_RETURN(BnCtxPtr ctx, NewCtx());
  if (point == nullptr ||
      EC_POINT_oct2point(group, point.get(), U(bytes), bytes.size(), ctx.get()) != 1 ||
      EC_POINT_is_on_curve(group, point.get(), ctx.get()) != 1 ||
      EC_POINT_is_at_infinity(group, point.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is not a point of P-256 other than the identity"));
  }
  return point;
}

// SEC1 uncompressed. Z and V are secrets, so the encoding goes to
// SecretBytes; InvalidArgument for the identity, which has no such encoding
// (a derived Z or V is the identity only for a peer that knows w0 and chose
// its share to cancel it).
absl::StatusOr<SecretBytes> EncodePoint(const EC_GROUP* group, const EC_POINT* point,
                                        absl::string_view what) {
  if (EC_POINT_is_at_infinity(group, point)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is the identity"));
  }
  SecretBytes out(kPointSize);
  CPNS_ASSIGN_OR_RETURN(BnCtxPtr ctx, NewCtx());
  if (EC_POINT_point2oct(group, point, POINT_CONVERSION_UNCOMPRESSED, out.MutableSecretData(),
                         kPointSize, ctx.get()) != kPointSize) {
    return OpenSslError("EC_POINT_point2oct");
  }
  return out;
}

absl::StatusOr<std::string> EncodePublicPoint(const EC_GROUP* group, const EC_POINT* point) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes bytes, EncodePoint(group, point, "point"));
  return std::string(bytes.RevealSecret());
}

// BN_priv_rand_range_ex draws from the private CSPRNG (RAND_priv_bytes).
absl::StatusOr<SecretBytes> RandomScalar(const EC_GROUP* group) {
  SecretBn r(BN_secure_new());
  if (r == nullptr) return OpenSslError("BN_secure_new");
  do {
    if (BN_priv_rand_range_ex(r.get(), EC_GROUP_get0_order(group), 0, nullptr) != 1) {
      return OpenSslError("BN_priv_rand_range_ex");
    }
  } while (BN_is_zero(r.get()));
  return ScalarBytes(r.get());
}

}  // namespace cpns::p256
