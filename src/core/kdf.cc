#include "cpns/core/kdf.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/digest.h"

namespace cpns {
namespace {

constexpr absl::string_view kSecondSeedLabel = "CPNS-2nd-seed";
constexpr absl::string_view kEUKeyLabel = "CPNS-EUKey";
constexpr absl::string_view kAuthLabel = "CPNS-auth";

}  // namespace

std::string BigEndian32(uint32_t v) {
  std::string out(4, '\0');
  for (int i = 3; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xFF);
  return out;
}

std::string BigEndian64(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[i] = static_cast<char>(v & 0xFF);
  return out;
}

absl::StatusOr<SecretBytes> Kdf(const SecretBytes& key, uint8_t fc,
                                std::span<const absl::string_view> params) {
  // S = FC || P0 || L0 || ...
  std::string s(1, static_cast<char>(fc));
  for (size_t i = 0; i < params.size(); ++i) {
    const absl::string_view p = params[i];
    if (p.size() > 0xFFFF) {
      return absl::InvalidArgumentError(
          absl::StrCat("KDF parameter P", i, " is ", p.size(), " bytes; at most 65535 fit in Li"));
    }
    s.append(p.data(), p.size());
    s.push_back(static_cast<char>((p.size() >> 8) & 0xFF));
    s.push_back(static_cast<char>(p.size() & 0xFF));
  }
  SecretBytes out(EVP_MAX_MD_SIZE);
  unsigned int out_len = 0;
  const absl::string_view k = key.RevealSecret();
  if (HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
           reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.MutableSecretData(),
           &out_len) == nullptr) {
    return absl::InternalError("HMAC-SHA-256 failed in OpenSSL");
  }
  SecretBytes result(out.MutableSecretData(), out_len);
  WipeString(s);  // S may carry secret parameters (the 2nd seed in a proof)
  return result;
}

absl::StatusOr<SecretBytes> DeriveSecondSeed(const SecretBytes& first_seed, const GatewayId& gw_id,
                                             const Assignee& assignee, absl::string_view nonce) {
  const std::array<absl::string_view, 6> params = {
      kSecondSeedLabel, gw_id.value(), EntityTypeName(assignee.entity_type),
      assignee.entity_id.value(), assignee.user_id.value(), nonce};
  return Kdf(first_seed, kFcSecondSeed, params);
}

absl::StatusOr<SecretBytes> DeriveEUKey(const SecretBytes& first_seed,
                                        const SecretBytes& second_seed,
                                        const AssignmentContext& c) {
  const std::string epoch = BigEndian32(c.seed_epoch);
  const std::string not_after = BigEndian64(static_cast<uint64_t>(c.not_after));
  const std::array<absl::string_view, 7> params = {
      kEUKeyLabel,          c.gw_id.value(),
      epoch,                EntityTypeName(c.assignee.entity_type),
      c.assignee.entity_id.value(), c.assignee.user_id.value(),
      not_after};
  return Kdf(first_seed.Concat(second_seed), kFcEUKey, params);
}

absl::StatusOr<SecretBytes> DeriveAuthProof(const SecretBytes& eukey,
                                            const AssignmentContext& c,
                                            const SecretBytes& second_seed,
                                            absl::string_view challenge,
                                            absl::string_view client_nonce) {
  const std::string epoch = BigEndian32(c.seed_epoch);
  const std::string not_after = BigEndian64(static_cast<uint64_t>(c.not_after));
  const std::array<absl::string_view, 10> params = {
      kAuthLabel,           challenge,
      client_nonce,         c.gw_id.value(),
      epoch,                EntityTypeName(c.assignee.entity_type),
      c.assignee.entity_id.value(), c.assignee.user_id.value(),
      second_seed.RevealSecret(), not_after};
  return Kdf(eukey, kFcAuthProof, params);
}

std::string SecondSeedFingerprint(const SecretBytes& second_seed) {
  return LabeledSha256("CPNS-2nd-seed-fingerprint", second_seed.RevealSecret());
}

}  // namespace cpns
