#include "storage/pg_pool.h"

#include <libpq-fe.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "cpns/core/hex.h"

namespace cpns::storage::pg {
namespace {

absl::Status ResultError(pg_conn* conn, const pg_result* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  std::string msg = absl::StrCat("PostgreSQL", sqlstate.empty() ? "" : " " + sqlstate, ": ",
                                 r ? PQresultErrorMessage(r) : PQerrorMessage(conn));
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  // Class 08: connection exceptions; 57P0x: shutdown / cannot connect now;
  // 57014: statement timeout; 53xxx: insufficient resources.
  if (PQstatus(conn) != CONNECTION_OK || absl::StartsWith(sqlstate, "08") ||
      absl::StartsWith(sqlstate, "57P") || sqlstate == "57014" ||
      absl::StartsWith(sqlstate, "53")) {
    return absl::UnavailableError(msg);
  }
  if (sqlstate == "40001" || sqlstate == "40P01") return absl::AbortedError(msg);
  return absl::InternalError(msg);
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
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const Param& p : params) {
    values.push_back(p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  const std::string query(sql);
  // Without parameters, PQexec also runs multi-statement scripts (migrations).
  pg_result* raw =
      params.empty() ? PQexec(conn_, query.c_str())
                     : PQexecParams(conn_, query.c_str(), static_cast<int>(params.size()),
                                    nullptr, values.data(), lengths.data(), formats.data(), 0);
  const ExecStatusType status = PQresultStatus(raw);
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    absl::Status error = ResultError(conn_, raw);
    PQclear(raw);
    return error;
  }
  return Result(raw);
}

Pool::~Pool() {
  MutexLock lock(&mu_);
  for (pg_conn* c : idle_) PQfinish(c);
}

absl::StatusOr<pg_conn*> Pool::Open() {
  std::string conninfo = options_.conninfo;
  if (!absl::StrContains(conninfo, "connect_timeout")) {
    const int secs = std::max<int64_t>(1, absl::ToInt64Seconds(options_.connect_timeout));
    if (absl::StartsWith(conninfo, "postgres")) {
      absl::StrAppend(&conninfo, absl::StrContains(conninfo, "?") ? "&" : "?",
                      "connect_timeout=", secs);
    } else {
      absl::StrAppend(&conninfo, " connect_timeout=", secs);
    }
  }
  pg_conn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    while (!msg.empty() && msg.back() == '\n') msg.pop_back();
    return absl::UnavailableError(absl::StrCat("cannot connect to PostgreSQL: ", msg));
  }
  const std::string setup = absl::StrCat(
      "SET statement_timeout = ", absl::ToInt64Milliseconds(options_.statement_timeout),
      "; SET bytea_output = 'hex'; SET synchronous_commit = on");
  pg_result* r = PQexec(conn, setup.c_str());
  const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
  PQclear(r);
  if (!ok) {
    std::string msg = PQerrorMessage(conn);
    PQfinish(conn);
    return absl::UnavailableError(absl::StrCat("cannot set up PostgreSQL session: ", msg));
  }
  return conn;
}

absl::StatusOr<Connection> Pool::Acquire() {
  {
    MutexLock lock(&mu_);
    auto available = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !idle_.empty() || open_ < options_.max_connections;
    };
    if (!mu_.AwaitWithDeadline(available, absl::Now() + options_.acquire_timeout)) {
      return absl::UnavailableError("all PostgreSQL connections stayed busy");
    }
    if (!idle_.empty()) {
      pg_conn* c = idle_.back();
      idle_.pop_back();
      return Connection(this, c);
    }
    ++open_;  // reserve a slot while connecting without the lock
  }
  absl::StatusOr<pg_conn*> conn = Open();
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

}  // namespace cpns::storage::pg
