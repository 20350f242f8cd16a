// SqliteSeedStore: issuing 1st seeds. A known gateway's seed is one cached
// read; new seeds are issued by group commit (core/group_commit.h): concurrent
// requests share one BEGIN IMMEDIATE ... COMMIT and so one sync of the WAL,
// each in its own savepoint, so that one request's failure undoes only its
// own changes. Every caller returns after the commit that holds its seed.
#include <sqlite3.h>

#include "core/status_macros.h"
#include "storage/sealed_seed.h"
#include "storage/sqlite_seed_store.h"
#include "storage/sqlite_statement.h"
#include "storage/store_deadline.h"

namespace cpns::storage {

using sqlite::InWriteTransaction;

absl::StatusOr<StoredSeed> SqliteSeedStore::GetOrCreateActive(const GatewayId& gw_id,
                                                              const IssueOptions& options) {
  CPNS_RETURN_IF_ERROR(CheckLifetime(options.lifetime));
  // The common case (a known gateway) is a read that takes no write lock,
  // on a connection of its own. A revoked gateway has no active seed, so it
  // always takes the slow path.
  CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActiveForCall(gw_id));
  if (active.has_value() && !NeedsNewSeed(*active, options.renew_epoch, clock_.Now())) {
    return std::move(*active);
  }
  const IssueRequest request{gw_id, options};
  return issues_.Submit(request, CurrentStoreDeadline(),
                        [this](const auto& take) { return IssueBatch(take); });
}

absl::StatusOr<std::vector<absl::StatusOr<StoredSeed>>> SqliteSeedStore::IssueBatch(
    const GroupCommit<IssueRequest, StoredSeed>::Take& take) {
  CallLock lock(*this);
  if (!lock.ok()) return lock.status();
  // Taken only now, with the database held: requests that arrived while this
  // thread waited for it join the batch.
  const std::vector<const IssueRequest*> batch = take();
  const ScopedBatchStoreDeadline bound(take.latest_deadline());
  std::vector<absl::StatusOr<StoredSeed>> results;
  results.reserve(batch.size());
  // BEGIN IMMEDIATE takes the write lock before each request looks again, so
  // two processes cannot both see "no active seed" and both insert one.
  CPNS_RETURN_IF_ERROR(InWriteTransaction(db_, [&]() -> absl::Status {
    for (const IssueRequest* r : batch) {
      results.push_back(IssueInSavepointLocked(*r));
      // SQLITE_FULL, IOERR or NOMEM may roll back the whole transaction; the
      // next SAVEPOINT would then open a transaction of its own outside
      // BEGIN IMMEDIATE. The batch fails as a whole instead.
      if (sqlite3_get_autocommit(db_) != 0) {
        // The cause's own code and payloads (a corrupt file stays DataLoss).
        absl::Status cause = results.back().status();
        if (cause.ok()) cause = absl::UnavailableError("the transaction ended early");
        absl::Status batch(cause.code(), "the store rolled back a batch of new seeds: " +
                                             std::string(cause.message()));
        cause.ForEachPayload([&](absl::string_view type, const absl::Cord& payload) {
          batch.SetPayload(type, payload);
        });
        return batch;
      }
    }
    return absl::OkStatus();
  }));
  return results;
}

absl::StatusOr<StoredSeed> SqliteSeedStore::IssueInSavepointLocked(const IssueRequest& r) {
  CPNS_RETURN_IF_ERROR(ExecCachedLocked("SAVEPOINT issue"));
  absl::StatusOr<StoredSeed> seed = GetOrCreateLocked(r.gw_id, r.options);
  if (!seed.ok()) {
    // The seed's own error, whatever the savepoint's end says (after a
    // rollback of the whole transaction it names only the savepoint).
    ExecCachedLocked("ROLLBACK TO issue").IgnoreError();
    ExecCachedLocked("RELEASE issue").IgnoreError();
    return seed;
  }
  CPNS_RETURN_IF_ERROR(ExecCachedLocked("RELEASE issue"));
  return seed;
}

absl::Status SqliteSeedStore::ExecCachedLocked(absl::string_view sql) {
  CPNS_ASSIGN_OR_RETURN(sqlite::Query q, statements_.Get(sql));
  return q.Step().status();
}

absl::StatusOr<std::optional<StoredSeed>> SqliteSeedStore::FindActiveForCall(
    const GatewayId& gw_id) {
  if (!has_file_) {  // a store in memory has one connection
    CallLock lock(*this);
    if (!lock.ok()) return lock.status();
    return FindActiveLocked(gw_id);
  }
  return seed_reads_->Run([&](sqlite3*, sqlite::StatementCache& statements) {
    return FindActive(statements, gw_id);
  });
}

