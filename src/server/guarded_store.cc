#include "server/guarded_store.h"

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

template <typename Call>
auto GuardedStore::Guard(Call call) -> decltype(call()) {
  if (corrupt_.load()) return Retired();
  auto result = call();
  if (storage::IsStoreCorrupt(StatusOf(result))) Trip(StatusOf(result));
  return result;
}

void GuardedStore::Trip(const absl::Status& why) {
  if (corrupt_.exchange(true)) return;  // reported once
  if (on_corrupt_) on_corrupt_(why);
}

using storage::AuditEvent;
using storage::AuditQuery;

absl::StatusOr<storage::StoredSeed> GuardedStore::GetOrCreateActive(
    const GatewayId& gw_id, const storage::IssueOptions& options) {
  return Guard([&] { return store_.GetOrCreateActive(gw_id, options); });
}
absl::StatusOr<storage::StoredSeed> GuardedStore::Get(const GatewayId& gw_id,
                                                      uint32_t seed_epoch) {
  return Guard([&] { return store_.Get(gw_id, seed_epoch); });
}
absl::StatusOr<storage::AuthRecord> GuardedStore::LookupForAuth(
    const GatewayId& gw_id, uint32_t seed_epoch, absl::string_view key_fingerprint) {
  return Guard([&] { return store_.LookupForAuth(gw_id, seed_epoch, key_fingerprint); });
}
absl::StatusOr<std::vector<storage::GatewayRecord>> GuardedStore::ListGateways(
    const std::optional<GatewayId>& only) {
  return Guard([&] { return store_.ListGateways(only); });
}
absl::Status GuardedStore::AppendAudit(const AuditEvent& event) {
  return Guard([&] { return store_.AppendAudit(event); });
}
absl::StatusOr<std::vector<AuditEvent>> GuardedStore::ListAudit(const AuditQuery& query) {
  return Guard([&] { return store_.ListAudit(query); });
}
absl::StatusOr<int64_t> GuardedStore::PruneAudit(absl::Time before, absl::string_view actor) {
  return Guard([&] { return store_.PruneAudit(before, actor); });
}
absl::StatusOr<std::vector<storage::SeedRecord>> GuardedStore::List() {
  return Guard([&] { return store_.List(); });
}
absl::StatusOr<SecretBytes> GuardedStore::GetOrCreateServerSecret(absl::string_view name) {
  return Guard([&] { return store_.GetOrCreateServerSecret(name); });
}
absl::Status GuardedStore::ConsumeChallenge(absl::string_view challenge_id,
                                            absl::Time expires_at) {
  return Guard([&] { return store_.ConsumeChallenge(challenge_id, expires_at); });
}

}  // namespace cpns::server
