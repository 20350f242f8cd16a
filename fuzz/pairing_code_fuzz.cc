// Pairing codes as a person types them into a device (src/core/pairing_code.*;
// the canonical form is the PAKE's password).
// Properties: an accepted code normalizes to 10 symbols of the code alphabet;
// normalizing is idempotent (the canonical and the "XXXXX-XXXXX" forms give
// the same code).
#include <string>

#include "fuzz_util.h"
#include "core/pairing_code.h"

namespace {

constexpr absl::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cpns::fuzz::Check;
  const absl::string_view typed = cpns::fuzz::AsText(data, size);
  const auto canonical = cpns::NormalizePairingCode(typed);
  if (!canonical.ok()) {
    Check(canonical.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const absl::string_view code = canonical->RevealSecret();
  Check(code.size() == static_cast<size_t>(cpns::kPairingCodeSymbols));
  for (char c : code) Check(kAlphabet.find(c) != absl::string_view::npos);
  const auto again = cpns::NormalizePairingCode(code);
  Check(again.ok() && *again == *canonical);
  const std::string shown = std::string(code.substr(0, 5)) + "-" + std::string(code.substr(5));
  const auto from_shown = cpns::NormalizePairingCode(shown);
  Check(from_shown.ok() && from_shown->RevealSecret() == canonical->RevealSecret());
  return 0;
}