absl::StatusOr<std::optional<StoredSeed>> SqliteSeedStore::FindActiveLocked(
    const GatewayId& gw_id) {
  return FindActive(statements_, gw_id);
}

absl::StatusOr<std::optional<StoredSeed>> SqliteSeedStore::FindActive(
    sqlite::StatementCache& statements, const GatewayId& gw_id) {
  // One probe of the partial index first_seeds_one_active, then the row.
  CPNS_ASSIGN_OR_RETURN(sqlite::Query find, statements.Get(
      "SELECT gw_id, seed_epoch, created_at, state, kek_id, expires_at, sealed_seed "
      "FROM first_seeds WHERE gw_id = ? AND state = 'active'"));
  find.Bind(1, gw_id.value());
  CPNS_ASSIGN_OR_RETURN(bool found, find.Step());
  if (!found) return std::nullopt;
  CPNS_ASSIGN_OR_RETURN(SeedRecord record, sqlite::ReadSeedRecord(find, 0));
  return OpenSealedSeed(keys_, record, find.Blob(6));
}

absl::StatusOr<StoredSeed> SqliteSeedStore::GetOrCreateLocked(const GatewayId& gw_id,
                                                              const IssueOptions& options) {
  CPNS_ASSIGN_OR_RETURN(bool revoked, GatewayRevokedLocked(gw_id));
  if (revoked) return GatewayRevokedError(gw_id);
  CPNS_ASSIGN_OR_RETURN(std::optional<StoredSeed> active, FindActiveLocked(gw_id));
  const absl::Time now = clock_.Now();
  if (active.has_value() && !NeedsNewSeed(*active, options.renew_epoch, now)) {
    return std::move(*active);
  }
  return IssueLocked(gw_id, options.lifetime, options.actor,
                     IssueReason(active ? &*active : nullptr, now));
}

absl::StatusOr<StoredSeed> SqliteSeedStore::IssueLocked(const GatewayId& gw_id,
                                                        absl::Duration lifetime,
                                                        absl::string_view actor,
                                                        absl::string_view why) {
  const int64_t now = absl::ToUnixSeconds(clock_.Now());
  CPNS_ASSIGN_OR_RETURN(bool rotated, RotateActiveLocked(gw_id, now));
  CPNS_ASSIGN_OR_RETURN(uint32_t epoch, NextEpochLocked(gw_id));
  CPNS_ASSIGN_OR_RETURN(NewSeed fresh, MakeSealedSeed(keys_, gw_id, epoch));
  const int64_t expires = now + absl::ToInt64Seconds(lifetime);
  {
    CPNS_ASSIGN_OR_RETURN(sqlite::Query insert, statements_.Get(
        "INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, kek_id, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?, ?)"));
    insert.Bind(1, gw_id.value());
    insert.Bind(2, static_cast<int64_t>(epoch));
    insert.BindBlob(3, fresh.sealed);
    insert.Bind(4, fresh.kek_id);
    insert.Bind(5, now);
    insert.Bind(6, expires);
    CPNS_RETURN_IF_ERROR(insert.Step().status());
  }
  StoredSeed seed{gw_id,        epoch, std::move(fresh.seed), absl::FromUnixSeconds(now),
                  absl::FromUnixSeconds(expires), SeedState::kActive};
  CPNS_RETURN_IF_ERROR(AppendAuditLocked(IssueAuditEvent(seed, rotated, actor, why)));
  return seed;
}

absl::StatusOr<bool> SqliteSeedStore::RotateActiveLocked(const GatewayId& gw_id, int64_t now) {
  CPNS_ASSIGN_OR_RETURN(sqlite::Query previous, statements_.Get(
      "UPDATE first_seeds SET state = 'rotated', state_changed_at = ? "
      "WHERE gw_id = ? AND state = 'active'"));
  previous.Bind(1, now);
  previous.Bind(2, gw_id.value());
  CPNS_RETURN_IF_ERROR(previous.Step().status());
  return sqlite3_changes(db_) > 0;
}

absl::StatusOr<uint32_t> SqliteSeedStore::NextEpochLocked(const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(sqlite::Query next, statements_.Get(
      "SELECT coalesce(max(seed_epoch), 0) + 1 FROM first_seeds WHERE gw_id = ?"));
  next.Bind(1, gw_id.value());
  CPNS_ASSIGN_OR_RETURN(bool has_row, next.Step());
  const int64_t epoch = has_row ? next.Int(0) : 1;
  if (epoch > UINT32_MAX) return absl::ResourceExhaustedError("seed_epoch would exceed 2^32-1");
  return static_cast<uint32_t>(epoch);
}

}  // namespace cpns::storage
