#include "server/guarded_store.h"

#include <iterator>

#include "absl/time/clock.h"

namespace cpns::server {
namespace {

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

absl::Status Retired() {
  return absl::UnavailableError(
      "the store was found corrupt; this server no longer uses it (see its log)");
}

}  // namespace

// The ops' label values, in the order of GuardedStore::Op.
constexpr const char* kOpNames[] = {
    "get_or_create_active", "get", "lookup_for_auth", "list_gateways", "append_audit",
    "list_audit", "prune_audit", "list", "get_or_create_server_secret", "consume_challenge"};

GuardedStore::GuardedStore(storage::SeedStore& store, OnCorrupt on_corrupt, Metrics metrics)
    : store_(store), on_corrupt_(std::move(on_corrupt)), up_(metrics.up) {
  static_assert(std::size(kOpNames) == kOps);
  for (int op = 0; op < kOps; ++op) {
    if (metrics.durations != nullptr) durations_[op] = &metrics.durations->With(kOpNames[op]);
  }
  if (up_ != nullptr) up_->Set(1);  // opened at start
}

template <typename Call>
auto GuardedStore::Guard(Op op, Call call) -> decltype(call()) {
  if (corrupt_.load()) return Retired();
  const absl::Time start = absl::Now();
  auto result = call();
  Observe(op, absl::Now() - start, StatusOf(result));
  if (storage::IsStoreCorrupt(StatusOf(result))) Trip(StatusOf(result));
  return result;
}

// Down when the call failed for want of the store (unreachable, too slow,
// broken); any other outcome, NotFound say, shows it answering.
void GuardedStore::Observe(Op op, absl::Duration took, const absl::Status& result) {
  if (durations_[op] != nullptr) durations_[op]->Observe(absl::ToDoubleSeconds(took));
  if (up_ == nullptr) return;
  const bool down = absl::IsUnavailable(result) || absl::IsDeadlineExceeded(result) ||
                    absl::IsDataLoss(result) || absl::IsInternal(result);
  up_->Set(down || corrupt_.load() ? 0 : 1);
}

void GuardedStore::Trip(const absl::Status& why) {
  if (up_ != nullptr) up_->Set(0);
  if (corrupt_.exchange(true)) return;  // reported once
  if (on_corrupt_) on_corrupt_(why);
}

using storage::AuditEvent;
using storage::AuditQuery;

absl::StatusOr<storage::StoredSeed> GuardedStore::GetOrCreateActive(
    const GatewayId& gw_id, const storage::IssueOptions& options) {
  return Guard(kGetOrCreateActive, [&] { return store_.GetOrCreateActive(gw_id, options); });
}
absl::StatusOr<storage::StoredSeed> GuardedStore::Get(const GatewayId& gw_id,
                                                      uint32_t seed_epoch) {
  return Guard(kGet, [&] { return store_.Get(gw_id, seed_epoch); });
}
absl::StatusOr<storage::AuthRecord> GuardedStore::LookupForAuth(
    const GatewayId& gw_id, uint32_t seed_epoch, absl::string_view key_fingerprint) {
  return Guard(kLookupForAuth, [&] { return store_.LookupForAuth(gw_id, seed_epoch, key_fingerprint); });
}
absl::StatusOr<std::vector<storage::GatewayRecord>> GuardedStore::ListGateways(
    const std::optional<GatewayId>& only) {
  return Guard(kListGateways, [&] { return store_.ListGateways(only); });
}
absl::Status GuardedStore::AppendAudit(const AuditEvent& event) {
  return Guard(kAppendAudit, [&] { return store_.AppendAudit(event); });
}
absl::StatusOr<std::vector<AuditEvent>> GuardedStore::ListAudit(const AuditQuery& query) {
  return Guard(kListAudit, [&] { return store_.ListAudit(query); });
}
absl::StatusOr<int64_t> GuardedStore::PruneAudit(absl::Time before, absl::string_view actor) {
  return Guard(kPruneAudit, [&] { return store_.PruneAudit(before, actor); });
}
absl::StatusOr<std::vector<storage::SeedRecord>> GuardedStore::List() {
  return Guard(kList, [&] { return store_.List(); });
}
absl::StatusOr<SecretBytes> GuardedStore::GetOrCreateServerSecret(absl::string_view name) {
  return Guard(kGetOrCreateServerSecret, [&] { return store_.GetOrCreateServerSecret(name); });
}
absl::Status GuardedStore::ConsumeChallenge(absl::string_view challenge_id,
                                            absl::Time expires_at) {
  return Guard(kConsumeChallenge, [&] { return store_.ConsumeChallenge(challenge_id, expires_at); });
}
absl::StatusOr<std::vector<bool>> GuardedStore::ConsumeChallenges(
    std::span<const storage::ChallengeUse> uses) {
  return Guard(kConsumeChallenge, [&] { return store_.ConsumeChallenges(uses); });
}

}  // namespace cpns::server
