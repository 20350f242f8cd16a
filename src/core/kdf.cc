#include "cpns/core/kdf.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/digest.h"
#include "core/hmac_sha256.h"
#include "core/status_macros.h"

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

namespace {

// S = FC || P0 || L0 || ... || Pn || Ln, built on the stack when it fits
// (identifiers of usual lengths), on the heap otherwise. S may carry secret
// parameters (the 2nd seed in a proof), so it is wiped when destroyed.
class KdfInput {
 public:
  KdfInput() = default;
  KdfInput(const KdfInput&) = delete;
  KdfInput& operator=(const KdfInput&) = delete;
  ~KdfInput() {
    OPENSSL_cleanse(data_, size_);
    WipeString(heap_);
  }

  // InvalidArgument if a parameter does not fit its 16-bit length.
  absl::Status Build(uint8_t fc, std::span<const absl::string_view> params) {
    size_t size = 1;
    for (size_t i = 0; i < params.size(); ++i) {
      if (params[i].size() > 0xFFFF) {
        return absl::InvalidArgumentError(absl::StrCat(
            "KDF parameter P", i, " is ", params[i].size(), " bytes; at most 65535 fit in Li"));
      }
      size += params[i].size() + 2;
    }
    if (size > inline_.size()) {
      heap_.resize(size);  // one allocation, so no partial copy is left unwiped
      data_ = heap_.data();
    }
    size_ = size;
    char* out = data_;
    *out++ = static_cast<char>(fc);
    for (const absl::string_view p : params) {
      out = std::copy(p.begin(), p.end(), out);
      *out++ = static_cast<char>((p.size() >> 8) & 0xFF);
      *out++ = static_cast<char>(p.size() & 0xFF);
    }
    return absl::OkStatus();
  }

  absl::string_view bytes() const { return {data_, size_}; }

 private:
  std::array<char, 256> inline_;
  std::string heap_;
  char* data_ = inline_.data();
  size_t size_ = 0;
};

SecretBytes ToSecret(HmacSha256Out& mac) {
  SecretBytes out(mac.data(), mac.size());
  OPENSSL_cleanse(mac.data(), mac.size());
  return out;
}

// The KDF with the key as plain bytes (the caller's SecretBytes or a stack
// buffer it wipes).
absl::StatusOr<SecretBytes> KdfWithKey(absl::string_view key, uint8_t fc,
                                       std::span<const absl::string_view> params) {
  KdfInput s;
  CPNS_RETURN_IF_ERROR(s.Build(fc, params));
  HmacSha256Out mac;
  HmacSha256(key, s.bytes(), mac);
  return ToSecret(mac);
}

std::array<absl::string_view, 6> SecondSeedParams(const GatewayId& gw_id,
                                                  const Assignee& assignee,
                                                  absl::string_view nonce) {
  return {kSecondSeedLabel, gw_id.value(), EntityTypeName(assignee.entity_type),
          assignee.entity_id.value(), assignee.user_id.value(), nonce};
}

}  // namespace

absl::StatusOr<SecretBytes> Kdf(const SecretBytes& key, uint8_t fc,
                                std::span<const absl::string_view> params) {
  return KdfWithKey(key.RevealSecret(), fc, params);
}

absl::StatusOr<SecretBytes> DeriveSecondSeed(const SecretBytes& first_seed, const GatewayId& gw_id,
                                             const Assignee& assignee, absl::string_view nonce) {
  return Kdf(first_seed, kFcSecondSeed, SecondSeedParams(gw_id, assignee, nonce));
}

SecondSeedDeriver::SecondSeedDeriver(std::unique_ptr<const HmacSha256Key> key)
    : key_(std::move(key)) {}
SecondSeedDeriver::~SecondSeedDeriver() = default;

std::shared_ptr<const SecondSeedDeriver> SecondSeedDeriver::Create(const SecretBytes& first_seed) {
  return std::shared_ptr<const SecondSeedDeriver>(
      new SecondSeedDeriver(std::make_unique<const HmacSha256Key>(first_seed.RevealSecret())));
}

absl::StatusOr<SecretBytes> SecondSeedDeriver::Derive(const GatewayId& gw_id,
                                                      const Assignee& assignee,
                                                      absl::string_view nonce) const {
  KdfInput s;
  CPNS_RETURN_IF_ERROR(s.Build(kFcSecondSeed, SecondSeedParams(gw_id, assignee, nonce)));
  HmacSha256Out mac;
  key_->Mac(s.bytes(), mac);
  return ToSecret(mac);
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
  // The key first_seed || second_seed is put together on the stack, not the heap.
  std::array<char, kFirstSeedSize + kSecondSeedSize> key;
  if (first_seed.size() + second_seed.size() > key.size()) {
    return Kdf(first_seed.Concat(second_seed), kFcEUKey, params);
  }
  std::copy_n(first_seed.RevealSecret().data(), first_seed.size(), key.data());
  std::copy_n(second_seed.RevealSecret().data(), second_seed.size(), key.data() + first_seed.size());
  absl::StatusOr<SecretBytes> eukey =
      KdfWithKey(absl::string_view(key.data(), first_seed.size() + second_seed.size()), kFcEUKey,
                 params);
  OPENSSL_cleanse(key.data(), key.size());
  return eukey;
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
