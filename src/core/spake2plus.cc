#include "core/spake2plus.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>

#include <atomic>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/hkdf.h"
#include "core/p256.h"
#include "core/status_macros.h"
#include "cpns/core/hex.h"

namespace cpns::spake2plus {
namespace {

using p256::Add;
using p256::DecodePoint;
using p256::EncodePoint;
using p256::EncodePublicPoint;
using p256::GroupPtr;
using p256::Mul;
using p256::NewGroup;
using p256::PointPtr;
using p256::RandomScalar;
using p256::ScalarBytes;
using p256::ScalarModN;
using p256::SecretBn;

// RFC 9383 section 4: M and N for P-256, compressed SEC1 (the points of
// RFC 9382, from a hash of a seed, so nobody knows their discrete logarithms).
constexpr absl::string_view kMHex = "02886e2f97ace46e55ba9dd7242579f2993b64e16ef3dcab95afd497333d8fa12f";
constexpr absl::string_view kNHex = "03d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b49";

const unsigned char* U(absl::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

absl::Status OpenSslError(absl::string_view what) {
  return absl::InternalError(absl::StrCat("SPAKE2+: OpenSSL failed in ", what));
}

// M or N from its hex above.
absl::StatusOr<PointPtr> FixedPoint(const EC_GROUP* group, absl::string_view hex) {
  CPNS_ASSIGN_OR_RETURN(std::string bytes, HexDecode("M or N", hex));
  return DecodePoint(group, "SPAKE2+ M or N", bytes, false);
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
    CPNS_ASSIGN_OR_RETURN(SecretBytes z_bytes, EncodePoint(group.get(), z, "SPAKE2+ Z"));
    CPNS_ASSIGN_OR_RETURN(SecretBytes v_bytes, EncodePoint(group.get(), v, "SPAKE2+ V"));
    const SecretBytes w0_bytes = ScalarBytes(w0.get());
    const SecretBytes tt =
        Transcript({ids.context, ids.id_prover, ids.id_verifier, m, n, share_p, share_v,
                    z_bytes.RevealSecret(), v_bytes.RevealSecret(), w0_bytes.RevealSecret()});
    return KeySchedule(tt, share_p, share_v);
  }
};

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
  CPNS_ASSIGN_OR_RETURN(PointPtr t, p.Unblind("SPAKE2+ shareV", share_v, kNHex));
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
  CPNS_ASSIGN_OR_RETURN(state->l, DecodePoint(state->party.group.get(), "SPAKE2+ L", record.l, true));
  return Verifier(std::move(state));
}

const std::string& Verifier::share() const { return state_->party.share; }

absl::StatusOr<Keys> Verifier::Finish(const Identities& ids, absl::string_view share_p) const {
  CPNS_RETURN_IF_ERROR(FinishOnce(state_->finished));
  const Party& p = state_->party;
  CPNS_ASSIGN_OR_RETURN(PointPtr t, p.Unblind("SPAKE2+ shareP", share_p, kMHex));
  CPNS_ASSIGN_OR_RETURN(PointPtr z, Mul(p.group.get(), t.get(), p.eph.get()));
  CPNS_ASSIGN_OR_RETURN(PointPtr v, Mul(p.group.get(), state_->l.get(), p.eph.get()));
  return p.DeriveKeys(ids, share_p, p.share, z.get(), v.get());
}

absl::Status CheckShare(absl::string_view what, absl::string_view share) {
  CPNS_ASSIGN_OR_RETURN(p256::GroupPtr group, p256::NewGroup());
  return DecodePoint(group.get(), what, share, true).status();
}

bool ConfirmationMatches(absl::string_view expected, absl::string_view received) {
  // CRYPTO_memcmp: the time taken does not tell how many leading bytes of a
  // forged confirmation were right.
  return expected.size() == kConfirmSize && received.size() == kConfirmSize &&
         CRYPTO_memcmp(expected.data(), received.data(), kConfirmSize) == 0;
}

}  // namespace cpns::spake2plus
