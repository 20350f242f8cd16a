#include "storage/open_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "core/status_macros.h"
#include "storage/pg_seed_store.h"
#include "storage/sqlite_seed_store.h"

namespace cpns::storage {

absl::StatusOr<StoreUrl> ParseStoreUrl(absl::string_view url) {
  if (url.empty()) return absl::InvalidArgumentError("--db is empty");
  if (absl::StartsWith(url, "postgresql://") || absl::StartsWith(url, "postgres://")) {
    return StoreUrl{Backend::kPostgres, std::string(url)};
  }
  absl::string_view path = url;
  if (absl::ConsumePrefix(&path, "sqlite:")) {
    absl::ConsumePrefix(&path, "//");
    if (path.empty()) return absl::InvalidArgumentError("--db sqlite: needs a path");
    return StoreUrl{Backend::kSqlite, std::string(path)};
  }
  if (absl::StrContains(url, "://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--db '", url, "': unknown scheme; use postgresql://..., sqlite:PATH or a file path"));
  }
  return StoreUrl{Backend::kSqlite, std::string(url)};
}

absl::StatusOr<std::unique_ptr<SeedStore>> OpenSeedStore(absl::string_view url,
                                                         const StoreOptions& options,
                                                         const Clock& clock) {
  CPNS_ASSIGN_OR_RETURN(StoreUrl parsed, ParseStoreUrl(url));
  if (parsed.backend == Backend::kPostgres) {
    CPNS_ASSIGN_OR_RETURN(auto store, PgSeedStore::Open({.conninfo = parsed.target}, options, clock));
    return std::unique_ptr<SeedStore>(std::move(store));
  }
  CPNS_ASSIGN_OR_RETURN(auto store, SqliteSeedStore::Open(parsed.target, options, clock));
  return std::unique_ptr<SeedStore>(std::move(store));
}

}  // namespace cpns::storage
