#include "gateway/key_issuer.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "absl/strings/str_cat.h"
#include "core/logging.h"
#include "core/status_macros.h"
#include "cpns/core/kdf.h"
#include "cpns/core/random.h"
#include "wire/messages.h"

namespace cpns::gateway {

absl::Time KeyIssuer::UpstreamDeadline(absl::Time caller_deadline) const {
  // Leave the caller a tenth of its remaining time (at most 250 ms) to receive
  // our UNAVAILABLE, rather than letting its own deadline expire first.
  const absl::Time now = absl::Now();
  const absl::Duration margin = std::clamp((caller_deadline - now) / 10, absl::ZeroDuration(),
                                            absl::Milliseconds(250));
  return std::min(caller_deadline - margin, now + policy_.upstream_timeout);
}

int64_t KeyIssuer::NotAfter(absl::Time seed_expires_at) const {
  // Issue time in whole seconds (rounded down) plus the lifetime (PROTOCOL
  // 4.5), but never past the seed's expiry: its epoch's keys stop counting
  // then. (InfiniteFuture, expiry unknown, is the largest int64.)
  const int64_t wanted =
      absl::ToUnixSeconds(clock_.Now()) + absl::ToInt64Seconds(policy_.key_lifetime);
  return std::min(wanted, absl::ToUnixSeconds(seed_expires_at));
}

absl::StatusOr<FirstSeed> KeyIssuer::Seed(absl::Time caller_deadline) const {
  return cache_.Get(UpstreamDeadline(caller_deadline));
}

absl::StatusOr<SecretBytes> KeyIssuer::SecondSeed(const FirstSeed& seed,
                                                  const Assignee& assignee,
                                                  const SecretBytes& nonce) {
  // The cache's seeds come prepared (keyed state computed once per seed).
  if (seed.second_seed_deriver != nullptr) {
    return seed.second_seed_deriver->Derive(seed.gw_id, assignee, nonce.RevealSecret());
  }
  return DeriveSecondSeed(seed.first_seed, seed.gw_id, assignee, nonce.RevealSecret());
}

absl::Status KeyIssuer::Issue(const Assignee& assignee, const FirstSeed& seed,
                              absl::string_view admitted_by, const PeerInfo& peer,
                              cpns::v1::EUKeyAssignmentResponse& response, absl::Time start,
                              const std::function<absl::Status()>& before_record) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes nonce, SecureRandomNonce(kNonceSize));
  CPNS_ASSIGN_OR_RETURN(SecretBytes second, SecondSeed(seed, assignee, nonce));  // step 6
  const int64_t not_after = NotAfter(seed.expires_at);
  const AssignmentContext ctx{seed.gw_id, seed.seed_epoch, assignee, not_after};
  CPNS_ASSIGN_OR_RETURN(SecretBytes eukey, DeriveEUKey(seed.first_seed, second, ctx));
  response.set_second_seed(std::string(second.RevealSecret()));                   // step 7
  response.set_eukey(std::string(eukey.RevealSecret()));
  response.set_gw_id(seed.gw_id.value());
  response.set_seed_epoch(seed.seed_epoch);
  response.set_not_after(not_after);
  response.set_entity_type(wire::ToProto(assignee.entity_type));
  response.set_entity_id(assignee.entity_id.value());
  response.set_user_id(assignee.user_id.value());
  if (before_record) CPNS_RETURN_IF_ERROR(before_record());
  // The owner's record, written before the key leaves: an assignment that is
  // not recorded is not made.
  CPNS_RETURN_IF_ERROR(state_.RecordAssignment({.at = clock_.Now(),
                                                .assignee = assignee,
                                                .seed_epoch = seed.seed_epoch,
                                                .second_seed_fingerprint =
                                                    SecondSeedFingerprint(second),
                                                .not_after = not_after,
                                                .admitted_by = std::string(admitted_by),
                                                .peer = peer.address}));
  LogIssued(assignee, seed, not_after, admitted_by, peer, start);
  return absl::OkStatus();
}

void KeyIssuer::LogIssued(const Assignee& assignee, const FirstSeed& seed, int64_t not_after,
                          absl::string_view admitted_by, const PeerInfo& peer,
                          absl::Time start) const {
  // The decision, never the key. Its fields are built only when the line is
  // written (the default, info; a busy gateway may run at warn).
  if (!spdlog::default_logger_raw()->should_log(spdlog::level::info)) return;
  log::Info("EUKey assigned", {{"entity_type", EntityTypeName(assignee.entity_type)},
                               {"entity_id", assignee.entity_id.value()},
                               {"user_id", assignee.user_id.value()},
                               {"gw_id", seed.gw_id.value()},
                               {"epoch", seed.seed_epoch},
                               {"not_after", not_after},
                               {"admitted_by", admitted_by},
                               {"peer", peer.address},
                               {"result", "ok"},
                               {"duration_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
}

void KeyIssuer::CountIssued() {
  ++issued_;
  if (ok_ != nullptr) ok_->Increment();
}

void KeyIssuer::Refused(absl::string_view what, const absl::Status& status,
                        const PeerInfo& peer, absl::Time start) {
  const std::string reason = RefusalReason(status);
  if (results_ != nullptr) results_->With(reason).Increment();
  {
    MutexLock lock(&mu_);
    ++refusals_[reason];
  }
  log::Warn(absl::StrCat(what, " refused"),
            {{"peer", peer.address},
             {"result", reason},
             {"error", status},
             {"duration_ms", absl::ToInt64Milliseconds(absl::Now() - start)}});
}

std::map<std::string, uint64_t> KeyIssuer::refusals() const {
  MutexLock lock(&mu_);
  return refusals_;
}

}  // namespace cpns::gateway
