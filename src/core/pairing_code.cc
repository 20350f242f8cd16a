#include "core/pairing_code.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "cpns/core/random.h"

namespace cpns {
namespace {

constexpr absl::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

// The symbol `c` stands for, or -1; -2 for a separator to skip.
int SymbolValue(char c) {
  if (c == '-' || c == ' ') return -2;
  if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  if (c == 'I' || c == 'L') c = '1';
  if (c == 'O') c = '0';
  const size_t at = kAlphabet.find(c);
  return at == absl::string_view::npos ? -1 : static_cast<int>(at);
}

}  // namespace

absl::StatusOr<SecretBytes> NewPairingCode() {
  CPNS_ASSIGN_OR_RETURN(SecretBytes random, SecureRandomBytes(kPairingCodeSymbols));
  SecretBytes code(kPairingCodeSymbols + 1);
  char* out = reinterpret_cast<char*>(code.MutableSecretData());
  const absl::string_view bytes = random.RevealSecret();
  for (int i = 0, o = 0; i < kPairingCodeSymbols; ++i) {
    if (i == 5) out[o++] = '-';
    // 256 is a multiple of 32: taking 5 bits of each byte is unbiased.
    out[o++] = kAlphabet[static_cast<unsigned char>(bytes[i]) & 31];
  }
  return code;
}

absl::StatusOr<SecretBytes> NormalizePairingCode(absl::string_view typed) {
  SecretBytes canonical(kPairingCodeSymbols);
  char* out = reinterpret_cast<char*>(canonical.MutableSecretData());
  int n = 0;
  for (char c : typed) {
    const int v = SymbolValue(c);
    if (v == -2) continue;
    if (v < 0) {
      return absl::InvalidArgumentError(
          "pairing_code has a character that is not in a pairing code (0-9, A-Z without U)");
    }
    if (n < kPairingCodeSymbols) out[n] = kAlphabet[v];
    ++n;
  }
  if (n != kPairingCodeSymbols || typed.size() > 32) {
    return absl::InvalidArgumentError(absl::StrCat(
        "pairing_code must have ", kPairingCodeSymbols, " symbols (like ABCDE-12345)"));
  }
  return canonical;
}

}  // namespace cpns
