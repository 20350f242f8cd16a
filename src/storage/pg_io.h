// libpq's asynchronous API, every wait bounded by a deadline, so that a
// database that stopped answering (a frozen process, a lost network) costs a
// caller at most its remaining time instead of a hang. Private to the
// PostgreSQL store.
//
// A connection these functions made is in nonblocking mode. After a call
// failed with IsStoreDeadlineMiss() the connection is mid-query and must be
// closed, never reused.
#ifndef CPNS_STORAGE_PG_IO_H_
#define CPNS_STORAGE_PG_IO_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "storage/pg_pool.h"

namespace cpns::storage::pg {

// Connection parameters (libpq keywords) applied unless the conninfo sets
// them itself.
using ConnectDefaults = std::vector<std::pair<std::string, std::string>>;

// A connection to `conninfo` (a URL or key=value string), made with
// PQconnectStartParams/PQconnectPoll. Unavailable if it cannot be made by
// `deadline`. (A host name is resolved before the deadline applies; give
// addresses, or hostaddr, where that matters.)
absl::StatusOr<pg_conn*> ConnectBefore(const std::string& conninfo,
                                       const ConnectDefaults& defaults, absl::Time deadline);

// Runs `query` (without parameters it may hold several statements) and
// waits for all its results by `deadline`: the last result that has rows
// (a script's SELECT, not the COMMIT after it), else the last result; or the
// first error (Unavailable, Aborted or Internal as for Connection::Exec).
absl::StatusOr<Result> ExecBefore(pg_conn* conn, const std::string& query,
                                  const std::vector<Param>& params, absl::Time deadline);

}  // namespace cpns::storage::pg

#endif  // CPNS_STORAGE_PG_IO_H_
