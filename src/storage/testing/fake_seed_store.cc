#include "storage/testing/fake_seed_store.h"

#include <algorithm>

#include "absl/strings/cord.h"
#include "core/status_macros.h"
#include "cpns/core/random.h"
#include "storage/migrations.h"

namespace cpns::storage::fakes {
namespace {

constexpr char kFakeKekId[] = "fake-kek";
constexpr size_t kSecretSize = 32;

SeedRecord RecordOf(const StoredSeed& s) {
  return SeedRecord{s.gw_id, s.seed_epoch, s.created_at, s.state, kFakeKekId, s.expires_at};
}

}  // namespace

void FakeSeedStore::FailWith(absl::Status status) {
  MutexLock lock(&mu_);
  failure_ = std::move(status);
}

int FakeSeedStore::calls() const {
  MutexLock lock(&mu_);
  return calls_;
}

absl::Status FakeSeedStore::Enter() {
  ++calls_;
  return failure_;
}

// Whole seconds, as both databases store times.
absl::Time FakeSeedStore::Now() const {
  return absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
}

StoredSeed* FakeSeedStore::ActiveLocked(const GatewayId& gw_id) {
  for (auto& [key, seed] : seeds_) {
    if (key.first == gw_id.value() && seed.state == SeedState::kActive) return &seed;
  }
  return nullptr;
}

absl::StatusOr<StoredSeed*> FakeSeedStore::FindLocked(const GatewayId& gw_id,
                                                      uint32_t seed_epoch) {
  auto it = seeds_.find({gw_id.value(), seed_epoch});
  if (it == seeds_.end()) return UnknownEpochError(gw_id, seed_epoch);
  return &it->second;
}

absl::StatusOr<StoredSeed> FakeSeedStore::IssueLocked(const GatewayId& gw_id,
                                                      absl::Duration lifetime,
                                                      absl::string_view actor,
                                                      absl::string_view why) {
  // The new bytes first: a failure leaves the active seed as it was.
  CPNS_ASSIGN_OR_RETURN(SecretBytes bytes, SecureRandomBytes(kSecretSize));
  StoredSeed* active = ActiveLocked(gw_id);
  if (active != nullptr) active->state = SeedState::kRotated;
  uint32_t epoch = 1;
  for (const auto& [key, seed] : seeds_) {
    if (key.first == gw_id.value()) epoch = std::max(epoch, key.second + 1);
  }
  const absl::Time now = Now();
  StoredSeed seed{gw_id, epoch, std::move(bytes), now,
                  now + absl::Seconds(absl::ToInt64Seconds(lifetime)), SeedState::kActive};
  seeds_.insert_or_assign({gw_id.value(), epoch}, seed);
  AppendLocked(IssueAuditEvent(seed, active != nullptr, actor, why));
  return seed;
}

absl::StatusOr<StoredSeed> FakeSeedStore::GetOrCreateActive(const GatewayId& gw_id,
                                                            const IssueOptions& options) {
  CPNS_RETURN_IF_ERROR(CheckLifetime(options.lifetime));
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  if (revoked_gateways_.contains(gw_id.value())) return GatewayRevokedError(gw_id);
  const StoredSeed* active = ActiveLocked(gw_id);
  const absl::Time now = Now();
  if (active != nullptr && !NeedsNewSeed(*active, options.renew_epoch, now)) return *active;
  return IssueLocked(gw_id, options.lifetime, options.actor, IssueReason(active, now));
}

absl::StatusOr<StoredSeed> FakeSeedStore::Get(const GatewayId& gw_id, uint32_t seed_epoch) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  CPNS_ASSIGN_OR_RETURN(const StoredSeed* seed, FindLocked(gw_id, seed_epoch));
  return *seed;
}

std::vector<SeedRecord> FakeSeedStore::RecordsLocked(const std::optional<GatewayId>& only) const {
  std::vector<SeedRecord> out;
  for (const auto& [key, seed] : seeds_) {  // ordered by gw_id, epoch
    if (!only.has_value() || key.first == only->value()) out.push_back(RecordOf(seed));
  }
  return out;
}

absl::StatusOr<std::vector<GatewayRecord>> FakeSeedStore::ListGateways(
    const std::optional<GatewayId>& only) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  std::vector<RevokedGateway> revoked;
  for (const auto& [id, r] : revoked_gateways_) {
    if (!only.has_value() || id == only->value()) revoked.push_back(r);
  }
  return MergeGateways(RecordsLocked(only), std::move(revoked));
}

absl::StatusOr<std::vector<SeedRecord>> FakeSeedStore::List() {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  return RecordsLocked(std::nullopt);
}

absl::StatusOr<SeedRecord> FakeSeedStore::Rotate(const GatewayId& gw_id, absl::Duration lifetime,
                                                 absl::string_view actor) {
  CPNS_RETURN_IF_ERROR(CheckLifetime(lifetime));
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  if (revoked_gateways_.contains(gw_id.value())) return GatewayRevokedError(gw_id);
  if (RecordsLocked(gw_id).empty()) return NoSeedYetError(gw_id);
  CPNS_ASSIGN_OR_RETURN(StoredSeed seed,
                        IssueLocked(gw_id, lifetime, actor, "rotated by the operator"));
  return RecordOf(seed);
}

