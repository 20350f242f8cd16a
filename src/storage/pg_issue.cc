// PgSeedStore: issuing 1st seeds. A known gateway's seed is one read. A new
// gateway's first seed is one more round trip: one script, one transaction
// (BEGIN; the gateway's lock; a statement prepared once per connection that
// inserts the seed and its seed.issue audit row unless the gateway is
// revoked or has any epoch; COMMIT). Requests are not grouped on this side:
// PostgreSQL already flushes concurrent commits together, and with 8
// requesters one batch in flight per replica (several EXECUTEs in one
// script) measured no faster than each request committing on its own
// connection. A request the script does not settle (the gateway has older
// epochs, or the script failed) takes the one-gateway path, which holds that
// gateway's lock while it looks again and decides.
#include "absl/strings/str_cat.h"
#include "absl/strings/match.h"
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
    CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> first, IssueFirstSeed(gw_id, options));
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

namespace {

// Prepared once per connection (SQL-level, so a script can EXECUTE it): the
// epoch-1 seed of $1 and its audit row, inserted unless the gateway is
// revoked or has any seed; says which.
constexpr char kPrepareFirstSeed[] =
    "PREPARE cpns_first_seed (text, bytea, text, bigint, bigint, text, text, text) AS "
    "WITH checked AS (SELECT "
    "EXISTS (SELECT 1 FROM revoked_gateways WHERE gw_id = $1) AS revoked, "
    "EXISTS (SELECT 1 FROM first_seeds WHERE gw_id = $1) AS known), "
    "seed AS (INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, kek_id, created_at, "
    "expires_at) SELECT $1, 1, $2, $3, $4, $5 FROM checked WHERE NOT revoked AND NOT known), "
    "audit AS (INSERT INTO audit_log (at, actor, action, gw_id, seed_epoch, detail, event_count) "
    "SELECT $4, $6, $7, $1, 1, $8, 1 FROM checked WHERE NOT revoked AND NOT known) "
    "SELECT revoked, known FROM checked";

// SQLSTATE 26000: this connection has not prepared the statement yet.
bool NotPreparedYet(const absl::Status& s) {
  return absl::StartsWith(s.message(), "PostgreSQL 26000");
}

// Runs `script`; if the connection had not prepared cpns_first_seed yet (a
// new connection), prepares it and runs the script again.
absl::StatusOr<pg::Result> ExecPreparing(pg::Connection& c, const std::string& script) {
  {
    absl::StatusOr<pg::Result> first = c.Exec(script);
    if (!NotPreparedYet(first.status())) return first;
  }
  c.Exec("ROLLBACK").IgnoreError();  // the script stopped inside its transaction
  CPNS_RETURN_IF_ERROR(c.Exec(kPrepareFirstSeed).status());
  return c.Exec(script);
}

}  // namespace

absl::StatusOr<std::optional<StoredSeed>> PgSeedStore::IssueFirstSeed(
    const GatewayId& gw_id, const IssueOptions& options) {
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(clock_.Now()));
  CPNS_ASSIGN_OR_RETURN(NewSeed fresh, MakeSealedSeed(keys_, gw_id, 1));
  StoredSeed seed{gw_id, 1, std::move(fresh.seed), now,
                  now + absl::Seconds(absl::ToInt64Seconds(options.lifetime)), SeedState::kActive};
  const AuditEvent audit = IssueAuditEvent(seed, false, options.actor, IssueReason(nullptr, now));
  CPNS_ASSIGN_OR_RETURN(pg::Connection c, pool_.Acquire());
  CPNS_ASSIGN_OR_RETURN(std::string script, FirstSeedScript(c, seed, fresh, audit));
  absl::StatusOr<pg::Result> settled = ExecPreparing(c, script);
  if (!settled.ok()) {
    // Nothing was committed unless the COMMIT itself was lost; either way the
    // slow path looks again under the gateway's lock.
    c.Exec("ROLLBACK").IgnoreError();
    return std::nullopt;
  }
  if (pg::Bool(*settled, 0, 0)) return GatewayRevokedError(gw_id);
  if (pg::Bool(*settled, 0, 1)) return std::nullopt;  // older epochs: the slow path
  return std::optional<StoredSeed>(std::move(seed));
}

// One round trip: the gateway's lock, then, in a snapshot taken after it,
// the prepared insert; then the commit.
absl::StatusOr<std::string> PgSeedStore::FirstSeedScript(pg::Connection& c, const StoredSeed& seed,
                                                         const NewSeed& fresh,
                                                         const AuditEvent& audit) {
  CPNS_ASSIGN_OR_RETURN(std::string id, c.Literal(seed.gw_id.value()));
  CPNS_ASSIGN_OR_RETURN(std::string sealed, c.Literal("\\x" + HexEncode(fresh.sealed)));
  CPNS_ASSIGN_OR_RETURN(std::string kek, c.Literal(fresh.kek_id));
  CPNS_ASSIGN_OR_RETURN(std::string actor, c.Literal(audit.actor));
  CPNS_ASSIGN_OR_RETURN(std::string action, c.Literal(audit.action));
  CPNS_ASSIGN_OR_RETURN(std::string detail, c.Literal(audit.detail));
  return absl::StrCat(
      "BEGIN ISOLATION LEVEL READ COMMITTED;"
      "SELECT pg_advisory_xact_lock(hashtextextended(", id, ", 727));"
      "EXECUTE cpns_first_seed(", id, ", ", sealed, "::bytea, ", kek, ", ",
      absl::ToUnixSeconds(seed.created_at), ", ", absl::ToUnixSeconds(seed.expires_at), ", ",
      actor, ", ", action, ", ", detail, ");"
      "COMMIT");
}

}  // namespace cpns::storage
