// PgSeedStore: issuing 1st seeds. A known gateway's seed is one read. A new
// gateway's first seed is one more round trip: one script, one transaction
// (BEGIN; the gateway's lock; one statement inserting the seed and its
// seed.issue audit row unless the gateway is revoked or known; COMMIT). The
// script takes several requests at once (IssueFirstSeeds), though each
// request now sends its own: PostgreSQL flushes concurrent commits together.
// A request the script does not settle (the gateway has older epochs, or
// the script failed) takes the one-gateway path, which holds that gateway's
// lock while it looks again and decides.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/status_macros.h"
#include "cpns/core/hex.h"
#include "storage/pg_seed_store.h"
#include "storage/pg_statement.h"
#include "storage/sealed_seed.h"

namespace cpns::storage {

using pg::RetryOnceIfUnavailable;

absl::StatusOr<StoredSeed> PgSeedStore::GetOrCreateActive(const GatewayId& gw_id,
                                                          const IssueOptions& options) {
  CPNS_RETURN_IF_ERROR(CheckLifetime(options.lifetime));
  // Safe to repeat: if the first attempt committed a new epoch, the second
  // finds it active (and a renewal of the old epoch is then not granted).
  return RetryOnceIfUnavailable([&] { return GetOrCreateOnce(gw_id, options); });
}

absl::StatusOr<StoredSeed> PgSeedStore::GetOrCreateOnce(const GatewayId& gw_id,
                                                        const IssueOptions& options) {
  std::optional<StoredSeed> active;
  {
    // Given back before the next step, which takes its own.
    CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
    // The common case (a known gateway) is one read outside any transaction.
    // A revoked gateway has no active seed, so it always takes a slow path.
    CPNS_ASSIGN_OR_RETURN(active, FindActive(c, gw_id));
  }
  if (active.has_value() && !NeedsNewSeed(*active, options.renew_epoch, clock_.Now())) {
    return std::move(*active);
  }
  if (!active.has_value()) {
    // Not grouped on this side: PostgreSQL already flushes concurrent commits
    // together, and one batch in flight at a time measured slower than each
    // request committing on its own connection.
    const IssueRequest request{gw_id, options};
    CPNS_ASSIGN_OR_RETURN(BatchResults settled, IssueFirstSeeds({&request}));
    CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> first, std::move(settled[0]));
    if (first.has_value()) return std::move(*first);
  }
  return IssueUnderLock(gw_id, options);
}

absl::StatusOr<StoredSeed> PgSeedStore::IssueUnderLock(const GatewayId& gw_id,
                                                       const IssueOptions& options) {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  // Under the gateway's lock, look again: another replica may have issued a
  // seed or revoked the gateway meanwhile.
  return pg::InTransaction(c, [&]() -> absl::StatusOr<StoredSeed> {
    CPNS_RETURN_IF_ERROR(pg::LockGateway(c, gw_id));
    CPNS_ASSIGN_OR_RETURN(bool revoked, pg::GatewayRevoked(c, gw_id));
    if (revoked) return GatewayRevokedError(gw_id);
    CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> current, FindActive(c, gw_id));
    const absl::Time now = clock_.Now();
    if (current.has_value() && !NeedsNewSeed(*current, options.renew_epoch, now)) {
      return std::move(*current);
    }
    return Issue(c, gw_id, options.lifetime, options.actor,
                 IssueReason(current ? &*current : nullptr, now));
  });
}

absl::StatusOr<PgSeedStore::BatchResults> PgSeedStore::IssueFirstSeeds(
    const std::vector<const IssueRequest*>& batch) {
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  BatchResults results(batch.size(), std::optional<StoredSeed>());  // default: the slow path
  std::vector<FirstSeedRow> rows;
  for (size_t i = 0; i < batch.size(); ++i) {
    absl::StatusOr<std::optional<FirstSeedRow>> row = FirstRow(*batch[i], i, now, rows);
    if (!row.ok()) results[i] = row.status();
    if (row.ok() && row->has_value()) rows.push_back(std::move(**row));
  }
  if (rows.empty()) return results;
  absl::StatusOr<pg::Result> settled = RunFirstSeedScript(c, rows);
  if (!settled.ok()) {
    // Nothing was committed unless the COMMIT itself was lost; either way the
    // slow path looks again under each gateway's lock.
    c.Exec("ROLLBACK").IgnoreError();
    return results;
  }
  for (int r = 0; r < settled->rows(); ++r) {
    FirstSeedRow& row = rows[static_cast<size_t>(settled->Int(r, 0))];
    if (pg::Bool(*settled, r, 1)) {
      results[row.index] = GatewayRevokedError(row.seed.gw_id);
    } else if (!pg::Bool(*settled, r, 2)) {
      results[row.index] = std::optional<StoredSeed>(std::move(row.seed));
    }
  }
  return results;
}

