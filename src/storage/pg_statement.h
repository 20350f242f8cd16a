// What the PostgreSQL store's files share: query parameters, reading rows,
// transactions and the per-gateway lock. Private to the PostgreSQL store. A
// Connection is used by one thread at a time, so these functions are too.
#ifndef CPNS_STORAGE_PG_STATEMENT_H_
#define CPNS_STORAGE_PG_STATEMENT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/status_macros.h"
#include "storage/pg_pool.h"
#include "storage/sealed_seed.h"
#include "storage/store_deadline.h"
#include "storage/store_rules.h"

namespace cpns::storage::pg {

inline Param Text(absl::string_view v) { return {std::string(v), false}; }
inline Param Int(int64_t v) { return {absl::StrCat(v), false}; }
inline Param Bytes(absl::string_view v) { return {std::string(v), true}; }

// A boolean column ("t" or "f").
inline bool Bool(const Result& r, int row, int col) { return r.Text(row, col) == "t"; }

inline const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) {
  return s.status();
}

// Runs `op` and, if it failed because a pooled connection had died (the
// database restarted), once more on a fresh connection. Only for reads and
// for changes that are idempotent: the first attempt may have committed. A
// call that ran out of time is not retried: its deadline has passed.
template <typename Op>
auto RetryOnceIfUnavailable(Op op) -> decltype(op()) {
  auto result = op();
  const absl::Status& s = StatusOf(result);
  if (absl::IsUnavailable(s) && !IsStoreDeadlineMiss(s)) result = op();
  return result;
}

// Runs `body` in a transaction on `c`; commits when it succeeds, rolls back
// otherwise. READ COMMITTED whatever the server's default: each statement
// then sees what was committed before it started, so a statement after
// LockGateway sees everything the previous holder of the lock committed.
template <typename Body>
auto InTransaction(Connection& c, Body body,
                   absl::string_view begin = "BEGIN ISOLATION LEVEL READ COMMITTED")
    -> decltype(body()) {
  CPNS_RETURN_IF_ERROR(c.Exec(begin).status());
  auto result = body();
  if (!StatusOf(result).ok()) {
    // If this fails the connection is not idle, and the pool drops it.
    c.Exec("ROLLBACK").IgnoreError();
    return result;
  }
  CPNS_RETURN_IF_ERROR(c.Exec("COMMIT").status());
  return result;
}

// Inside a transaction: waits for the lock of one gateway and holds it until
// the transaction ends. Every transaction that changes a gateway's seeds or
// revokes it takes this lock first, so on all replicas they happen one after
// another per gateway: two requests cannot both issue an epoch, and a
// revocation cannot race a new seed. (Two gateways whose ids hash alike
// merely wait for each other.)
inline absl::Status LockGateway(Connection& c, const GatewayId& gw_id) {
  return c.Exec("SELECT pg_advisory_xact_lock(hashtextextended($1, 727))", {Text(gw_id.value())})
      .status();
}

inline absl::StatusOr<bool> GatewayRevoked(Connection& c, const GatewayId& gw_id) {
  CPNS_ASSIGN_OR_RETURN(Result r, c.Exec("SELECT 1 FROM revoked_gateways WHERE gw_id = $1",
                                         {Text(gw_id.value())}));
  return r.rows() > 0;
}

// The columns ReadSeedRecord reads, in order.
inline constexpr char kSeedColumns[] = "gw_id, seed_epoch, created_at, state, kek_id, expires_at";

inline absl::StatusOr<SeedRecord> ReadSeedRecord(const Result& r, int row, int first) {
  CPNS_ASSIGN_OR_RETURN(GatewayId gw_id, StoredGatewayId(r.Text(row, first)));
  CPNS_ASSIGN_OR_RETURN(SeedState state, ParseSeedState(r.Text(row, first + 3)));
  return SeedRecord{std::move(gw_id),
                    static_cast<uint32_t>(r.Int(row, first + 1)),
                    absl::FromUnixSeconds(r.Int(row, first + 2)),
                    state,
                    std::string(r.Text(row, first + 4)),
                    absl::FromUnixSeconds(r.Int(row, first + 5))};
}

}  // namespace cpns::storage::pg

#endif  // CPNS_STORAGE_PG_STATEMENT_H_
