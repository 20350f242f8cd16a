#include "gateway/first_seed.h"

#include <algorithm>

namespace cpns::gateway {

absl::string_view SeedStateName(SeedState state) {
  switch (state) {
    case SeedState::kActive: return "ACTIVE";
    case SeedState::kRotated: return "ROTATED";
    case SeedState::kRetired: return "RETIRED";
    case SeedState::kRevoked: return "REVOKED";
    case SeedState::kUnknown: return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string FormatSeedTime(absl::Time t) {
  if (t == absl::InfiniteFuture()) return "unknown";
  return absl::FormatTime(absl::RFC3339_sec, t, absl::UTCTimeZone());
}

absl::Time ExpiryFromUnixSeconds(int64_t seconds) {
  return seconds == 0 ? absl::InfiniteFuture() : absl::FromUnixSeconds(seconds);
}

int64_t ExpiryToUnixSeconds(absl::Time expires_at) {
  return expires_at == absl::InfiniteFuture() ? 0 : absl::ToUnixSeconds(expires_at);
}

absl::Duration Backoff(int failures, absl::Duration cap, double u) {
  constexpr double kBackoffJitter = 0.20;
  absl::Duration wait = absl::Seconds(1);
  for (int i = 1; i < failures && wait < cap; ++i) wait *= 2;
  return std::min(wait, cap) * (1 - kBackoffJitter * (u + 1) / 2);
}

}  // namespace cpns::gateway
