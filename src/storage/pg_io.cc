#include "storage/pg_io.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "storage/store_deadline.h"

namespace cpns::storage::pg {
namespace {

constexpr char kWho[] = "PostgreSQL";

std::string Trimmed(std::string msg) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  return msg;
}

absl::Status ResultError(pg_conn* conn, const pg_result* r) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  const std::string sqlstate = state ? state : "";
  const std::string msg =
      Trimmed(absl::StrCat("PostgreSQL", sqlstate.empty() ? "" : " " + sqlstate, ": ",
                           r ? PQresultErrorMessage(r) : PQerrorMessage(conn)));
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

// Waits until the connection's socket is readable or writable, as asked,
// or `deadline` passes. Interrupted polls are resumed.
absl::Status WaitSocket(pg_conn* conn, bool read, bool write, absl::Time deadline,
                        absl::string_view who = kWho) {
  pollfd p{PQsocket(conn), static_cast<short>((read ? POLLIN : 0) | (write ? POLLOUT : 0)), 0};
  if (p.fd < 0) return absl::UnavailableError("PostgreSQL connection has no socket");
  for (;;) {
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return StoreDeadlineError(who);
    const double ms = std::ceil(absl::ToDoubleMilliseconds(left));
    const int rc = poll(&p, 1, static_cast<int>(std::min(ms, 60'000.0)));
    if (rc > 0) return absl::OkStatus();  // ready, or an error libpq will report
    if (rc < 0 && errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("poll on PostgreSQL socket: ", strerror(errno)));
    }
  }
}

absl::Status FinishConnect(pg_conn* conn, absl::Time deadline) {
  if (PQstatus(conn) == CONNECTION_BAD) {
    return absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL: ", Trimmed(PQerrorMessage(conn))));
  }
  PostgresPollingStatusType state = PGRES_POLLING_WRITING;
  while (state != PGRES_POLLING_OK) {
    if (state == PGRES_POLLING_FAILED) {
      return absl::UnavailableError(
          absl::StrCat("cannot connect to PostgreSQL: ", Trimmed(PQerrorMessage(conn))));
    }
    // The socket may change between polls (several hosts, SSL retry).
    CPNS_RETURN_IF_ERROR(WaitSocket(conn, state == PGRES_POLLING_READING,
                                    state == PGRES_POLLING_WRITING, deadline,
                                    "PostgreSQL (connecting)"));
    state = PQconnectPoll(conn);
  }
  return absl::OkStatus();
}

// Sends what libpq has buffered; reads meanwhile, as libpq asks.
absl::Status Flush(pg_conn* conn, absl::Time deadline) {
  for (;;) {
    const int rc = PQflush(conn);
    if (rc == 0) return absl::OkStatus();
    if (rc < 0) return ResultError(conn, nullptr);
    CPNS_RETURN_IF_ERROR(WaitSocket(conn, true, true, deadline));
    if (!PQconsumeInput(conn)) return ResultError(conn, nullptr);
  }
}

// Waits until PQgetResult will not block.
absl::Status AwaitResult(pg_conn* conn, absl::Time deadline) {
  while (PQisBusy(conn)) {
    CPNS_RETURN_IF_ERROR(WaitSocket(conn, true, false, deadline));
    if (!PQconsumeInput(conn)) return ResultError(conn, nullptr);
  }
  return absl::OkStatus();
}

absl::Status Send(pg_conn* conn, const std::string& query, const std::vector<Param>& params) {
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const Param& p : params) {
    values.push_back(p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  // Without parameters the simple protocol also runs multi-statement scripts.
  const int sent =
      params.empty() ? PQsendQuery(conn, query.c_str())
                     : PQsendQueryParams(conn, query.c_str(), static_cast<int>(params.size()),
                                         nullptr, values.data(), lengths.data(), formats.data(), 0);
  return sent ? absl::OkStatus() : ResultError(conn, nullptr);
}

using ResultPtr = std::unique_ptr<pg_result, decltype(&PQclear)>;

}  // namespace

absl::StatusOr<pg_conn*> ConnectBefore(const std::string& conninfo,
                                       const ConnectDefaults& defaults, absl::Time deadline) {
  // Defaults first: a keyword of the expanded conninfo ("dbname") overrides them.
  std::vector<const char*> keywords, values;
  for (const auto& [k, v] : defaults) {
    keywords.push_back(k.c_str());
    values.push_back(v.c_str());
  }
  keywords.push_back("dbname");
  values.push_back(conninfo.c_str());
  keywords.push_back(nullptr);
  values.push_back(nullptr);
  pg_conn* conn = PQconnectStartParams(keywords.data(), values.data(), /*expand_dbname=*/1);
  if (conn == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  absl::Status s = FinishConnect(conn, deadline);
  if (s.ok() && PQsetnonblocking(conn, 1) != 0) s = ResultError(conn, nullptr);
  if (!s.ok()) {
    PQfinish(conn);
    return s;
  }
  return conn;
}

absl::StatusOr<Result> ExecBefore(pg_conn* conn, const std::string& query,
                                  const std::vector<Param>& params, absl::Time deadline) {
  if (absl::Now() >= deadline) return StoreDeadlineError(kWho);
  CPNS_RETURN_IF_ERROR(Send(conn, query, params));
  CPNS_RETURN_IF_ERROR(Flush(conn, deadline));
  ResultPtr last(nullptr, &PQclear);
  ResultPtr rows(nullptr, &PQclear);
  absl::Status error;
  for (;;) {
    CPNS_RETURN_IF_ERROR(AwaitResult(conn, deadline));
    ResultPtr r(PQgetResult(conn), &PQclear);
    if (r == nullptr) break;
    const ExecStatusType status = PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && error.ok()) {
      error = ResultError(conn, r.get());
    }
    (status == PGRES_TUPLES_OK ? rows : last) = std::move(r);
  }
  if (!error.ok()) return error;
  if (rows != nullptr) return Result(rows.release());
  if (last == nullptr) return absl::InternalError("PostgreSQL: the query returned no result");
  return Result(last.release());
}

}  // namespace cpns::storage::pg
