// GuardedStore: the server's view of its SeedStore, which stops using a store
// that reports itself corrupt.
//
// The first call whose result IsStoreCorrupt calls `on_corrupt` (once, on
// that caller's thread) and from then on every call is refused with
// Unavailable without reaching the store: a corrupt database must not issue
// another seed or take another write. Every call is timed by operation
// (cpns_store_operation_duration_seconds{op}) and the store shown up or down
// (cpns_store_up: down after a call that failed for want of the store, or
// once corrupt). Thread-safe.
#ifndef CPNS_SERVER_GUARDED_STORE_H_
#define CPNS_SERVER_GUARDED_STORE_H_

#include <array>
#include <atomic>
#include <functional>

#include "observe/metrics.h"
#include "storage/seed_store.h"

namespace cpns::server {

// Decorates the four roles a running server reaches (issuer, catalog, audit
// log, auth state), every method of them; the operator's roles (lifecycle,
// schema) are never reached through a running server.
class GuardedStore final : public storage::SeedIssuer,
                           public storage::SeedCatalog,
                           public storage::AuditLog,
                           public storage::AuthState {
 public:
  using OnCorrupt = std::function<void(const absl::Status&)>;
  // `store` must outlive this. `on_corrupt` may be empty.
  // Where calls are timed and the store's state shown (members may be null:
  // not counted).
  struct Metrics {
    observe::Labeled<observe::Histogram>* durations = nullptr;  // by op
    observe::Gauge* up = nullptr;
  };
  GuardedStore(storage::SeedStore& store, OnCorrupt on_corrupt, Metrics metrics);
  GuardedStore(storage::SeedStore& store, OnCorrupt on_corrupt)
      : GuardedStore(store, std::move(on_corrupt), Metrics{nullptr, nullptr}) {}

  bool corrupt() const { return corrupt_.load(); }

  // SeedIssuer
  using SeedIssuer::GetOrCreateActive;
  absl::StatusOr<storage::StoredSeed> GetOrCreateActive(
      const GatewayId& gw_id, const storage::IssueOptions& options) override;
  absl::StatusOr<storage::StoredSeed> Get(const GatewayId& gw_id, uint32_t seed_epoch) override;
  // SeedCatalog
  absl::StatusOr<std::vector<storage::GatewayRecord>> ListGateways(
      const std::optional<GatewayId>& only) override;
  absl::StatusOr<std::vector<storage::SeedRecord>> List() override;
  // AuditLog
  absl::Status AppendAudit(const storage::AuditEvent& event) override;
  absl::StatusOr<std::vector<storage::AuditEvent>> ListAudit(
      const storage::AuditQuery& query) override;
  absl::StatusOr<int64_t> PruneAudit(absl::Time before, absl::string_view actor) override;
  // AuthState
  absl::StatusOr<storage::AuthRecord> LookupForAuth(const GatewayId& gw_id, uint32_t seed_epoch,
                                                    absl::string_view key_fingerprint) override;
  absl::StatusOr<SecretBytes> GetOrCreateServerSecret(absl::string_view name) override;
  std::string ChallengeKeyName(absl::string_view base) override {
    return store_.ChallengeKeyName(base);
  }
  absl::Status ConsumeChallenge(absl::string_view challenge_id, absl::Time expires_at) override;
  // Timed as consume_challenge: one store call either way.
  absl::StatusOr<std::vector<bool>> ConsumeChallenges(
      std::span<const storage::ChallengeUse> uses) override;

 private:
  // Runs `call` on the store unless it was found corrupt; notes a corruption
  // it reports.
  enum Op {
    kGetOrCreateActive, kGet, kLookupForAuth, kListGateways, kAppendAudit, kListAudit,
    kPruneAudit, kList, kGetOrCreateServerSecret, kConsumeChallenge, kOps
  };
  template <typename Call>
  auto Guard(Op op, Call call) -> decltype(call());
  void Trip(const absl::Status& why);
  void Observe(Op op, absl::Duration took, const absl::Status& result);

  storage::SeedStore& store_;
  const OnCorrupt on_corrupt_;
  // Resolved once: each op's series, or null when not counted.
  std::array<observe::Histogram*, kOps> durations_{};
  observe::Gauge* const up_;
  std::atomic<bool> corrupt_{false};
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_GUARDED_STORE_H_
