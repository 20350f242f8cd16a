// FakeSeedStore: every SeedStore role in memory, for unit tests of what uses
// one (the server's services). Test-only; never linked into a program.
//
// It keeps the contract of seed_store.h as the conformance suite checks it
// for the real backends: epochs numbered from 1, one active epoch, rotation
// on expiry or renewal, revocation refusals worded by store_rules.h, an audit
// row per change, challenges usable once. Seeds and server secrets come from
// the CSPRNG; times from `clock`, whole seconds as the databases keep them.
// Nothing is sealed: CheckSealed finds no fault, RewrapToPrimary re-seals
// nothing, SchemaVersion is 1.
//
// FailWith(status) makes every call from then on fail with `status` without
// changing anything, as an unreachable (Unavailable) or corrupt (DataLoss)
// database would; FailWith(absl::OkStatus()) heals it. Thread-safe.
#ifndef CPNS_STORAGE_TESTING_FAKE_SEED_STORE_H_
#define CPNS_STORAGE_TESTING_FAKE_SEED_STORE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "storage/seed_store.h"
#include "storage/store_rules.h"

namespace cpns::storage::fakes {

class FakeSeedStore final : public SeedStore {
 public:
  // `clock` must outlive the store.
  explicit FakeSeedStore(const Clock& clock) : clock_(clock) {}

  void FailWith(absl::Status status);
  // How many calls reached the store (failed ones included).
  int calls() const;

  // SeedIssuer
  using SeedIssuer::GetOrCreateActive;
  absl::StatusOr<StoredSeed> GetOrCreateActive(const GatewayId& gw_id,
                                               const IssueOptions& options) override;
  absl::StatusOr<StoredSeed> Get(const GatewayId& gw_id, uint32_t seed_epoch) override;
  // SeedCatalog
  absl::StatusOr<std::vector<GatewayRecord>> ListGateways(
      const std::optional<GatewayId>& only) override;
  absl::StatusOr<std::vector<SeedRecord>> List() override;
  // SeedLifecycle
  absl::StatusOr<SeedRecord> Rotate(const GatewayId& gw_id, absl::Duration lifetime,
                                    absl::string_view actor) override;
  absl::Status Retire(const GatewayId& gw_id, uint32_t seed_epoch,
                      absl::string_view actor) override;
  absl::Status RevokeEpoch(const GatewayId& gw_id, uint32_t seed_epoch, absl::string_view reason,
                           absl::string_view actor) override;
  absl::Status RevokeGateway(const GatewayId& gw_id, absl::string_view reason,
                             absl::string_view actor) override;
  absl::Status RevokeKey(absl::string_view key_fingerprint, absl::string_view gw_id,
                         absl::string_view reason, absl::string_view actor) override;
  // AuditLog
  absl::Status AppendAudit(const AuditEvent& event) override;
  absl::StatusOr<std::vector<AuditEvent>> ListAudit(const AuditQuery& query) override;
  absl::StatusOr<int64_t> PruneAudit(absl::Time before, absl::string_view actor) override;
  // AuthState
  absl::StatusOr<AuthRecord> LookupForAuth(const GatewayId& gw_id, uint32_t seed_epoch,
                                           absl::string_view key_fingerprint) override;
  absl::StatusOr<SecretBytes> GetOrCreateServerSecret(absl::string_view name) override;
  absl::Status ConsumeChallenge(absl::string_view challenge_id, absl::Time expires_at) override;
  // SchemaAdmin
  absl::StatusOr<int> SchemaVersion() override;
  absl::StatusOr<SealCheck> CheckSealed() override;
  absl::StatusOr<int> RewrapToPrimary() override;

 private:
  using Key = std::pair<std::string, uint32_t>;  // gw_id, epoch

  // The status every call returns first: the injected failure, if any.
  absl::Status Enter() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Time Now() const;
  StoredSeed* ActiveLocked(const GatewayId& gw_id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<StoredSeed*> FindLocked(const GatewayId& gw_id, uint32_t seed_epoch)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<StoredSeed> IssueLocked(const GatewayId& gw_id, absl::Duration lifetime,
                                         absl::string_view actor, absl::string_view why)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::vector<SeedRecord> RecordsLocked(const std::optional<GatewayId>& only) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void AppendLocked(const AuditEvent& event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock& clock_;
  mutable Mutex mu_;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int calls_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<Key, StoredSeed> seeds_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, RevokedGateway> revoked_gateways_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> revoked_keys_ ABSL_GUARDED_BY(mu_);
  std::vector<AuditEvent> audit_ ABSL_GUARDED_BY(mu_);
  int64_t last_audit_id_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, SecretBytes> secrets_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> used_challenges_ ABSL_GUARDED_BY(mu_);
};

// What a backend returns when its database reports itself corrupt (what
// IsStoreCorrupt recognizes), for FailWith.
absl::Status CorruptStoreError();

}  // namespace cpns::storage::fakes

#endif  // CPNS_STORAGE_TESTING_FAKE_SEED_STORE_H_