absl::Status FakeSeedStore::Retire(const GatewayId& gw_id, uint32_t seed_epoch,
                                   absl::string_view actor) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  CPNS_ASSIGN_OR_RETURN(StoredSeed * seed, FindLocked(gw_id, seed_epoch));
  CPNS_RETURN_IF_ERROR(CheckRetirable(gw_id, seed_epoch, seed->state));
  if (seed->state == SeedState::kRetired) return absl::OkStatus();
  seed->state = SeedState::kRetired;
  AppendLocked(GatewayAuditEvent(actor, kAuditSeedRetire, gw_id, seed_epoch, "retired"));
  return absl::OkStatus();
}

absl::Status FakeSeedStore::RevokeEpoch(const GatewayId& gw_id, uint32_t seed_epoch,
                                        absl::string_view reason, absl::string_view actor) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  CPNS_ASSIGN_OR_RETURN(StoredSeed * seed, FindLocked(gw_id, seed_epoch));
  const SeedState previous = seed->state;
  seed->state = SeedState::kRevoked;
  AppendLocked(GatewayAuditEvent(actor, kAuditSeedRevoke, gw_id, seed_epoch,
                                 RevocationDetail(SeedStateName(previous), reason)));
  return absl::OkStatus();
}

absl::Status FakeSeedStore::RevokeGateway(const GatewayId& gw_id, absl::string_view reason,
                                          absl::string_view actor) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  const bool newly =
      revoked_gateways_.emplace(gw_id.value(), RevokedGateway{gw_id, Now(), std::string(reason)})
          .second;
  int epochs = 0;
  for (auto& [key, seed] : seeds_) {
    if (key.first != gw_id.value() || seed.state == SeedState::kRevoked) continue;
    seed.state = SeedState::kRevoked;
    ++epochs;
  }
  AppendLocked(GatewayAuditEvent(actor, kAuditGatewayRevoke, gw_id, 0,
                                 GatewayRevocationDetail(newly, epochs, reason)));
  return absl::OkStatus();
}

absl::Status FakeSeedStore::RevokeKey(absl::string_view key_fingerprint, absl::string_view gw_id,
                                      absl::string_view reason, absl::string_view actor) {
  CPNS_RETURN_IF_ERROR(CheckKeyFingerprint(key_fingerprint));
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  const bool newly = revoked_keys_.emplace(key_fingerprint).second;
  AppendLocked(KeyRevocationEvent(key_fingerprint, gw_id, newly, reason, actor));
  return absl::OkStatus();
}

void FakeSeedStore::AppendLocked(const AuditEvent& event) {
  AuditEvent e = event;
  e.id = ++last_audit_id_;
  e.at = Now();
  audit_.push_back(std::move(e));
}

absl::Status FakeSeedStore::AppendAudit(const AuditEvent& event) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  AppendLocked(event);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<AuditEvent>> FakeSeedStore::ListAudit(const AuditQuery& query) {
  CPNS_RETURN_IF_ERROR(CheckAuditQuery(query));
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  std::vector<AuditEvent> out;
  for (const AuditEvent& e : audit_) {
    if (static_cast<int>(out.size()) >= query.limit) break;
    if (e.id <= query.after_id) continue;
    if (!query.gw_id.empty() && e.gw_id != query.gw_id) continue;
    if (!query.action.empty() && e.action != query.action) continue;
    out.push_back(e);
  }
  return out;
}

absl::StatusOr<int64_t> FakeSeedStore::PruneAudit(absl::Time before, absl::string_view actor) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  const absl::Time cut = absl::FromUnixSeconds(absl::ToUnixSeconds(before));
  const auto old = [&](const AuditEvent& e) { return e.at < cut; };
  const int64_t removed = std::count_if(audit_.begin(), audit_.end(), old);
  std::erase_if(audit_, old);
  AppendLocked(PruneAuditEvent(before, removed, actor));
  return removed;
}

absl::StatusOr<AuthRecord> FakeSeedStore::LookupForAuth(const GatewayId& gw_id,
                                                        uint32_t seed_epoch,
                                                        absl::string_view key_fingerprint) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  CPNS_ASSIGN_OR_RETURN(const StoredSeed* seed, FindLocked(gw_id, seed_epoch));
  return AuthRecord{*seed, revoked_gateways_.contains(gw_id.value()),
                    revoked_keys_.contains(std::string(key_fingerprint))};
}

absl::StatusOr<SecretBytes> FakeSeedStore::GetOrCreateServerSecret(absl::string_view name) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  auto it = secrets_.find(std::string(name));
  if (it != secrets_.end()) return it->second;
  CPNS_ASSIGN_OR_RETURN(SecretBytes fresh, SecureRandomBytes(kSecretSize));
  secrets_.emplace(std::string(name), fresh);
  return fresh;
}

// Used challenges are never forgotten: a test's store is small.
absl::Status FakeSeedStore::ConsumeChallenge(absl::string_view challenge_id, absl::Time) {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  if (!used_challenges_.emplace(challenge_id).second) {
    return absl::AlreadyExistsError("challenge already used");
  }
  return absl::OkStatus();
}

absl::StatusOr<int> FakeSeedStore::SchemaVersion() {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  return kLatestSchemaVersion;  // always current: it has no schema to age
}

absl::StatusOr<SealCheck> FakeSeedStore::CheckSealed() {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  return SealCheck{.checked = static_cast<int64_t>(seeds_.size() + secrets_.size())};
}

absl::StatusOr<int> FakeSeedStore::RewrapToPrimary() {
  MutexLock lock(&mu_);
  CPNS_RETURN_IF_ERROR(Enter());
  return 0;
}

absl::Status CorruptStoreError() {
  return StoreCorruptError("SQLite step: database disk image is malformed");
}

}  // namespace cpns::storage::fakes
