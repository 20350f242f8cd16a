// Pairing codes as a device sends them (EUKeyAssignmentRequest.pairing_code)
// and as an owner types them (src/gateway/pairing_code.*).
// Properties: an accepted code normalizes to 10 symbols of the code alphabet;
// normalizing is idempotent (the canonical and the "XXXXX-XXXXX" forms give
// the same code and hash).
#include <string>

#include "fuzz_util.h"
#include "gateway/pairing_code.h"

namespace {

constexpr absl::string_view kAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cpns::fuzz::Check;
  const absl::string_view typed = cpns::fuzz::AsText(data, size);
  const auto canonical = cpns::gateway::NormalizePairingCode(typed);
  if (!canonical.ok()) {
    Check(canonical.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const absl::string_view code = canonical->RevealSecret();
  Check(code.size() == static_cast<size_t>(cpns::gateway::kPairingCodeSymbols));
  for (char c : code) Check(kAlphabet.find(c) != absl::string_view::npos);
  const auto again = cpns::gateway::NormalizePairingCode(code);
  Check(again.ok() && *again == *canonical);
  const std::string shown = std::string(code.substr(0, 5)) + "-" + std::string(code.substr(5));
  const auto from_shown = cpns::gateway::NormalizePairingCode(shown);
  Check(from_shown.ok() && cpns::gateway::PairingCodeHash(*from_shown) ==
                               cpns::gateway::PairingCodeHash(*canonical));
  return 0;
}
