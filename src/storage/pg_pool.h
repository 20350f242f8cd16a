// A small pool of libpq connections for the PostgreSQL store.
//
// Thread-safe. Connections are opened lazily, each with connect_timeout,
// TCP keepalives, tcp_user_timeout and statement_timeout set, and a
// connection that failed is closed and reopened on next use, so the store
// recovers by itself after a database restart.
//
// Every wait (for a free connection, for connecting, for a query's answer)
// ends by the calling thread's store deadline (storage/store_deadline.h). A
// connection whose query did not answer in time is closed at once, never
// returned to the pool: the next call opens a new one.
#ifndef CPNS_STORAGE_PG_POOL_H_
#define CPNS_STORAGE_PG_POOL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"

struct pg_conn;
struct pg_result;

namespace cpns::storage::pg {

// One query result, cleared on every path out.
class Result {
 public:
  explicit Result(pg_result* r) : r_(r) {}
  Result(Result&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  Result& operator=(Result&&) = delete;
  ~Result();
  int rows() const;
  bool IsNull(int row, int col) const;
  absl::string_view Text(int row, int col) const;
  int64_t Int(int row, int col) const;
  // A bytea column in PostgreSQL's hex text form, decoded.
  absl::StatusOr<std::string> Bytes(int row, int col) const;
  int affected_rows() const;

 private:
  pg_result* r_;
};

// A parameter: text, or binary (for bytea).
struct Param {
  std::string value;
  bool binary = false;
};

class Pool;

// A connection borrowed from the pool; returned when destroyed.
class Connection {
 public:
  Connection(Pool* pool, pg_conn* conn) : pool_(pool), conn_(conn) {}
  Connection(Connection&& o) noexcept : pool_(o.pool_), conn_(o.conn_) { o.conn_ = nullptr; }
  Connection& operator=(Connection&&) = delete;
  ~Connection();

  // Unavailable for connection failures and timeouts (IsStoreDeadlineMiss
  // when the store deadline passed), Aborted for serialization failures and
  // deadlocks, Internal otherwise; the message carries the server's SQLSTATE
  // and text. After a deadline miss or a broken connection, the connection is
  // closed and every later Exec is Unavailable.
  absl::StatusOr<Result> Exec(absl::string_view sql, const std::vector<Param>& params = {});

  // `value` as a quoted SQL string literal, escaped for this connection (for
  // scripts of several statements, which cannot take parameters).
  absl::StatusOr<std::string> Literal(absl::string_view value);

 private:
  Pool* pool_;
  pg_conn* conn_;
};

struct PoolOptions {
  std::string conninfo;  // a postgresql:// URL or key=value string
  int max_connections = 8;
  absl::Duration connect_timeout = absl::Seconds(3);
  absl::Duration statement_timeout = absl::Seconds(5);
  absl::Duration acquire_timeout = absl::Seconds(5);
};

class Pool {
 public:
  explicit Pool(PoolOptions options) : options_(std::move(options)) {}
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // A connection, reusing an idle one or opening a new one. Unavailable when
  // the database cannot be reached or all connections stay busy, by the
  // store deadline at the latest.
  absl::StatusOr<Connection> Acquire();

 private:
  friend class Connection;
  void Release(pg_conn* conn);
  // Closes a connection that must not be reused and frees its slot.
  void Discard(pg_conn* conn);
  absl::StatusOr<pg_conn*> Open(absl::Time deadline);

  const PoolOptions options_;
  Mutex mu_;
  std::vector<pg_conn*> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cpns::storage::pg

#endif  // CPNS_STORAGE_PG_POOL_H_
