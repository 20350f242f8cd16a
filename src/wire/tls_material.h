// TLS material read from an operator's PEM files and checked before use, so
// that every error names the file that is wrong (gRPC would only fail later,
// at connection time, without saying which). Thread-safe functions.
#ifndef CPNS_WIRE_TLS_MATERIAL_H_
#define CPNS_WIRE_TLS_MATERIAL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/openssl_ptr.h"

namespace cpns::wire {

// The contents of a PEM file. NotFound / PermissionDenied naming `what` for a
// file that cannot be read; InvalidArgument naming the file for one that is
// not PEM.
absl::StatusOr<std::string> ReadPem(absl::string_view what, const std::string& path);

// A CA bundle: ReadPem's errors, and InvalidArgument when the file holds no
// certificate or a block that is not a whole, valid certificate.
absl::StatusOr<std::string> ReadCaBundle(absl::string_view what, const std::string& path);

// Every certificate of a PEM text, in order (none when it holds none).
// InvalidArgument naming `source` and the block's number for a block that
// is truncated, not base64 or not a certificate: a bad block never silently
// ends the list. Blocks of other types (keys, CRLs) are skipped.
absl::StatusOr<std::vector<X509Ptr>> Certificates(absl::string_view pem,
                                                  absl::string_view source);

// After an OpenSSL PEM reader returned null: true when it found no further
// block (the normal end of the text), false when a block was bad. Clears
// OpenSSL's error queue either way.
bool PemReadReachedEnd();

// How a private key file must be kept.
enum class KeyFileRule {
  kAnyMode,    // readable is enough (the one-shot clients)
  kOwnerOnly,  // the daemons: ReadSecretFile's rule (ours, no group or other access)
};

// A certificate chain and its private key. The key is wiped when dropped.
struct Identity {
  Identity() = default;
  Identity(Identity&&) = default;
  Identity& operator=(Identity&&) = default;
  ~Identity();
  std::string cert_chain;
  std::string private_key;
};

// Reads and checks a certificate and its key: ReadPem's errors for either
// file; InvalidArgument for a certificate file without a certificate, a key
// file without an unencrypted private key, and a key that is not the
// certificate's; under kOwnerOnly, FailedPrecondition for a key file others
// may read. No error holds key bytes.
absl::StatusOr<Identity> ReadIdentity(const std::string& cert_file, const std::string& key_file,
                                      KeyFileRule rule);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_TLS_MATERIAL_H_
