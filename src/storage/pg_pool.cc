#include "storage/pg_pool.h"

#include <libpq-fe.h>

#include <algorithm>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cpns/core/hex.h"
#include "storage/pg_io.h"
#include "storage/store_deadline.h"

namespace cpns::storage::pg {
namespace {

// Dead peers of idle pooled connections (a host gone, a network cut) are
// noticed by the kernel within about a minute; a frozen database whose
// kernel still answers is caught by the store deadline instead.
ConnectDefaults Defaults(const PoolOptions& options) {
  const int64_t connect_secs = std::max<int64_t>(1, absl::ToInt64Seconds(options.connect_timeout));
  return {{"connect_timeout", absl::StrCat(connect_secs)},
          {"tcp_user_timeout", "10000"},
          {"keepalives", "1"},
          {"keepalives_idle", "30"},
          {"keepalives_interval", "10"},
          {"keepalives_count", "3"}};
}

}  // namespace

Result::~Result() { PQclear(r_); }
int Result::rows() const { return PQntuples(r_); }
bool Result::IsNull(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
absl::string_view Result::Text(int row, int col) const {
  return {PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col))};
}
int64_t Result::Int(int row, int col) const {
  int64_t v = 0;
  (void)absl::SimpleAtoi(Text(row, col), &v);
  return v;
}
absl::StatusOr<std::string> Result::Bytes(int row, int col) const {
  absl::string_view text = Text(row, col);
  if (!absl::ConsumePrefix(&text, "\\x")) {
    return absl::DataLossError("bytea column is not in hex format (bytea_output = hex)");
  }
  return HexDecode("bytea column", text);
}
int Result::affected_rows() const {
  int n = 0;
  (void)absl::SimpleAtoi(PQcmdTuples(r_), &n);
  return n;
}

Connection::~Connection() {
  if (conn_ != nullptr) pool_->Release(conn_);
}

absl::StatusOr<Result> Connection::Exec(absl::string_view sql,
                                        const std::vector<Param>& params) {
  if (conn_ == nullptr) {
    return absl::UnavailableError("PostgreSQL connection was closed after an earlier failure");
  }
  absl::StatusOr<Result> r = ExecBefore(conn_, std::string(sql), params, CurrentStoreDeadline());
  // Mid-query or broken: no later statement (a ROLLBACK) may wait on it.
  if (IsStoreDeadlineMiss(r.status()) || PQstatus(conn_) != CONNECTION_OK) {
    pool_->Discard(std::exchange(conn_, nullptr));
  }
  return r;
}

absl::StatusOr<std::string> Connection::Literal(absl::string_view value) {
  if (conn_ == nullptr) {
    return absl::UnavailableError("PostgreSQL connection was closed after an earlier failure");
  }
  char* quoted = PQescapeLiteral(conn_, value.data(), value.size());
  if (quoted == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot quote a value for PostgreSQL: ", PQerrorMessage(conn_)));
  }
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

Pool::~Pool() {
  MutexLock lock(&mu_);
  for (pg_conn* c : idle_) PQfinish(c);
}

absl::StatusOr<pg_conn*> Pool::Open(absl::Time deadline) {
  const absl::Time connect_by = absl::Now() + options_.connect_timeout;
  absl::StatusOr<pg_conn*> conn =
      ConnectBefore(options_.conninfo, Defaults(options_), std::min(deadline, connect_by));
  if (IsStoreDeadlineMiss(conn.status()) && connect_by < deadline) {
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL within ",
                                               absl::FormatDuration(options_.connect_timeout)));
  }
  if (!conn.ok()) return conn.status();
  const std::string setup = absl::StrCat(
      "SET statement_timeout = ", absl::ToInt64Milliseconds(options_.statement_timeout),
      "; SET bytea_output = 'hex'; SET synchronous_commit = on");
  absl::StatusOr<Result> r = ExecBefore(*conn, setup, {}, deadline);
  if (!r.ok()) {
    PQfinish(*conn);
    if (IsStoreDeadlineMiss(r.status())) return r.status();
    return absl::UnavailableError(
        absl::StrCat("cannot set up PostgreSQL session: ", r.status().message()));
  }
  return *conn;
}

absl::StatusOr<Connection> Pool::Acquire() {
  const absl::Time deadline = CurrentStoreDeadline();
  if (absl::Now() >= deadline) return StoreDeadlineError("PostgreSQL");
  {
    MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.max_connections;
    };
    const absl::Time busy_until = absl::Now() + options_.acquire_timeout;
    if (!mu_.AwaitWithDeadline(available, std::min(deadline, busy_until))) {
      if (deadline < busy_until) return StoreDeadlineError("PostgreSQL (every connection busy)");
      return absl::UnavailableError("all PostgreSQL connections stayed busy");
    }
    if (!idle_.empty()) {
      pg_conn* c = idle_.back();
      idle_.pop_back();
      return Connection(this, c);
    }
    ++open_;  // reserve a slot while connecting without the lock
  }
  absl::StatusOr<pg_conn*> conn = Open(deadline);
  if (!conn.ok()) {
    MutexLock lock(&mu_);
    --open_;
    mu_.SignalAll();
    return conn.status();
  }
  return Connection(this, *conn);
}

void Pool::Release(pg_conn* conn) {
  MutexLock lock(&mu_);
  const bool healthy = PQstatus(conn) == CONNECTION_OK &&
                       PQtransactionStatus(conn) == PQTRANS_IDLE;
  if (healthy) {
    idle_.push_back(conn);
  } else {
    PQfinish(conn);  // broken or mid-transaction: never reuse
    --open_;
  }
  mu_.SignalAll();
}

void Pool::Discard(pg_conn* conn) {
  PQfinish(conn);  // nonblocking: does not wait on a database that stopped answering
  MutexLock lock(&mu_);
  --open_;
  mu_.SignalAll();
}

}  // namespace cpns::storage::pg
