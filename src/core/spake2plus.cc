#include "core/spake2plus.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>

#include <atomic>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/hkdf.h"
#include "core/openssl_ptr.h"
#include "core/status_macros.h"
#include "cpns/core/hex.h"

namespace cpns::spake2plus {
namespace {

using GroupPtr = std::unique_ptr<EC_GROUP, OpenSslFree<EC_GROUP_free>>;
// Points may hold secrets (x*P, w0*M, Z, V): wiped on free.
using PointPtr = std::unique_ptr<EC_POINT, OpenSslFree<EC_POINT_clear_free>>;
// Scalars are secrets: allocated in the secure heap and wiped on free.
using SecretBn = std::unique_ptr<BIGNUM, OpenSslFree<BN_clear_free>>;
using BnCtxPtr = std::unique_ptr<BN_CTX, OpenSslFree<BN_CTX_free>>;

// RFC 9383 section 4: M and N for P-256, compressed SEC1 (the points of
// RFC 9382, from a hash of a seed, so nobody knows their discrete logarithms).
constexpr absl::string_view kMHex = "02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f";
constexpr absl::string_view kNHex = "03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49";

const unsigned char* U(absl::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("SPAKE2+: OpenSSL failed in ", what));
}

// A group per object rather than a process-wide one: no global state, and
// EC_GROUP_new_by_curve_name is cheap next to the multiplications.
absl::StatusOr<GroupPtr> NewGroup() {
  GroupPtr group(EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1));
  if (group == nullptr) return OpenSslError("EC_GROUP_new_by_curve_name(P-256)");
  return group;
}

absl::StatusOr<BnCtxPtr> NewCtx() {
  BnCtxPtr ctx(BN_CTX_secure_new());
  if (ctx == nullptr) return OpenSslError("BN_CTX_secure_new");
  return ctx;
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
  if (uncompressed_only && (bytes.size() != kPointSize || bytes[0] != 0x04)) {
    return absl::InvalidArgumentError(
        absl::StrCat("SPAKE2+: ", what, " must be a 65-byte uncompressed P-256 point (got ",
                     bytes.size(), " bytes)"));
  }
  PointPtr point(EC_POINT_new(group));
  CPNS_ASSIGN_OR_RETURN(BnCtxPtr ctx, NewCtx());
  if (point == nullptr ||
      EC_POINT_oct2point(group, point.get(), U(bytes), bytes.size(), ctx.get()) != 1 ||
      EC_POINT_is_on_curve(group, point.get(), ctx.get()) != 1 ||
      EC_POINT_is_at_infinity(group, point.get())) {
    return absl::InvalidArgumentError(
        absl::StrCat("SPAKE2+: ", what, " is not a point of P-256 other than the identity"));
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
    return absl::InvalidArgumentError(absl::StrCat("SPAKE2+: ", what, " is the identity"));
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
  CPNS_ASSIGN_OR_RETURN(SecretBytes bytes, EncodePoint(group, point, "share"));
  return std::string(bytes.RevealSecret());
}

// M or N from its hex above.
absl::StatusOr<PointPtr> FixedPoint(const EC_GROUP* group, absl::string_view hex) {
  CPNS_ASSIGN_OR_RETURN(std::string bytes, HexDecode("M or N", hex));
  return DecodePoint(group, "M or N", bytes, false);
}

// TT (RFC 9383 section 3.3): each part preceded by its length as 8 bytes,
// little-endian. Holds Z, V and w0, hence SecretBytes.
SecretBytes Transcript(std::initializer_list<absl::string_view> parts) {
  size_t size = 0;
  for (absl::string_view part : parts) size += 8 + part.size();
  SecretBytes tt(size);
  uint8_t* out = tt.MutableSecretData();
  for (absl::string_view part : parts) {
    uint64_t len = part.size();
    for (int i = 0; i < 8; ++i, len >>= 8) *out++ = static_cast<uint8_t>(len & 0xff);
    if (!part.empty()) std::memcpy(out, part.data(), part.size());
    out += part.size();
  }
  return tt;
}

absl::StatusOr<std::string> HmacSha256(const SecretBytes& key, absl::string_view message) {
  std::string out(kConfirmSize, '\0');
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.RevealSecret().data(),
                key.size(), U(message), message.size(), reinterpret_cast<unsigned char*>(out.data()),
                out.size(), &len) == nullptr ||
      len != kConfirmSize) {
    return OpenSslError("HMAC-SHA256");
  }
  return out;
}

