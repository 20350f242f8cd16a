#include "gateway/uplink.h"

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "core/logging.h"
#include "core/status_macros.h"
#include "cpns/assignee/key_file.h"
#include "gateway/first_seed.h"

namespace cpns::gateway {

absl::StatusOr<std::unique_ptr<Uplink>> Uplink::Create(const UplinkOptions& options,
                                                       const GatewayId& own_id,
                                                       std::string key_file, const Clock& clock) {
  // The assignee library names its own flags (--gateway, --cert, ...); the
  // operator typed --uplink-*.
  auto in_uplink = [](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("--uplink-*: ", s.message()));
  };
  absl::StatusOr<UserId> user = UserId::Parse(options.user_id);
  if (!user.ok()) return in_uplink(user.status());
  CPNS_ASSIGN_OR_RETURN(EntityId entity, EntityId::Parse(own_id.value()));
  absl::StatusOr<std::unique_ptr<assignee::EUKeyClient>> client =
      assignee::EUKeyClient::Create({.gateway = options.gateway,
                                     .gateway_ca_file = options.gateway_ca_file,
                                     .cert_file = options.cert_file,
                                     .key_file = options.key_file});
  if (!client.ok()) return in_uplink(client.status());
  return std::unique_ptr<Uplink>(new Uplink(std::move(*client),
                                            Assignee{EntityType::kPnGw, entity, *user},
                                            options.pairing_code, std::move(key_file), clock));
}

void Uplink::Ensure(absl::Duration timeout) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  {
    MutexLock lock(&mu_);
    if (held_.has_value() && now <= held_->not_after) return;
    if (clock_.Now() < next_attempt_) return;
  }
  absl::StatusOr<assignee::EUKeyAssignment> kept = assignee::LoadAssignment(key_file_);
  if (!kept.ok() || now > kept->not_after) {
    kept = client_->Request(self_, timeout, SecretBytes::CopyFrom(pairing_code_));
    if (kept.ok()) {
      if (absl::Status s = assignee::SaveAssignment(key_file_, *kept); !s.ok()) kept = s;
    }
  }
  MutexLock lock(&mu_);
  if (!kept.ok()) {
    next_attempt_ = clock_.Now() + Backoff(++failures_, absl::Minutes(5), 0);
    spdlog::warn("uplink EUKey from the upstream gateway not obtained (retry in {} s): {}",
                 absl::ToInt64Seconds(next_attempt_ - clock_.Now()), kept.status().ToString());
    return;
  }
  failures_ = 0;
  held_ = UplinkInfo{kept->gw_id.value(), kept->seed_epoch, kept->not_after};
  spdlog::info("uplink EUKey held: from gateway {} (its epoch {}), as PNGW {}, until {}",
               kept->gw_id.value(), kept->seed_epoch, self_.entity_id.value(), kept->not_after);
}

std::optional<UplinkInfo> Uplink::held() const {
  MutexLock lock(&mu_);
  return held_;
}

}  // namespace cpns::gateway
