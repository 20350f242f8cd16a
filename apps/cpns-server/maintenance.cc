// The operator's maintenance commands: audit prune (retention) and check
// (is the store sound, does every sealed row open under the KEKs).
#include <sys/stat.h>

#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "commands.h"
#include "common/cli.h"
#include "cpns/core/clock.h"
#include "storage/kek.h"
#include "storage/open_store.h"
#include "storage/sqlite_seed_store.h"

namespace cpns::server_cli {
namespace {

int Fail(const absl::Status& s) { return cli::Fail(kProgram, s); }

std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// The key ring `check` opens sealed rows with: the --kek-file flags, $CPNS_KEK,
// or for SQLite <db>.kek if it exists. nullopt when there is none to use.
absl::StatusOr<std::optional<storage::KeyRing>> CheckKeys(const Flags& f) {
  absl::StatusOr<std::vector<std::string>> files = KekFiles(f, /*create_default=*/false);
  if (!files.ok()) return std::nullopt;  // PostgreSQL without --kek-file
  const char* env = std::getenv(storage::kKekEnvVar);
  struct stat st;
  if (f.kek_files.empty() && (env == nullptr || *env == '\0') && !files->empty() &&
      ::stat(files->front().c_str(), &st) != 0) {
    return std::nullopt;  // no KEK next to the SQLite file either
  }
  absl::StatusOr<storage::KeyRing> keys = storage::LoadKeyRing(*files);
  if (!keys.ok()) return keys.status();
  return std::move(*keys);
}

// Every sealed row opens under `keys`; adds a line per one that does not.
void CheckSeals(const Flags& f, const storage::KeyRing& keys, std::vector<std::string>& faults) {
  RealClock clock;
  auto store = storage::OpenSeedStore(f.db, {.keys = &keys, .create_if_missing = false}, clock);
  if (!store.ok()) {
    faults.push_back(absl::StrCat("cannot open the store: ", store.status().ToString()));
    return;
  }
  absl::StatusOr<storage::SealCheck> seals = (*store)->CheckSealed();
  if (!seals.ok()) {
    faults.push_back(absl::StrCat("reading sealed rows: ", seals.status().ToString()));
    return;
  }
  std::cout << "sealed rows (1st seeds, server secrets): " << seals->checked << " checked, "
            << seals->faults.size() << " do not open\n";
  faults.insert(faults.end(), seals->faults.begin(), seals->faults.end());
}

}  // namespace

absl::StatusOr<absl::Time> ParseBefore(absl::string_view text, absl::Time now) {
  absl::Time t;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, text, &t, &err) ||
      absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err)) {
    if (t > now) {
      return absl::InvalidArgumentError(
          absl::StrCat("--before ", text, " is in the future; it would remove every row"));
    }
    return t;
  }
  absl::StatusOr<absl::Duration> age = cli::ParseDuration("--before", text);
  if (age.ok()) return now - *age;
  return absl::InvalidArgumentError(absl::StrCat(
      "--before '", text, "' is neither an RFC 3339 time (2026-01-31T00:00:00Z), a date "
      "(2026-01-31, UTC) nor an age (90d: that long before now)"));
}

int AuditPrune(const Flags& f) {
  RealClock clock;
  absl::StatusOr<absl::Time> before = ParseBefore(f.before, clock.Now());
  if (!before.ok()) return Fail(before.status());
  auto store = storage::OpenSeedStore(f.db, {.create_if_missing = false, .writable = true}, clock);
  if (!store.ok()) return Fail(store.status());
  absl::StatusOr<int64_t> removed = (*store)->PruneAudit(*before, AdminActor());
  if (!removed.ok()) return Fail(removed.status());
  if (f.json) {
    std::cout << nlohmann::json{{"removed", *removed},
                                {"before", absl::ToUnixSeconds(*before)},
                                {"before_utc", Utc(*before)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << "removed " << *removed << " audit row(s) recorded before " << Utc(*before)
              << "\n";
  }
  return 0;
}

int Check(const Flags& f) {
  absl::StatusOr<storage::StoreUrl> url = storage::ParseStoreUrl(f.db);
  if (!url.ok()) return Fail(url.status());
  std::vector<std::string> faults;
  if (url->backend == storage::Backend::kSqlite) {
    std::vector<std::string> file = storage::CheckSqliteFile(url->target);
    std::cout << "SQLite file " << url->target << ": integrity_check and schema tables: "
              << (file.empty() ? "ok" : absl::StrCat(file.size(), " fault(s)")) << "\n";
    faults = std::move(file);
  }
  absl::StatusOr<std::optional<storage::KeyRing>> keys = CheckKeys(f);
  if (!keys.ok()) return Fail(keys.status());
  if (keys->has_value()) {
    CheckSeals(f, **keys, faults);
  } else if (url->backend != storage::Backend::kSqlite) {
    return Fail(absl::InvalidArgumentError(
        "checking a PostgreSQL store needs its KEKs (--kek-file or $CPNS_KEK): its sealed "
        "seeds are what there is to check"));
  } else {
    std::cout << "sealed rows: not checked (give --kek-file)\n";
  }
  for (const std::string& fault : faults) std::cout << "FAULT: " << fault << "\n";
  std::cout << (faults.empty() ? "store is sound\n"
                               : absl::StrCat(faults.size(), " fault(s) found\n"));
  return faults.empty() ? 0 : cli::kExitFailure;
}

}  // namespace cpns::server_cli