// RFC 9383 section 3.4: K_main = Hash(TT), the confirmation keys and MACs,
// and K_shared.
absl::StatusOr<Keys> KeySchedule(const SecretBytes& tt, absl::string_view share_p,
                                 absl::string_view share_v) {
  Keys keys;
  keys.k_main = SecretBytes(32);  // SHA-256
  if (EVP_Digest(tt.RevealSecret().data(), tt.size(), keys.k_main.MutableSecretData(), nullptr,
                 EVP_sha256(), nullptr) != 1) {
    return OpenSslError("SHA-256");
  }
  CPNS_ASSIGN_OR_RETURN(SecretBytes confirm, HkdfSha256NoSalt(keys.k_main, "ConfirmationKeys", 64));
  const SecretBytes k_confirm_p = SecretBytes::CopyFrom(confirm.RevealSecret().substr(0, 32));
  const SecretBytes k_confirm_v = SecretBytes::CopyFrom(confirm.RevealSecret().substr(32));
  CPNS_ASSIGN_OR_RETURN(keys.confirm_p, HmacSha256(k_confirm_p, share_v));
  CPNS_ASSIGN_OR_RETURN(keys.confirm_v, HmacSha256(k_confirm_v, share_p));
  CPNS_ASSIGN_OR_RETURN(keys.k_shared, HkdfSha256NoSalt(keys.k_main, "SharedKey", kSharedKeySize));
  return keys;
}

// What both roles hold: the group, their secret scalars and their share.
struct Party {
  GroupPtr group;
  SecretBn eph;  // x or y
  SecretBn w0;
  std::string share;

  // share = eph*P + w0*fixed (fixed = M for the prover, N for the verifier).
  absl::Status MakeShare(absl::string_view fixed_hex) {
    CPNS_ASSIGN_OR_RETURN(PointPtr fixed, FixedPoint(group.get(), fixed_hex));
    CPNS_ASSIGN_OR_RETURN(PointPtr eph_p, Mul(group.get(), nullptr, eph.get()));
    CPNS_ASSIGN_OR_RETURN(PointPtr w0_fixed, Mul(group.get(), fixed.get(), w0.get()));
    CPNS_ASSIGN_OR_RETURN(PointPtr sum, Add(group.get(), eph_p.get(), w0_fixed.get(), false));
    CPNS_ASSIGN_OR_RETURN(share, EncodePublicPoint(group.get(), sum.get()));
    return absl::OkStatus();
  }

  // The received share, checked, minus w0*fixed (the other side's blinding).
  absl::StatusOr<PointPtr> Unblind(absl::string_view what, absl::string_view received,
                                   absl::string_view fixed_hex) const {
    CPNS_ASSIGN_OR_RETURN(PointPtr peer, DecodePoint(group.get(), what, received, true));
    CPNS_ASSIGN_OR_RETURN(PointPtr fixed, FixedPoint(group.get(), fixed_hex));
    CPNS_ASSIGN_OR_RETURN(PointPtr w0_fixed, Mul(group.get(), fixed.get(), w0.get()));
    return Add(group.get(), peer.get(), w0_fixed.get(), true);
  }

  // TT from the shares, Z and V, then the keys.
  absl::StatusOr<Keys> DeriveKeys(const Identities& ids, absl::string_view share_p,
                                  absl::string_view share_v, const EC_POINT* z,
                                  const EC_POINT* v) const {
    CPNS_ASSIGN_OR_RETURN(PointPtr m_point, FixedPoint(group.get(), kMHex));
    CPNS_ASSIGN_OR_RETURN(PointPtr n_point, FixedPoint(group.get(), kNHex));
    CPNS_ASSIGN_OR_RETURN(std::string m, EncodePublicPoint(group.get(), m_point.get()));
    CPNS_ASSIGN_OR_RETURN(std::string n, EncodePublicPoint(group.get(), n_point.get()));
    CPNS_ASSIGN_OR_RETURN(SecretBytes z_bytes, EncodePoint(group.get(), z, "Z"));
    CPNS_ASSIGN_OR_RETURN(SecretBytes v_bytes, EncodePoint(group.get(), v, "V"));
    const SecretBytes w0_bytes = ScalarBytes(w0.get());
    const SecretBytes tt =
        Transcript({ids.context, ids.id_prover, ids.id_verifier, m, n, share_p, share_v,
                    z_bytes.RevealSecret(), v_bytes.RevealSecret(), w0_bytes.RevealSecret()});
    return KeySchedule(tt, share_p, share_v);
  }
};

