// The SQLite store's prepared statements, prepared once per connection and
// reused: preparing a statement costs more than running a one-row look-up.
// Not thread-safe: used under the store's connection lock, like the
// connection itself.
#ifndef CPNS_STORAGE_SQLITE_STATEMENT_CACHE_H_
#define CPNS_STORAGE_SQLITE_STATEMENT_CACHE_H_

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/sqlite.h"

namespace cpns::storage::sqlite {

// A cached statement borrowed for one use; reset, with its parameters
// cleared, when destroyed, so the next user starts afresh and no bound
// bytes outlive the call. Bound text and blobs are not copied: they must
// outlive the Query.
class Query : public ::cpns::sqlite::BoundStatement {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : BoundStatement(db, stmt, SQLITE_STATIC) {}
  Query(Query&& o) noexcept = default;
  Query& operator=(Query&&) = delete;
  ~Query() {
    if (stmt_ == nullptr) return;
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
};

class StatementCache {
 public:
  explicit StatementCache(sqlite3* db) : db_(db) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;
  ~StatementCache() { Clear(); }

  // The statement for `sql`, prepared on first use. One Query per statement
  // at a time.
  absl::StatusOr<Query> Get(absl::string_view sql) {
    // A dozen statements: a scan (mostly comparing lengths) beats hashing.
    for (const auto& [text, stmt] : statements_) {
      if (text == sql) return Query(db_, stmt);
    }
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) != SQLITE_OK) {
      return ::cpns::sqlite::Error(db_, "prepare");
    }
    statements_.emplace_back(std::string(sql), stmt);
    return Query(db_, stmt);
  }

  // Finalizes every statement (before the connection closes).
  void Clear() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
  }

 private:
  sqlite3* const db_;
  std::vector<std::pair<std::string, sqlite3_stmt*>> statements_;
};

}  // namespace cpns::storage::sqlite

#endif  // CPNS_STORAGE_SQLITE_STATEMENT_CACHE_H_
