// SqliteSeedStore: the seed lifecycle the operator drives (rotation,
// retirement, revocation), the gateways view and the audit log.
#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "storage/sqlite_seed_store.h"
#include "storage/sqlite_statement.h"

namespace cpns::storage {

using sqlite::InReadTransaction;
using sqlite::InWriteTransaction;
using sqlite::Statement;

absl::StatusOr<bool> SqliteSeedStore::GatewayRevokedLocked(const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(sqlite::Query q, statements_.Get(
      "SELECT 1 FROM revoked_gateways WHERE gw_id = ?"));
  q.Bind(1, gw_id.value());
  return q.Step();
}

absl::StatusOr<SeedState> SqliteSeedStore::StateLocked(const GatewayId& gw_id,
                                                       uint32_t seed_epoch) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT state FROM first_seeds WHERE gw_id = ? AND seed_epoch = ?"));
  q.Bind(1, gw_id.value());
  q.Bind(2, static_cast<int64_t>(seed_epoch));
  CPNS_ASSIGN_OR_RETURN(bool found, q.Step());
  if (!found) return UnknownEpochError(gw_id, seed_epoch);
  return ParseSeedState(q.Text(0));
}

absl::Status SqliteSeedStore::SetStateLocked(const GatewayId& gw_id, uint32_t seed_epoch,
                                             SeedState state) {
  CPNS_ASSIGN_OR_RETURN(Statement u, Statement::Prepare(db_,
      "UPDATE first_seeds SET state = ?, state_changed_at = ? WHERE gw_id = ? AND seed_epoch = ?"));
  u.Bind(1, SeedStateName(state));
  u.Bind(2, absl::ToUnixSeconds(clock_.Now()));
  u.Bind(3, gw_id.value());
  u.Bind(4, static_cast<int64_t>(seed_epoch));
  return u.Step().status();
}

absl::StatusOr<SeedRecord> SqliteSeedStore::Rotate(const GatewayId& gw_id,
                                                   absl::Duration lifetime,
                                                   absl::string_view actor) {
  CPNS_RETURN_IF_ERROR(CheckLifetime(lifetime));
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return InWriteTransaction(db_, [&]() -> absl::StatusOr<SeedRecord> {
    CPNS_ASSIGN_OR_RETURN(bool revoked, GatewayRevokedLocked(gw_id));
    if (revoked) return GatewayRevokedError(gw_id);
    CPNS_ASSIGN_OR_RETURN(std::vector<SeedRecord> seeds, SeedRecordsLocked(gw_id));
    if (seeds.empty()) return NoSeedYetError(gw_id);
    CPNS_ASSIGN_OR_RETURN(StoredSeed seed,
                          IssueLocked(gw_id, lifetime, actor, "rotated by the operator"));
    return SeedRecord{seed.gw_id, seed.seed_epoch, seed.created_at, seed.state,
                      keys_->primary().id(), seed.expires_at};
  });
}

absl::Status SqliteSeedStore::Retire(const GatewayId& gw_id, uint32_t seed_epoch,
                                     absl::string_view actor) {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return InWriteTransaction(db_, [&]() -> absl::Status {
    CPNS_ASSIGN_OR_RETURN(SeedState state, StateLocked(gw_id, seed_epoch));
    CPNS_RETURN_IF_ERROR(CheckRetirable(gw_id, seed_epoch, state));
    if (state == SeedState::kRetired) return absl::OkStatus();
    CPNS_RETURN_IF_ERROR(SetStateLocked(gw_id, seed_epoch, SeedState::kRetired));
    return AppendAuditLocked(
        GatewayAuditEvent(actor, kAuditSeedRetire, gw_id, seed_epoch, "retired"));
  });
}

absl::Status SqliteSeedStore::RevokeEpoch(const GatewayId& gw_id, uint32_t seed_epoch,
                                          absl::string_view reason, absl::string_view actor) {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return InWriteTransaction(db_, [&]() -> absl::Status {
    CPNS_ASSIGN_OR_RETURN(SeedState state, StateLocked(gw_id, seed_epoch));
    if (state != SeedState::kRevoked) {
      CPNS_RETURN_IF_ERROR(SetStateLocked(gw_id, seed_epoch, SeedState::kRevoked));
    }
    return AppendAuditLocked(GatewayAuditEvent(actor, kAuditSeedRevoke, gw_id, seed_epoch,
                                           RevocationDetail(SeedStateName(state), reason)));
  });
}

absl::Status SqliteSeedStore::RevokeGateway(const GatewayId& gw_id, absl::string_view reason,
                                            absl::string_view actor) {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return InWriteTransaction(db_, [&]() -> absl::Status {
    const int64_t now = absl::ToUnixSeconds(clock_.Now());
    CPNS_ASSIGN_OR_RETURN(Statement add, Statement::Prepare(db_,
        "INSERT OR IGNORE INTO revoked_gateways (gw_id, revoked_at, reason, actor) "
        "VALUES (?, ?, ?, ?)"));
    add.Bind(1, gw_id.value());
    add.Bind(2, now);
    add.Bind(3, reason);
    add.Bind(4, actor);
    CPNS_RETURN_IF_ERROR(add.Step().status());
    const bool newly = sqlite3_changes(db_) > 0;
    CPNS_ASSIGN_OR_RETURN(Statement seeds, Statement::Prepare(db_,
        "UPDATE first_seeds SET state = 'revoked', state_changed_at = ? "
        "WHERE gw_id = ? AND state != 'revoked'"));
    seeds.Bind(1, now);
    seeds.Bind(2, gw_id.value());
    CPNS_RETURN_IF_ERROR(seeds.Step().status());
    const int epochs = sqlite3_changes(db_);
    return AppendAuditLocked(GatewayAuditEvent(actor, kAuditGatewayRevoke, gw_id, 0,
                                           GatewayRevocationDetail(newly, epochs, reason)));
  });
}

