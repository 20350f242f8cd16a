// The CPNS key derivations (normative text: docs/PROTOCOL.md, section KDF).
//
// Pure functions and an immutable SecondSeedDeriver; thread-safe. Inputs are
// already validated types, so the only failure left is a parameter longer than 65535 bytes, which cannot be encoded
// in the 16-bit length field and is refused with InvalidArgument.
#ifndef CPNS_CORE_KDF_H_
#define CPNS_CORE_KDF_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"

namespace cpns {

inline constexpr size_t kFirstSeedSize = 32;
inline constexpr size_t kSecondSeedSize = 32;
inline constexpr size_t kEUKeySize = 32;
inline constexpr size_t kNonceSize = 16;

inline constexpr uint8_t kFcSecondSeed = 0x70;
inline constexpr uint8_t kFcEUKey = 0x71;
inline constexpr uint8_t kFcAuthProof = 0x72;

// The generic KDF of 3GPP TS 33.220 Annex B.2:
//   HMAC-SHA-256(key, FC || P0 || L0 || ... || Pn || Ln)
// with Li the length of Pi as a 16-bit big-endian integer.
absl::StatusOr<SecretBytes> Kdf(const SecretBytes& key, uint8_t fc,
                                std::span<const absl::string_view> params);

// be32(v) and be64(v) as byte strings, for KDF parameters.
std::string BigEndian32(uint32_t v);
std::string BigEndian64(uint64_t v);

// Everything the gateway binds a key to, besides the seeds.
struct AssignmentContext {
  GatewayId gw_id;
  uint32_t seed_epoch;
  Assignee assignee;
  int64_t not_after;  // Unix seconds
};

// 2nd seed = KDF(first_seed, 0x70, "CPNS-2nd-seed", gw_id, entity_type,
//                entity_id, user_id, nonce)
absl::StatusOr<SecretBytes> DeriveSecondSeed(const SecretBytes& first_seed, const GatewayId& gw_id,
                                             const Assignee& assignee, absl::string_view nonce);

// A 1st seed prepared for deriving many 2nd seeds: the HMAC key state of the
// seed is computed once at Create, so each Derive costs only the HMAC of its
// input (same result as DeriveSecondSeed with that seed). Immutable; Derive
// is thread-safe. Holds key material (the seed's keyed SHA-256 states),
// cleansed (OPENSSL_cleanse) when the last shared_ptr to it goes: a holder
// keeps it beside the seed and drops it with the seed. Never printed.
class HmacSha256Key;
class SecondSeedDeriver {
 public:
  static std::shared_ptr<const SecondSeedDeriver> Create(const SecretBytes& first_seed);
  ~SecondSeedDeriver();
  SecondSeedDeriver(const SecondSeedDeriver&) = delete;
  SecondSeedDeriver& operator=(const SecondSeedDeriver&) = delete;

  absl::StatusOr<SecretBytes> Derive(const GatewayId& gw_id, const Assignee& assignee,
                                     absl::string_view nonce) const;

 private:
  explicit SecondSeedDeriver(std::unique_ptr<const HmacSha256Key> key);
  std::unique_ptr<const HmacSha256Key> key_;
};

// EUKey = KDF(first_seed || second_seed, 0x71, "CPNS-EUKey", gw_id,
//             be32(seed_epoch), entity_type, entity_id, user_id, be64(not_after))
absl::StatusOr<SecretBytes> DeriveEUKey(const SecretBytes& first_seed,
                                        const SecretBytes& second_seed,
                                        const AssignmentContext& context);

// Proof of possession of an EUKey:
// proof = KDF(eukey, 0x72, "CPNS-auth", challenge, client_nonce, gw_id,
//             be32(seed_epoch), entity_type, entity_id, user_id, second_seed,
//             be64(not_after))
absl::StatusOr<SecretBytes> DeriveAuthProof(const SecretBytes& eukey,
                                            const AssignmentContext& context,
                                            const SecretBytes& second_seed,
                                            absl::string_view challenge,
                                            absl::string_view client_nonce);

// Names one EUKey without revealing anything usable about it: the 32-byte
// SHA-256("CPNS-2nd-seed-fingerprint" || second_seed). Key revocation and
// the gateway's assignment records identify keys by it (PROTOCOL.md 9.7).
std::string SecondSeedFingerprint(const SecretBytes& second_seed);

}  // namespace cpns

#endif  // CPNS_CORE_KDF_H_
