#include "storage/store_rules.h"

#include <map>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/sqlite.h"
#include "cpns/core/hex.h"

namespace cpns::storage {

bool NeedsNewSeed(const StoredSeed& active, uint32_t renew_epoch, absl::Time now) {
  if (now >= active.expires_at) return true;
  if (renew_epoch == 0 || renew_epoch != active.seed_epoch) return false;
  return now - active.created_at >= (active.expires_at - active.created_at) * kRenewMinFraction;
}

const SeedRecord* GatewayRecord::active() const {
  for (const SeedRecord& s : seeds) {
    if (s.state == SeedState::kActive) return &s;
  }
  return nullptr;
}

absl::StatusOr<GatewayId> StoredGatewayId(absl::string_view text) {
  absl::StatusOr<GatewayId> id = GatewayId::Parse(text);
  if (!id.ok()) {
    return absl::DataLossError(absl::StrCat("stored gw_id is invalid: ", id.status().message()));
  }
  return id;
}

absl::Status GatewayRevokedError(const GatewayId& gw_id) {
  return absl::PermissionDeniedError(absl::StrCat("gateway ", gw_id.value(), " is revoked"));
}

absl::Status UnknownEpochError(const GatewayId& gw_id, uint32_t seed_epoch) {
  return absl::NotFoundError(
      absl::StrCat("no 1st seed for gateway ", gw_id.value(), " epoch ", seed_epoch));
}

absl::Status NoSeedYetError(const GatewayId& gw_id) {
  return absl::NotFoundError(absl::StrCat("gateway ", gw_id.value(),
                                          " has no 1st seed yet; it gets epoch 1 at its "
                                          "first 1st Seed Request"));
}

absl::Status CheckLifetime(absl::Duration lifetime) {
  if (lifetime >= absl::Seconds(1) && lifetime <= absl::Hours(24 * 365 * 100)) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "a seed lifetime must be between 1s and 100 years, not ", absl::FormatDuration(lifetime)));
}

absl::Status CheckAuditQuery(const AuditQuery& query) {
  if (query.limit >= 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("audit limit ", query.limit, " is negative"));
}

std::string IssueReason(const StoredSeed* active, absl::Time now) {
  if (active == nullptr) return "no active seed";
  if (now >= active->expires_at) return absl::StrCat("epoch ", active->seed_epoch, " expired");
  return absl::StrCat("renewal of epoch ", active->seed_epoch, " requested by the gateway");
}

AuditEvent IssueAuditEvent(const StoredSeed& seed, bool rotated, absl::string_view actor,
                           absl::string_view why) {
  AuditEvent e;
  e.actor = actor.empty() ? "server" : std::string(actor);
  e.action = rotated ? kAuditSeedRotate : kAuditSeedIssue;
  e.gw_id = seed.gw_id.value();
  e.seed_epoch = seed.seed_epoch;
  e.detail = absl::StrCat(why, "; expires ", absl::ToUnixSeconds(seed.expires_at));
  return e;
}

std::vector<GatewayRecord> MergeGateways(std::vector<SeedRecord> seeds,
                                         std::vector<RevokedGateway> revoked) {
  std::map<std::string, GatewayRecord> by_id;
  for (SeedRecord& s : seeds) {
    auto [it, inserted] = by_id.try_emplace(s.gw_id.value(), GatewayRecord{s.gw_id, {}, {}, {}});
    it->second.seeds.push_back(std::move(s));
  }
  for (RevokedGateway& r : revoked) {
    auto [it, inserted] = by_id.try_emplace(r.gw_id.value(), GatewayRecord{r.gw_id, {}, {}, {}});
    it->second.revoked_at = r.revoked_at;
    it->second.revoke_reason = std::move(r.reason);
  }
  std::vector<GatewayRecord> out;
  out.reserve(by_id.size());
  for (auto& [id, record] : by_id) out.push_back(std::move(record));
  return out;
}

absl::Status CheckRetirable(const GatewayId& gw_id, uint32_t seed_epoch, SeedState state) {
  if (state == SeedState::kActive) {
    return absl::FailedPreconditionError(absl::StrCat(
        "epoch ", seed_epoch, " is gateway ", gw_id.value(),
        "'s active epoch; rotate first (cpns-server seeds rotate), or revoke it"));
  }
  if (state == SeedState::kRevoked) {
    return absl::FailedPreconditionError(
        absl::StrCat("epoch ", seed_epoch, " of gateway ", gw_id.value(), " is revoked"));
  }
  return absl::OkStatus();
}

absl::Status CheckKeyFingerprint(absl::string_view fingerprint) {
  if (fingerprint.size() == 32) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("a key fingerprint is 32 bytes, not ",
                                                 fingerprint.size()));
}

AuditEvent GatewayAuditEvent(absl::string_view actor, absl::string_view action,
                             const GatewayId& gw_id, uint32_t seed_epoch, std::string detail) {
  return AuditEvent{.actor = std::string(actor), .action = std::string(action),
                    .gw_id = gw_id.value(), .seed_epoch = seed_epoch, .detail = std::move(detail)};
}

std::string RevocationDetail(absl::string_view previous_state, absl::string_view reason) {
  return absl::StrCat("was ", previous_state, "; reason: ", reason.empty() ? "-" : reason);
}

std::string GatewayRevocationDetail(bool newly, int epochs_revoked, absl::string_view reason) {
  return absl::StrCat(newly ? "" : "already revoked; ", epochs_revoked,
                      " epoch(s) revoked; reason: ", reason.empty() ? "-" : reason);
}

AuditEvent KeyRevocationEvent(absl::string_view fingerprint, absl::string_view gw_id, bool newly,
                              absl::string_view reason, absl::string_view actor) {
  AuditEvent e;
  e.actor = std::string(actor);
  e.action = kAuditKeyRevoke;
  e.gw_id = std::string(gw_id);
  e.detail = absl::StrCat("fingerprint ", HexEncode(fingerprint), newly ? "" : " (already revoked)",
                          "; reason: ", reason.empty() ? "-" : reason);
  return e;
}

AuditEvent PruneAuditEvent(absl::Time before, int64_t removed, absl::string_view actor) {
  AuditEvent e;
  e.actor = std::string(actor);
  e.action = kAuditPrune;
  e.detail = absl::StrCat("removed ", removed, " audit row(s) recorded before ",
                          absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", before, absl::UTCTimeZone()));
  return e;
}

std::string SeedSealFault(const SeedRecord& record, const absl::Status& why) {
  return absl::StrCat("1st seed of gateway ", record.gw_id.value(), " epoch ", record.seed_epoch,
                      " (KEK ", record.kek_id, ") does not open: ", why.message());
}

std::string ServerSecretSealFault(absl::string_view name, absl::string_view kek_id,
                                  const absl::Status& why) {
  return absl::StrCat("server secret '", name, "' (KEK ", kek_id, ") does not open: ",
                      why.message());
}

bool IsStoreCorrupt(const absl::Status& s) { return sqlite::IsCorrupt(s); }

absl::Status StoreCorruptError(absl::string_view message) {
  absl::Status s = absl::DataLossError(message);
  s.SetPayload(sqlite::kCorruptPayloadUrl, absl::Cord("store"));
  return s;
}

}  // namespace cpns::storage
