// SPAKE2+ (RFC 9383), the ciphersuite P256-SHA256-HKDF-SHA256-HMAC-SHA256,
// on OpenSSL 3's EC primitives. Debian packages no SPAKE2+, so it is written
// here, after the RFC's section 3 and its appendix C test vectors.
//
// Roles: the prover knows the password (w0, w1); the verifier stores only
// w0 and L = w1*P. Each side draws a fresh secret scalar (x, y), sends its
// share (shareP = x*P + w0*M, shareV = y*P + w0*N), and from the other's
// share computes Z and V, the transcript TT and the keys:
//   K_main = SHA-256(TT)
//   K_confirmP || K_confirmV = HKDF-SHA256(salt = none, K_main, "ConfirmationKeys", 64)
//   K_shared = HKDF-SHA256(salt = none, K_main, "SharedKey", 32)
//   confirmP = HMAC-SHA256(K_confirmP, shareV)
//   confirmV = HMAC-SHA256(K_confirmV, shareP)
// Both sides arrive at the same Keys; the prover sends confirm_p and checks
// confirm_v, the verifier the other way round, each with ConfirmationMatches
// (constant time).
//
// Encodings: points are SEC1 uncompressed (65 bytes); scalars are 32 bytes
// big-endian, reduced mod the group order n. A received share that is not a
// point of the curve, or is the point at infinity, is refused
// (InvalidArgument naming it) before any secret is used with it.
//
// Secrets (w0, w1, x, y, Z, V, keys) live in SecretBytes or in BIGNUMs
// cleared on free; multiplications by a secret scalar use OpenSSL's
// constant-time single-point path (EC_POINT_mul with one point, or with the
// generator only). Thread-compatible objects; the free functions are
// thread-safe.
#ifndef CPNS_CORE_SPAKE2PLUS_H_
#define CPNS_CORE_SPAKE2PLUS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::spake2plus {

inline constexpr size_t kPointSize = 65;   // SEC1 uncompressed P-256 point
inline constexpr size_t kScalarSize = 32;  // big-endian, mod n
inline constexpr size_t kConfirmSize = 32; // HMAC-SHA256
inline constexpr size_t kSharedKeySize = 32;
// PBKDF output per scalar: ceil(log2(n)) + 64 bits, so that reducing it mod
// n is unbiased to 2^-64 (RFC 9383 section 3.2).
inline constexpr size_t kPbkdfHalfSize = 40;

// What the prover derives from the password.
struct ProverSecrets {
  SecretBytes w0;  // kScalarSize
  SecretBytes w1;  // kScalarSize
};

// What the verifier stores: w0 and L = w1*P, never w1.
struct VerifierRecord {
  SecretBytes w0;  // kScalarSize
  std::string l;   // kPointSize
};

// w0s || w1s = PBKDF2-HMAC-SHA256(password, salt, iterations, 80 bytes);
// w0 = w0s mod n, w1 = w1s mod n. InvalidArgument for an empty salt or
// iterations of 0.
absl::StatusOr<ProverSecrets> DeriveProverSecrets(const SecretBytes& password,
                                                  absl::string_view salt, uint32_t iterations);
// w0 = w0s mod n, w1 = w1s mod n from PBKDF output halves of any length.
absl::StatusOr<ProverSecrets> ProverSecretsFromPbkdfOutput(const SecretBytes& w0s,
                                                           const SecretBytes& w1s);
// L = w1*P.
absl::StatusOr<VerifierRecord> MakeVerifierRecord(const ProverSecrets& secrets);

// What the transcript binds besides the shares (RFC 9383 section 3.3).
struct Identities {
  std::string context;
  std::string id_prover;
  std::string id_verifier;
};

// The outcome of an exchange, the same on both sides when the passwords
// match.
struct Keys {
  SecretBytes k_main;      // SHA-256(TT)
  std::string confirm_p;   // kConfirmSize
  std::string confirm_v;   // kConfirmSize
  SecretBytes k_shared;    // kSharedKeySize
};

class Prover {
 public:
  // Draws x from the CSPRNG.
  static absl::StatusOr<Prover> Start(const ProverSecrets& secrets);
  // With a given x (test vectors only).
  static absl::StatusOr<Prover> StartWithScalarForTesting(const ProverSecrets& secrets,
                                                          const SecretBytes& x);
  Prover(Prover&&) noexcept;
  Prover& operator=(Prover&&) noexcept;
  ~Prover();

  const std::string& share() const;  // shareP
  // Z = h*x*(shareV - w0*N), V = h*w1*(shareV - w0*N), then the keys.
  // Once per Start: FailedPrecondition on a second call, whatever the first
  // returned (a reused x would give a peer several guesses).
  absl::StatusOr<Keys> Finish(const Identities& ids, absl::string_view share_v) const;

 private:
  struct State;
  explicit Prover(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

class Verifier {
 public:
  // Draws y from the CSPRNG.
  static absl::StatusOr<Verifier> Start(const VerifierRecord& record);
  static absl::StatusOr<Verifier> StartWithScalarForTesting(const VerifierRecord& record,
                                                            const SecretBytes& y);
  Verifier(Verifier&&) noexcept;
  Verifier& operator=(Verifier&&) noexcept;
  ~Verifier();

  const std::string& share() const;  // shareV
  // Z = h*y*(shareP - w0*M), V = h*y*L, then the keys.
  // Once per Start: FailedPrecondition on a second call, whatever the first
  // returned (a reused y would give a peer several guesses).
  absl::StatusOr<Keys> Finish(const Identities& ids, absl::string_view share_p) const;

 private:
  struct State;
  explicit Verifier(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// InvalidArgument naming `what` unless `share` is a 65-byte uncompressed
// point of P-256 other than the identity: the check Finish makes first, for
// a caller that must tell a malformed share from a failed exchange.
absl::Status CheckShare(absl::string_view what, absl::string_view share);

// Whether a received confirmation equals the expected one, in constant time
// (CRYPTO_memcmp); false for a length other than kConfirmSize.
bool ConfirmationMatches(absl::string_view expected, absl::string_view received);

}  // namespace cpns::spake2plus

#endif  // CPNS_CORE_SPAKE2PLUS_H_