// The epoch-1 row and audit event of one request, or nullopt (the slow
// path) for a gateway already in `earlier` rows of this batch.
absl::StatusOr<std::optional<PgSeedStore::FirstSeedRow>> PgSeedStore::FirstRow(
    const IssueRequest& request, size_t index, absl::Time now,
    const std::vector<FirstSeedRow>& earlier) {
  for (const FirstSeedRow& row : earlier) {
    if (row.seed.gw_id == request.gw_id) return std::nullopt;
  }
  CPNS_ASSIGN_OR_RETURN(NewSeed fresh, MakeSealedSeed(keys_, request.gw_id, 1));
  StoredSeed seed{request.gw_id, 1, std::move(fresh.seed), now,
                  now + absl::Seconds(absl::ToInt64Seconds(request.options.lifetime)),
                  SeedState::kActive};
  AuditEvent audit =
      IssueAuditEvent(seed, false, request.options.actor, IssueReason(nullptr, now));
  return FirstSeedRow{index, std::move(seed), std::move(fresh.sealed), std::move(fresh.kek_id),
                      std::move(audit)};
}

// One round trip: the gateways' locks (in one order on every replica, so two
// batches cannot deadlock), then, in a snapshot taken after the locks, one
// statement that inserts the seeds and audit rows of the gateways that are
// neither revoked nor known, and says which were which.
absl::StatusOr<pg::Result> PgSeedStore::RunFirstSeedScript(pg::Connection& c,
                                                           const std::vector<FirstSeedRow>& rows) {
  std::vector<std::string> ids, values;
  for (size_t n = 0; n < rows.size(); ++n) {
    const FirstSeedRow& row = rows[n];
    CPNS_ASSIGN_OR_RETURN(std::string id, c.Literal(row.seed.gw_id.value()));
    CPNS_ASSIGN_OR_RETURN(std::string sealed, c.Literal("\\x" + HexEncode(row.sealed)));
    CPNS_ASSIGN_OR_RETURN(std::string kek, c.Literal(row.kek_id));
    CPNS_ASSIGN_OR_RETURN(std::string actor, c.Literal(row.audit.actor));
    CPNS_ASSIGN_OR_RETURN(std::string action, c.Literal(row.audit.action));
    CPNS_ASSIGN_OR_RETURN(std::string detail, c.Literal(row.audit.detail));
    values.push_back(absl::StrCat("(", n, ", ", id, ", ", sealed, "::bytea, ", kek, ", ",
                                  absl::ToUnixSeconds(row.seed.created_at), ", ",
                                  absl::ToUnixSeconds(row.seed.expires_at), ", ", actor, ", ",
                                  action, ", ", detail, ")"));
    ids.push_back(std::move(id));
  }
  return c.Exec(absl::StrCat(
      "BEGIN ISOLATION LEVEL READ COMMITTED;"
      "SELECT pg_advisory_xact_lock(h) FROM (SELECT DISTINCT hashtextextended(g, 727) AS h "
      "FROM unnest(ARRAY[", absl::StrJoin(ids, ","), "]::text[]) AS g ORDER BY 1) AS locks;"
      "WITH batch (n, gw_id, sealed_seed, kek_id, created_at, expires_at, actor, action, detail) "
      "AS (VALUES ", absl::StrJoin(values, ","), "), "
      "checked AS (SELECT b.*, "
      "EXISTS (SELECT 1 FROM revoked_gateways r WHERE r.gw_id = b.gw_id) AS revoked, "
      "EXISTS (SELECT 1 FROM first_seeds s WHERE s.gw_id = b.gw_id) AS known FROM batch b), "
      "seeds AS (INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, kek_id, created_at, "
      "expires_at) SELECT gw_id, 1, sealed_seed, kek_id, created_at, expires_at FROM checked "
      "WHERE NOT revoked AND NOT known), "
      "audit AS (INSERT INTO audit_log (at, actor, action, gw_id, seed_epoch, detail, event_count) "
      "SELECT created_at, actor, action, gw_id, 1, detail, 1 FROM checked "
      "WHERE NOT revoked AND NOT known) "
      "SELECT n, revoked, known FROM checked;"
      "COMMIT"));
}

}  // namespace cpns::storage
