// PgSeedStore: the seed lifecycle the operator drives (rotation,
// retirement, revocation), what authentication and operators read, and the
// audit log. Every change of a gateway's seeds runs in one transaction that
// holds the gateway's lock and records its audit event before committing.
#include "absl/strings/str_cat.h"
#include "storage/pg_seed_store.h"
#include "storage/pg_statement.h"

namespace cpns::storage {

using pg::Bool;
using pg::Bytes;
using pg::InTransaction;
using pg::Int;
using pg::LockGateway;
using pg::RetryOnceIfUnavailable;
using pg::Text;

namespace {

// The state of one epoch; NotFound if there is none.
absl::StatusOr<SeedState> ReadState(pg::Connection& c, const GatewayId& gw_id,
                                    uint32_t seed_epoch) {
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
      "SELECT state FROM first_seeds WHERE gw_id = $1 AND seed_epoch = $2",
      {Text(gw_id.value()), Int(seed_epoch)}));
  if (r.rows() == 0) return UnknownEpochError(gw_id, seed_epoch);
  return ParseSeedState(r.Text(0, 0));
}

// Seeds without secrets, ordered by gw_id (bytewise, as SQLite and
// MergeGateways order them, whatever the database's collation) then epoch;
// only `only`'s if set.
absl::StatusOr<std::vector<SeedRecord>> SeedRecords(pg::Connection& c,
                                                    const std::optional<GatewayId>& only) {
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
      "SELECT ", pg::kSeedColumns, " FROM first_seeds WHERE $1 = '' OR gw_id = $1 "
      "ORDER BY gw_id COLLATE \"C\", seed_epoch"), {Text(only ? only->value() : "")}));
  std::vector<SeedRecord> out;
  for (int i = 0; i < r.rows(); ++i) {
    CPNS_ASSIGN_OR_RETURN(SeedRecord record, pg::ReadSeedRecord(r, i, 0));
    out.push_back(std::move(record));
  }
  return out;
}

absl::StatusOr<std::vector<RevokedGateway>> RevokedGateways(
    pg::Connection& c, const std::optional<GatewayId>& only) {
  CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
      "SELECT gw_id, revoked_at, reason FROM revoked_gateways WHERE $1 = '' OR gw_id = $1",
      {Text(only ? only->value() : "")}));
  std::vector<RevokedGateway> out;
  for (int i = 0; i < r.rows(); ++i) {
    CPNS_ASSIGN_OR_RETURN(GatewayId id, StoredGatewayId(r.Text(i, 0)));
    out.push_back({std::move(id), absl::FromUnixSeconds(r.Int(i, 1)), std::string(r.Text(i, 2))});
  }
  return out;
}

}  // namespace

absl::StatusOr<AuthRecord> PgSeedStore::LookupForAuth(const GatewayId& gw_id, uint32_t seed_epoch,
                                                      absl::string_view key_fingerprint) {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<AuthRecord> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    // One statement, so the seed and both revocation facts come from one snapshot.
    CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(absl::StrCat(
        "SELECT ", pg::kSeedColumns, ", sealed_seed, "
        "EXISTS (SELECT 1 FROM revoked_gateways g WHERE g.gw_id = s.gw_id), "
        "EXISTS (SELECT 1 FROM revoked_keys k WHERE k.key_fingerprint = $3) "
        "FROM first_seeds s WHERE s.gw_id = $1 AND s.seed_epoch = $2"),
        {Text(gw_id.value()), Int(seed_epoch), Bytes(key_fingerprint)}));
    if (r.rows() == 0) return UnknownEpochError(gw_id, seed_epoch);
    CPNS_ASSIGN_OR_RETURN(SeedRecord record, pg::ReadSeedRecord(r, 0, 0));
    CPNS_ASSIGN_OR_RETURN(std::string sealed, r.Bytes(0, 6));
    CPNS_ASSIGN_OR_RETURN(StoredSeed seed, OpenSealedSeed(keys_, record, sealed));
    return AuthRecord{std::move(seed), Bool(r, 0, 7), Bool(r, 0, 8)};
  });
}

absl::StatusOr<std::vector<SeedRecord>> PgSeedStore::List() {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<std::vector<SeedRecord>> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    return SeedRecords(c, std::nullopt);
  });
}