absl::Status SqliteSeedStore::RevokeKey(absl::string_view key_fingerprint,
                                        absl::string_view gw_id, absl::string_view reason,
                                        absl::string_view actor) {
  CPNS_RETURN_IF_ERROR(CheckKeyFingerprint(key_fingerprint));
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return InWriteTransaction(db_, [&]() -> absl::Status {
    CPNS_ASSIGN_OR_RETURN(Statement add, Statement::Prepare(db_,
        "INSERT OR IGNORE INTO revoked_keys (key_fingerprint, gw_id, revoked_at, reason, actor) "
        "VALUES (?, ?, ?, ?, ?)"));
    add.BindBlob(1, key_fingerprint);
    add.Bind(2, gw_id);
    add.Bind(3, absl::ToUnixSeconds(clock_.Now()));
    add.Bind(4, reason);
    add.Bind(5, actor);
    CPNS_RETURN_IF_ERROR(add.Step().status());
    return AppendAuditLocked(
        KeyRevocationEvent(key_fingerprint, gw_id, sqlite3_changes(db_) > 0, reason, actor));
  });
}

absl::StatusOr<std::vector<GatewayRecord>> SqliteSeedStore::ListGateways(
    const std::optional<GatewayId>& only) {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  // Both reads in one snapshot: a revocation is seen in both or in neither.
  return InReadTransaction(db_, [&]() -> absl::StatusOr<std::vector<GatewayRecord>> {
    CPNS_ASSIGN_OR_RETURN(std::vector<SeedRecord> seeds, SeedRecordsLocked(only));
    CPNS_ASSIGN_OR_RETURN(std::vector<RevokedGateway> revoked, RevokedGatewaysLocked(only));
    return MergeGateways(std::move(seeds), std::move(revoked));
  });
}

absl::StatusOr<std::vector<RevokedGateway>> SqliteSeedStore::RevokedGatewaysLocked(
    const std::optional<GatewayId>& only) {
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT gw_id, revoked_at, reason FROM revoked_gateways WHERE ? = '' OR gw_id = ?"));
  const std::string filter = only ? only->value() : "";
  q.Bind(1, filter);
  q.Bind(2, filter);
  std::vector<RevokedGateway> revoked;
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    CPNS_ASSIGN_OR_RETURN(GatewayId id, StoredGatewayId(q.Text(0)));
    revoked.push_back({std::move(id), absl::FromUnixSeconds(q.Int(1)), std::string(q.Text(2))});
  }
  return revoked;
}

absl::Status SqliteSeedStore::AppendAudit(const AuditEvent& event) {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  return AppendAuditLocked(event);
}

absl::Status SqliteSeedStore::AppendAuditLocked(const AuditEvent& event) {
  CPNS_ASSIGN_OR_RETURN(sqlite::Query add, statements_.Get(
      "INSERT INTO audit_log (at, actor, action, gw_id, seed_epoch, detail, event_count) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  add.Bind(1, absl::ToUnixSeconds(clock_.Now()));
  add.Bind(2, event.actor);
  add.Bind(3, event.action);
  add.Bind(4, event.gw_id);
  add.Bind(5, static_cast<int64_t>(event.seed_epoch));
  add.Bind(6, event.detail);
  add.Bind(7, event.count);
  return add.Step().status();
}

absl::StatusOr<std::vector<AuditEvent>> SqliteSeedStore::ListAudit(const AuditQuery& query) {
  CPNS_RETURN_IF_ERROR(CheckAuditQuery(query));
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  CPNS_ASSIGN_OR_RETURN(Statement q, Statement::Prepare(db_,
      "SELECT id, at, actor, action, gw_id, seed_epoch, detail, event_count FROM audit_log "
      "WHERE id > ? AND (? = '' OR gw_id = ?) AND (? = '' OR action = ?) ORDER BY id LIMIT ?"));
  q.Bind(1, query.after_id);
  q.Bind(2, query.gw_id);
  q.Bind(3, query.gw_id);
  q.Bind(4, query.action);
  q.Bind(5, query.action);
  q.Bind(6, static_cast<int64_t>(query.limit));
  std::vector<AuditEvent> out;
  for (;;) {
    CPNS_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(AuditEvent{q.Int(0), absl::FromUnixSeconds(q.Int(1)), std::string(q.Text(2)),
                             std::string(q.Text(3)), std::string(q.Text(4)),
                             static_cast<uint32_t>(q.Int(5)), std::string(q.Text(6)),
                             q.Int(7)});
  }
  return out;
}

}  // namespace cpns::storage
