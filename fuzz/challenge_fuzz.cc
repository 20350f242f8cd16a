// Challenges as clients return them in AuthenticateRequest.challenge
// (src/server/challenge.*), checked with a fixed key and clock.
// Properties: what verifies is a challenge of this codec, unexpired, whose id
// is its bytes 1-16 (the corpus holds one it issued; forging a tag has odds
// 2^-128); anything else is refused with FailedPrecondition; an issued challenge verifies to the same id and
// expiry; any single changed byte of it is refused.
#include <string>

#include "core/fake_clock.h"
#include "fixtures.h"
#include "fuzz_util.h"
#include "server/challenge.h"

namespace {

using cpns::fuzz::Check;

const cpns::server::ChallengeCodec& Codec() {
  static const cpns::FakeClock* clock =
      new cpns::FakeClock(absl::FromUnixSeconds(cpns::fuzz::kNowUnixSeconds));
  static const cpns::server::ChallengeCodec* codec = new cpns::server::ChallengeCodec(
      cpns::SecretBytes::CopyFrom(std::string(32, cpns::fuzz::kChallengeKeyByte)), *clock,
      absl::Minutes(5));
  return *codec;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const cpns::server::ChallengeCodec& codec = Codec();
  const absl::string_view bytes = cpns::fuzz::AsText(data, size);
  const auto verified = codec.Verify(bytes);
  if (verified.ok()) {
    Check(verified->bytes == bytes && verified->id == bytes.substr(1, 16) &&
          verified->expires_at >= absl::FromUnixSeconds(cpns::fuzz::kNowUnixSeconds));
  } else {
    Check(verified.status().code() == absl::StatusCode::kFailedPrecondition);
  }

  const auto issued = codec.Issue();
  Check(issued.ok() && issued->bytes.size() == cpns::server::kChallengeSize);
  const auto back = codec.Verify(issued->bytes);
  Check(back.ok() && back->id == issued->id && back->expires_at == issued->expires_at &&
        back->bytes == issued->bytes);
  if (size >= 2 && data[1] != 0) {
    std::string changed = issued->bytes;
    changed[data[0] % changed.size()] ^= static_cast<char>(data[1]);
    Check(!codec.Verify(changed).ok());
  }
  return 0;
}
