#include "gateway/pairing_decoy.h"

#include <openssl/crypto.h>

#include "absl/strings/str_cat.h"
#include "core/hmac_sha256.h"
#include "core/pairing.h"
#include "core/status_macros.h"

namespace cpns::gateway {
namespace {

SecretBytes Mac(const SecretBytes& key, absl::string_view label, const Assignee& assignee) {
  HmacSha256Out out;
  HmacSha256(key.RevealSecret(), absl::StrCat(label, "\n", pairing::ProverIdentity(assignee)),
             out);
  SecretBytes mac(out.data(), out.size());
  OPENSSL_cleanse(out.data(), out.size());
  return mac;
}

}  // namespace

std::string PairingSalt(const SecretBytes& key, const Assignee& assignee) {
  return std::string(Mac(key, "salt", assignee).RevealSecret());
}

absl::StatusOr<PairingVerifier> DecoyVerifier(const SecretBytes& key, const Assignee& assignee) {
  PairingVerifier v{.salt = PairingSalt(key, assignee),
                    .iterations = pairing::kDefaultIterations};
  CPNS_ASSIGN_OR_RETURN(spake2plus::ProverSecrets secrets,
                        spake2plus::ProverSecretsFromPbkdfOutput(Mac(key, "w0", assignee),
                                                                 Mac(key, "w1", assignee)));
  CPNS_ASSIGN_OR_RETURN(v.record, spake2plus::MakeVerifierRecord(secrets));
  return v;
}

}  // namespace cpns::gateway
