// Lowercase hexadecimal encoding. Thread-safe pure functions.
#ifndef CPNS_CORE_HEX_H_
#define CPNS_CORE_HEX_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "cpns/core/secret_bytes.h"

namespace cpns {

std::string HexEncode(absl::string_view bytes);
// Accepts upper or lower case; InvalidArgument naming `what` on odd length or a non-hex digit.
absl::StatusOr<std::string> HexDecode(absl::string_view what, absl::string_view hex);
// Same, straight into a wiping buffer, for secrets typed by an operator.
absl::StatusOr<SecretBytes> HexDecodeSecret(absl::string_view what, absl::string_view hex);

}  // namespace cpns

#endif  // CPNS_CORE_HEX_H_
