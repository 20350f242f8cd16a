// Challenges that any replica can check by itself, without shared memory.
//
// challenge = 0x01 || id (16 CSPRNG bytes) || be64(expires_at) || tag
// tag       = first 16 bytes of KDF(key, 0x73, "CPNS-challenge", 0x01 || id || be64(expires_at))
// The key is a server secret shared through the store. A challenge is
// accepted once: the AuthService records its id as used. Thread-safe.
//
// The codec keeps only the key's prepared HMAC states (HmacSha256Key), made
// once, so that a tag costs the HMAC of its input alone; they are cleansed
// when the codec is destroyed, and the key's bytes when it is constructed.
#ifndef CPNS_SERVER_CHALLENGE_H_
#define CPNS_SERVER_CHALLENGE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/hmac_sha256.h"
#include "cpns/core/clock.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::server {

inline constexpr size_t kChallengeSize = 1 + 16 + 8 + 16;
inline constexpr char kChallengeKeyName[] = "challenge-key";

struct Challenge {
  std::string bytes;  // what the client gets and returns
  std::string id;     // the 16 random bytes, recorded when used
  absl::Time expires_at;
};

class ChallengeCodec {
 public:
  // `clock` must outlive the codec.
  ChallengeCodec(SecretBytes key, const Clock& clock, absl::Duration lifetime)
      : key_(std::make_unique<const HmacSha256Key>(key.RevealSecret())),
        clock_(clock),
        lifetime_(lifetime) {}

  absl::StatusOr<Challenge> Issue() const;
  // FailedPrecondition when the bytes are not a challenge of this server
  // (any replica) or it has expired.
  absl::StatusOr<Challenge> Verify(absl::string_view bytes) const;

 private:
  std::string Tag(absl::string_view body) const;

  const std::unique_ptr<const HmacSha256Key> key_;
  const Clock& clock_;
  const absl::Duration lifetime_;
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_CHALLENGE_H_
