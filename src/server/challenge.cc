#include "server/challenge.h"

#include <algorithm>
#include <array>

#include "core/status_macros.h"
#include "cpns/core/kdf.h"
#include "cpns/core/random.h"

namespace cpns::server {
namespace {

constexpr char kVersion = 0x01;
constexpr uint8_t kFcChallenge = 0x73;
constexpr size_t kIdSize = 16;
constexpr size_t kTagSize = 16;

absl::Status NotOurs() {
  return absl::FailedPreconditionError(
      "the challenge is not valid or has expired; ask for a new one");
}

}  // namespace

// KDF(key, 0x73, "CPNS-challenge", body) on the prepared key: its input
// S = FC || P0 || L0 || P1 || L1 put together here, as kdf.cc does.
std::string ChallengeCodec::Tag(absl::string_view body) const {
  constexpr absl::string_view kLabel = "CPNS-challenge";
  std::array<char, 1 + kLabel.size() + 2 + kChallengeSize + 2> s;
  char* out = s.data();
  *out++ = static_cast<char>(kFcChallenge);
  out = std::copy(kLabel.begin(), kLabel.end(), out);
  *out++ = 0;
  *out++ = static_cast<char>(kLabel.size());
  // `body` is at most kChallengeSize - kTagSize bytes (Issue and Verify).
  out = std::copy(body.begin(), body.end(), out);
  *out++ = static_cast<char>((body.size() >> 8) & 0xFF);
  *out++ = static_cast<char>(body.size() & 0xFF);
  HmacSha256Out mac;
  key_->Mac(absl::string_view(s.data(), static_cast<size_t>(out - s.data())), mac);
  return std::string(reinterpret_cast<const char*>(mac.data()), kTagSize);
}

absl::StatusOr<Challenge> ChallengeCodec::Issue() const {
  CPNS_ASSIGN_OR_RETURN(SecretBytes id, SecureRandomNonce(kIdSize));
  const absl::Time expires_at = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now() + lifetime_));
  std::string body(1, kVersion);
  body.append(id.RevealSecret().data(), kIdSize);
  body.append(BigEndian64(static_cast<uint64_t>(absl::ToUnixSeconds(expires_at))));
  const std::string tag = Tag(body);
  return Challenge{body + tag, std::string(id.RevealSecret()), expires_at};
}

absl::StatusOr<Challenge> ChallengeCodec::Verify(absl::string_view bytes) const {
  if (bytes.size() != kChallengeSize || bytes[0] != kVersion) return NotOurs();
  const absl::string_view body = bytes.substr(0, kChallengeSize - kTagSize);
  const std::string expected = Tag(body);
  if (!ConstantTimeEquals(expected, bytes.substr(kChallengeSize - kTagSize))) return NotOurs();
  int64_t expiry = 0;
  for (size_t i = 0; i < 8; ++i) {
    expiry = (expiry << 8) | static_cast<unsigned char>(bytes[1 + kIdSize + i]);
  }
  const absl::Time expires_at = absl::FromUnixSeconds(expiry);
  if (clock_.Now() > expires_at) return NotOurs();
  return Challenge{std::string(bytes), std::string(bytes.substr(1, kIdSize)), expires_at};
}

}  // namespace cpns::server
