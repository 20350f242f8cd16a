// Building blocks of the development PKI (pki/dev_pki.h): certificates of
// a profile issued for fresh EC P-256 keys, and their files. Internal to
// src/pki. Thread-compatible.
#ifndef CPNS_PKI_X509_BUILDER_H_
#define CPNS_PKI_X509_BUILDER_H_

#include <openssl/x509v3.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "core/openssl_ptr.h"

namespace cpns::pki {

// Names `what` and the most recent OpenSSL error; clears the error queue.
absl::Status OpenSslError(const std::string& what);

struct SanEntry {
  int type;  // GEN_DNS, GEN_URI or GEN_IPADD
  std::string value;
};

// What distinguishes the CA, the server and a gateway certificate.
struct Profile {
  std::string common_name;
  std::vector<std::pair<int, const char*>> extensions;  // NID, OpenSSL config value
  std::vector<SanEntry> sans;
};

struct KeyAndCert {
  PkeyPtr key;
  X509Ptr cert;
};

// Issues a certificate for a fresh key; self-signed when `issuer` is null.
absl::StatusOr<KeyAndCert> Issue(const Profile& profile, const KeyAndCert* issuer,
                                 int validity_days);

Profile CaProfile(std::string common_name);
Profile LeafProfile(std::string common_name, const char* eku, std::vector<SanEntry> sans);
// The server's: SAN DNS:<server_name>, DNS:localhost, IP:127.0.0.1, IP:::1.
Profile ServerProfile(const std::string& server_name);

// Writes <dir>/<base>.crt (0644) and <dir>/<base>.key (PKCS#8, 0600).
absl::Status WritePair(const std::string& dir, const std::string& base, const KeyAndCert& kc);

// Reads back what WritePair wrote (the key file must be owner-only).
absl::StatusOr<KeyAndCert> ReadPair(const std::string& dir, const std::string& base);

}  // namespace cpns::pki

#endif  // CPNS_PKI_X509_BUILDER_H_
