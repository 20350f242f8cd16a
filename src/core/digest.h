// SHA-256 with a domain-separation label, for the hashes cpns stores in place
// of secrets (key fingerprints, pairing codes). Thread-safe.
#ifndef CPNS_CORE_DIGEST_H_
#define CPNS_CORE_DIGEST_H_

#include <string>

#include "absl/strings/string_view.h"

namespace cpns {

// SHA-256(label || data): 32 bytes.
std::string LabeledSha256(absl::string_view label, absl::string_view data);

}  // namespace cpns

#endif  // CPNS_CORE_DIGEST_H_