absl::StatusOr<std::vector<GatewayRecord>> PgSeedStore::ListGateways(
    const std::optional<GatewayId>& only) {
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<std::vector<GatewayRecord>> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    // Both reads in one snapshot: a revocation is seen in both or in neither.
    return InTransaction(c, [&]() -> absl::StatusOr<std::vector<GatewayRecord>> {
      CPNS_ASSIGN_OR_RETURN(std::vector<SeedRecord> seeds, SeedRecords(c, only));
      CPNS_ASSIGN_OR_RETURN(std::vector<RevokedGateway> revoked, RevokedGateways(c, only));
      return MergeGateways(std::move(seeds), std::move(revoked));
    }, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  });
}

absl::StatusOr<SeedRecord> PgSeedStore::Rotate(const GatewayId& gw_id, absl::Duration lifetime,
                                               absl::string_view actor) {
  CPNS_RETURN_IF_ERROR(CheckLifetime(lifetime));
  // Not retried: a rotation that committed before the connection died would
  // be made twice.
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  return InTransaction(c, [&]() -> absl::StatusOr<SeedRecord> {
    CPNS_RETURN_IF_ERROR(LockGateway(c, gw_id));
    CPNS_ASSIGN_OR_RETURN(bool revoked, pg::GatewayRevoked(c, gw_id));
    if (revoked) return GatewayRevokedError(gw_id);
    CPNS_ASSIGN_OR_RETURN(pg::Result any, c.Exec(
        "SELECT 1 FROM first_seeds WHERE gw_id = $1 LIMIT 1", {Text(gw_id.value())}));
    if (any.rows() == 0) return NoSeedYetError(gw_id);
    CPNS_ASSIGN_OR_RETURN(StoredSeed seed,
                          Issue(c, gw_id, lifetime, actor, "rotated by the operator"));
    return SeedRecord{seed.gw_id, seed.seed_epoch, seed.created_at, seed.state,
                      keys_->primary().id(), seed.expires_at};
  });
}

absl::Status PgSeedStore::SetState(pg::Connection& c, const GatewayId& gw_id,
                                   uint32_t seed_epoch, SeedState state) {
  return c.Exec("UPDATE first_seeds SET state = $1, state_changed_at = $2 "
                "WHERE gw_id = $3 AND seed_epoch = $4",
                {Text(SeedStateName(state)), Int(absl::ToUnixSeconds(clock_.Now())),
                 Text(gw_id.value()), Int(seed_epoch)})
      .status();
}

// Retire, RevokeEpoch, RevokeGateway and RevokeKey are idempotent, so they
// are retried once like reads.

absl::Status PgSeedStore::Retire(const GatewayId& gw_id, uint32_t seed_epoch,
                                 absl::string_view actor) {
  return RetryOnceIfUnavailable([&]() -> absl::Status {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    return InTransaction(c, [&] { return RetireIn(c, gw_id, seed_epoch, actor); });
  });
}

absl::Status PgSeedStore::RetireIn(pg::Connection& c, const GatewayId& gw_id,
                                   uint32_t seed_epoch, absl::string_view actor) {
  CPNS_RETURN_IF_ERROR(LockGateway(c, gw_id));
  CPNS_ASSIGN_OR_RETURN(SeedState state, ReadState(c, gw_id, seed_epoch));
  CPNS_RETURN_IF_ERROR(CheckRetirable(gw_id, seed_epoch, state));
  if (state == SeedState::kRetired) return absl::OkStatus();
  CPNS_RETURN_IF_ERROR(SetState(c, gw_id, seed_epoch, SeedState::kRetired));
  return AppendAuditOn(c, GatewayAuditEvent(actor, kAuditSeedRetire, gw_id, seed_epoch, "retired"));
}

absl::Status PgSeedStore::RevokeEpoch(const GatewayId& gw_id, uint32_t seed_epoch,
                                      absl::string_view reason, absl::string_view actor) {
  return RetryOnceIfUnavailable([&]() -> absl::Status {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    return InTransaction(c, [&] { return RevokeEpochIn(c, gw_id, seed_epoch, reason, actor); });
  });
}

absl::Status PgSeedStore::RevokeEpochIn(pg::Connection& c, const GatewayId& gw_id,
                                        uint32_t seed_epoch, absl::string_view reason,
                                        absl::string_view actor) {
  CPNS_RETURN_IF_ERROR(LockGateway(c, gw_id));
  CPNS_ASSIGN_OR_RETURN(SeedState state, ReadState(c, gw_id, seed_epoch));
  if (state != SeedState::kRevoked) {
    CPNS_RETURN_IF_ERROR(SetState(c, gw_id, seed_epoch, SeedState::kRevoked));
  }
  return AppendAuditOn(c, GatewayAuditEvent(actor, kAuditSeedRevoke, gw_id, seed_epoch,
                                            RevocationDetail(SeedStateName(state), reason)));
}

