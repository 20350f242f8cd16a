#include "gateway/uplink.h"

#include "core/logging.h"

#include "gateway/first_seed.h"

namespace cpns::gateway {

// A kept key that cannot be read is replaced, like a missing or expired one.
absl::StatusOr<UplinkInfo> Uplink::LoadOrRequest(int64_t now, absl::Duration timeout) {
  absl::StatusOr<UplinkInfo> kept = source_->LoadKept();
  if (kept.ok() && now <= kept->not_after) return kept;
  return source_->RequestAndKeep(timeout);
}

void Uplink::Ensure(absl::Duration timeout) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  {
    MutexLock lock(&mu_);
    if (held_.has_value() && now <= held_->not_after) return;
    if (clock_.Now() < next_attempt_) return;
  }
  absl::StatusOr<UplinkInfo> kept = LoadOrRequest(now, timeout);
  MutexLock lock(&mu_);
  if (!kept.ok()) {
    next_attempt_ = clock_.Now() + Backoff(++failures_, absl::Minutes(5), 0);
    log::Warn("uplink EUKey from the upstream gateway not obtained",
              {{"retry_in_s", absl::ToInt64Seconds(next_attempt_ - clock_.Now())},
               {"result", absl::StatusCodeToString(kept.status().code())},
               {"error", kept.status()}});
    return;
  }
  failures_ = 0;
  held_ = *kept;
  log::Info("uplink EUKey held", {{"upstream_gw_id", kept->upstream_gw_id},
                                  {"epoch", kept->seed_epoch},
                                  {"entity_type", "PNGW"},
                                  {"entity_id", own_id_.value()},
                                  {"not_after", kept->not_after}});
}

std::optional<UplinkInfo> Uplink::held() const {
  MutexLock lock(&mu_);
  return held_;
}

}  // namespace cpns::gateway
