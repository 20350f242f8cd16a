#include "cpns/core/hex.h"

#include "absl/strings/str_cat.h"

namespace cpns {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0x0F]);
  }
  return out;
}

absl::StatusOr<SecretBytes> HexDecodeSecret(absl::string_view what, absl::string_view hex) {
  if (hex.size() % 2 != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " has an odd number of hex digits (", hex.size(), ")"));
  }
  SecretBytes out(hex.size() / 2);
  uint8_t* data = out.MutableSecretData();
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexValue(hex[i]);
    const int lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " has a non-hex character at position ", hi < 0 ? i : i + 1));
    }
    data[i / 2] = static_cast<uint8_t>((hi << 4) | lo);
  }
  return out;
}

absl::StatusOr<std::string> HexDecode(absl::string_view what, absl::string_view hex) {
  absl::StatusOr<SecretBytes> decoded = HexDecodeSecret(what, hex);
  if (!decoded.ok()) return decoded.status();
  return std::string(decoded->RevealSecret());
}

}  // namespace cpns