absl::Status PgSeedStore::RevokeGateway(const GatewayId& gw_id, absl::string_view reason,
                                        absl::string_view actor) {
  return RetryOnceIfUnavailable([&]() -> absl::Status {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    return InTransaction(c, [&] { return RevokeGatewayIn(c, gw_id, reason, actor); });
  });
}

absl::Status PgSeedStore::RevokeGatewayIn(pg::Connection& c, const GatewayId& gw_id,
                                          absl::string_view reason, absl::string_view actor) {
  // The lock makes a GetOrCreateActive that is about to issue a seed either
  // finish first (its seed is revoked below) or see the revocation.
  CPNS_RETURN_IF_ERROR(LockGateway(c, gw_id));
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  CPNS_ASSIGN_OR_RETURN(pg::Result add, c.Exec(
      "INSERT INTO revoked_gateways (gw_id, revoked_at, reason, actor) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT (gw_id) DO NOTHING",
      {Text(gw_id.value()), Int(now), Text(reason), Text(actor)}));
  CPNS_ASSIGN_OR_RETURN(pg::Result seeds, c.Exec(
      "UPDATE first_seeds SET state = 'revoked', state_changed_at = $1 "
      "WHERE gw_id = $2 AND state <> 'revoked'", {Int(now), Text(gw_id.value())}));
  return AppendAuditOn(c, GatewayAuditEvent(actor, kAuditGatewayRevoke, gw_id, 0,
                                            GatewayRevocationDetail(add.affected_rows() > 0,
                                                                    seeds.affected_rows(),
                                                                    reason)));
}

absl::Status PgSeedStore::RevokeKey(absl::string_view key_fingerprint, absl::string_view gw_id,
                                    absl::string_view reason, absl::string_view actor) {
  CPNS_RETURN_IF_ERROR(CheckKeyFingerprint(key_fingerprint));
  return RetryOnceIfUnavailable([&]() -> absl::Status {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    return InTransaction(c, [&]() -> absl::Status {
      CPNS_ASSIGN_OR_RETURN(pg::Result add, c.Exec(
          "INSERT INTO revoked_keys (key_fingerprint, gw_id, revoked_at, reason, actor) "
          "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_fingerprint) DO NOTHING",
          {Bytes(key_fingerprint), Text(gw_id), Int(absl::ToUnixSeconds(clock_.Now())),
           Text(reason), Text(actor)}));
      return AppendAuditOn(c, KeyRevocationEvent(key_fingerprint, gw_id,
                                                 add.affected_rows() > 0, reason, actor));
    });
  });
}

absl::Status PgSeedStore::AppendAudit(const AuditEvent& event) {
  // Not retried: the event might be recorded twice.
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  return AppendAuditOn(c, event);
}

absl::Status PgSeedStore::AppendAuditOn(pg::Connection& c, const AuditEvent& event) {
  return c.Exec("INSERT INTO audit_log (at, actor, action, gw_id, seed_epoch, detail, "
                "event_count) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                {Int(absl::ToUnixSeconds(clock_.Now())), Text(event.actor), Text(event.action),
                 Text(event.gw_id), Int(event.seed_epoch), Text(event.detail),
                 Int(event.count)})
      .status();
}

absl::StatusOr<std::vector<AuditEvent>> PgSeedStore::ListAudit(const AuditQuery& query) {
  CPNS_RETURN_IF_ERROR(CheckAuditQuery(query));
  return RetryOnceIfUnavailable([&]() -> absl::StatusOr<std::vector<AuditEvent>> {
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    CPNS_ASSIGN_OR_RETURN(pg::Result r, c.Exec(
        "SELECT id, at, actor, action, gw_id, seed_epoch, detail, event_count FROM audit_log "
        "WHERE id > $1 AND ($2 = '' OR gw_id = $2) AND ($3 = '' OR action = $3) "
        "ORDER BY id LIMIT $4",
        {Int(query.after_id), Text(query.gw_id), Text(query.action), Int(query.limit)}));
    std::vector<AuditEvent> out;
    for (int i = 0; i < r.rows(); ++i) {
      out.push_back(AuditEvent{r.Int(i, 0), absl::FromUnixSeconds(r.Int(i, 1)),
                               std::string(r.Text(i, 2)), std::string(r.Text(i, 3)),
                               std::string(r.Text(i, 4)), static_cast<uint32_t>(r.Int(i, 5)),
                               std::string(r.Text(i, 6)), r.Int(i, 7)});
    }
    return out;
  });
}

}  // namespace cpns::storage
