// Lowercase hexadecimal encoding. Thread-safe pure functions.
#ifndef CPNS_CORE_HEX_H_
#define CPNS_CORE_HEX_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "cpns/core/secret_bytes.h"

namespace cpns {

std::string HexEncode(std::string_view bytes);
// Accepts upper or lower case; InvalidArgument naming `what` on odd length or a non-hex digit.
absl::StatusOr<std::string> HexDecode(std::string_view what, std::string_view hex);
// Same, straight into a wiping buffer, for secrets typed by an operator.
absl::StatusOr<SecretBytes> HexDecodeSecret(std::string_view what, std::string_view hex);

}  // namespace cpns

#endif  // CPNS_CORE_HEX_H_