// A fresh scalar in [1, n-1] from the CSPRNG (RAND_priv_bytes underneath).
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

// A Party with w0, the ephemeral scalar (fresh for a null `eph`; refused if
// 0 mod n) and its share made with `fixed`.
absl::StatusOr<Party> StartParty(const SecretBytes& w0, const SecretBytes* eph,
                                 absl::string_view fixed) {
  Party party;
  CPNS_ASSIGN_OR_RETURN(party.group, NewGroup());
  CPNS_ASSIGN_OR_RETURN(party.w0, ScalarModN(party.group.get(), w0.RevealSecret()));
  SecretBytes fresh;
  if (eph == nullptr) {
    CPNS_ASSIGN_OR_RETURN(fresh, RandomScalar(party.group.get()));
    eph = &fresh;
  }
  CPNS_ASSIGN_OR_RETURN(party.eph, ScalarModN(party.group.get(), eph->RevealSecret()));
  if (BN_is_zero(party.eph.get())) {
    return absl::InvalidArgumentError("SPAKE2+: the ephemeral scalar is 0 mod n");
  }
  CPNS_RETURN_IF_ERROR(party.MakeShare(fixed));
  return party;
}

// One Finish per Start, whatever its outcome: with x or y reused, a peer could
// try several shares (several guesses of the code) against one exchange.
absl::Status FinishOnce(std::atomic<bool>& finished) {
  if (finished.exchange(true)) {
    return absl::FailedPreconditionError(
        "SPAKE2+: this exchange has already been finished once; start a new one");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ProverSecrets> ProverSecretsFromPbkdfOutput(const SecretBytes& w0s,
                                                           const SecretBytes& w1s) {
  if (w0s.empty() || w1s.empty()) {
    return absl::InvalidArgumentError("SPAKE2+: empty PBKDF output for w0 or w1");
  }
  CPNS_ASSIGN_OR_RETURN(GroupPtr group, NewGroup());
  CPNS_ASSIGN_OR_RETURN(SecretBn w0, ScalarModN(group.get(), w0s.RevealSecret()));
  CPNS_ASSIGN_OR_RETURN(SecretBn w1, ScalarModN(group.get(), w1s.RevealSecret()));
  return ProverSecrets{ScalarBytes(w0.get()), ScalarBytes(w1.get())};
}

absl::StatusOr<ProverSecrets> DeriveProverSecrets(const SecretBytes& password,
                                                  absl::string_view salt, uint32_t iterations) {
  if (salt.empty()) return absl::InvalidArgumentError("SPAKE2+: PBKDF2 salt is empty");
  if (iterations == 0 || iterations > static_cast<uint32_t>(INT32_MAX)) {
    return absl::InvalidArgumentError("SPAKE2+: PBKDF2 iterations out of range");
  }
  SecretBytes out(2 * kPbkdfHalfSize);
  if (PKCS5_PBKDF2_HMAC(password.RevealSecret().data(), static_cast<int>(password.size()),
                        U(salt), static_cast<int>(salt.size()), static_cast<int>(iterations),
                        EVP_sha256(), static_cast<int>(out.size()), out.MutableSecretData()) != 1) {
    return OpenSslError("PBKDF2-HMAC-SHA256");
  }
  return ProverSecretsFromPbkdfOutput(
      SecretBytes::CopyFrom(out.RevealSecret().substr(0, kPbkdfHalfSize)),
      SecretBytes::CopyFrom(out.RevealSecret().substr(kPbkdfHalfSize)));
}

absl::StatusOr<VerifierRecord> MakeVerifierRecord(const ProverSecrets& secrets) {
  CPNS_ASSIGN_OR_RETURN(GroupPtr group, NewGroup());
  CPNS_ASSIGN_OR_RETURN(SecretBn w0, ScalarModN(group.get(), secrets.w0.RevealSecret()));
  CPNS_ASSIGN_OR_RETURN(SecretBn w1, ScalarModN(group.get(), secrets.w1.RevealSecret()));
  CPNS_ASSIGN_OR_RETURN(PointPtr l, Mul(group.get(), nullptr, w1.get()));
  CPNS_ASSIGN_OR_RETURN(std::string l_bytes, EncodePublicPoint(group.get(), l.get()));
  return VerifierRecord{ScalarBytes(w0.get()), std::move(l_bytes)};
}

// ---------------------------------------------------------------- Prover

struct Prover::State {
  Party party;  // eph = x, share = shareP
  SecretBn w1;
  std::atomic<bool> finished{false};
};

Prover::Prover(std::unique_ptr<State> state) : state_(std::move(state)) {}
Prover::Prover(Prover&&) noexcept = default;
Prover& Prover::operator=(Prover&&) noexcept = default;
Prover::~Prover() = default;

// Start is StartWithScalarForTesting with no scalar: StartParty then draws one.
absl::StatusOr<Prover> Prover::Start(const ProverSecrets& secrets) {
  return StartWithScalarForTesting(secrets, SecretBytes());
}

absl::StatusOr<Prover> Prover::StartWithScalarForTesting(const ProverSecrets& secrets,
                                                         const SecretBytes& x) {
  auto state = std::make_unique<State>();
  CPNS_ASSIGN_OR_RETURN(state->party, StartParty(secrets.w0, x.empty() ? nullptr : &x, kMHex));
  CPNS_ASSIGN_OR_RETURN(state->w1, ScalarModN(state->party.group.get(), secrets.w1.RevealSecret()));
  return Prover(std::move(state));
}

const std::string& Prover::share() const { return state_->party.share; }

absl::StatusOr<Keys> Prover::Finish(const Identities& ids, absl::string_view share_v) const {
  CPNS_RETURN_IF_ERROR(FinishOnce(state_->finished));
  const Party& p = state_->party;
  CPNS_ASSIGN_OR_RETURN(PointPtr t, p.Unblind("shareV", share_v, kNHex));
  CPNS_ASSIGN_OR_RETURN(PointPtr z, Mul(p.group.get(), t.get(), p.eph.get()));
  CPNS_ASSIGN_OR_RETURN(PointPtr v, Mul(p.group.get(), t.get(), state_->w1.get()));
  return p.DeriveKeys(ids, p.share, share_v, z.get(), v.get());
}

// -------------------------------------------------------------- Verifier

struct Verifier::State {
  Party party;  // eph = y, share = shareV
  PointPtr l;
  std::atomic<bool> finished{false};
};

Verifier::Verifier(std::unique_ptr<State> state) : state_(std::move(state)) {}
Verifier::Verifier(Verifier&&) noexcept = default;
Verifier& Verifier::operator=(Verifier&&) noexcept = default;
Verifier::~Verifier() = default;

absl::StatusOr<Verifier> Verifier::Start(const VerifierRecord& record) {
  return StartWithScalarForTesting(record, SecretBytes());
}

absl::StatusOr<Verifier> Verifier::StartWithScalarForTesting(const VerifierRecord& record,
                                                             const SecretBytes& y) {
  auto state = std::make_unique<State>();
  CPNS_ASSIGN_OR_RETURN(state->party, StartParty(record.w0, y.empty() ? nullptr : &y, kNHex));
  CPNS_ASSIGN_OR_RETURN(state->l, DecodePoint(state->party.group.get(), "L", record.l, true));
  return Verifier(std::move(state));
}

const std::string& Verifier::share() const { return state_->party.share; }

absl::StatusOr<Keys> Verifier::Finish(const Identities& ids, absl::string_view share_p) const {
  CPNS_RETURN_IF_ERROR(FinishOnce(state_->finished));
  const Party& p = state_->party;
  CPNS_ASSIGN_OR_RETURN(PointPtr t, p.Unblind("shareP", share_p, kMHex));
  CPNS_ASSIGN_OR_RETURN(PointPtr z, Mul(p.group.get(), t.get(), p.eph.get()));
  CPNS_ASSIGN_OR_RETURN(PointPtr v, Mul(p.group.get(), state_->l.get(), p.eph.get()));
  return p.DeriveKeys(ids, share_p, p.share, z.get(), v.get());
}

bool ConfirmationMatches(absl::string_view expected, absl::string_view received) {
  // CRYPTO_memcmp: the time taken does not tell how many leading bytes of a
  // forged confirmation were right.
  return expected.size() == kConfirmSize && received.size() == kConfirmSize &&
         CRYPTO_memcmp(expected.data(), received.data(), kConfirmSize) == 0;
}

}  // namespace cpns::spake2plus
