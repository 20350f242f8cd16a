#include "commands.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/process.h"
#include "cpns/core/clock.h"
#include "storage/kek.h"
#include "storage/open_store.h"

namespace cpns::server_cli {
namespace {

using storage::Backend;

int Fail(const absl::Status& s) { return cli::Fail(kProgram, s); }

}  // namespace

// A home-lab SQLite server given none (and no
// $CPNS_KEK) keeps one next to its database, created on first use.
absl::StatusOr<std::vector<std::string>> KekFiles(const Flags& f, bool create_default) {
  const char* env = std::getenv(storage::kKekEnvVar);
  if (!f.kek_files.empty() || (env != nullptr && *env != '\0')) return f.kek_files;
  absl::StatusOr<storage::StoreUrl> url = storage::ParseStoreUrl(f.db);
  if (!url.ok()) return url.status();
  if (url->backend != Backend::kSqlite) {
    return absl::InvalidArgumentError(
        "--kek-file is required with PostgreSQL (create one with cpns-server init --kek-file F)");
  }
  const std::string path = url->target + ".kek";
  struct stat st;
  if (create_default && ::stat(path.c_str(), &st) != 0) {
    absl::StatusOr<storage::Kek> kek = storage::Kek::Generate();
    if (!kek.ok()) return kek.status();
    if (absl::Status s = kek->WriteNewFile(path); !s.ok()) return s;
    spdlog::warn("no --kek-file given: created {} next to the database; keep KEKs apart from "
                 "the database and its backups in production",
                 path);
  }
  return std::vector<std::string>{path};
}

int Init(const Flags& f) {
  absl::StatusOr<storage::Kek> kek = storage::Kek::Generate();
  if (!kek.ok()) return Fail(kek.status());
  if (absl::Status s = kek->WriteNewFile(f.kek_files.front()); !s.ok()) return Fail(s);
  std::cout << "created KEK " << kek->id() << " in " << f.kek_files.front() << " (mode 0600)\n";
  return 0;
}

int Migrate(const Flags& f) {
  RealClock clock;
  auto store = storage::OpenSeedStore(f.db, {.migrate = true}, clock);
  if (!store.ok()) return Fail(store.status());
  absl::StatusOr<int> version = (*store)->SchemaVersion();
  if (!version.ok()) return Fail(version.status());
  std::cout << "database schema is at version " << *version << "\n";
  return 0;
}

int KekRotate(const Flags& f) {
  if (absl::Status s = InitLogging(kProgram, "warn", f.log.format); !s.ok()) return Fail(s);
  std::vector<std::string> files = {f.new_kek_file};
  files.insert(files.end(), f.kek_files.begin(), f.kek_files.end());
  absl::StatusOr<storage::KeyRing> keys = storage::LoadKeyRing(files);
  if (!keys.ok()) return Fail(keys.status());
  RealClock clock;
  auto store = storage::OpenSeedStore(f.db, {.keys = &*keys, .create_if_missing = false}, clock);
  if (!store.ok()) return Fail(store.status());
  absl::StatusOr<int> n = (*store)->RewrapToPrimary();
  if (!n.ok()) return Fail(n.status());
  std::cout << "re-sealed " << *n << " secrets under KEK " << keys->primary().id()
            << " (1st seeds and server secrets)\n";
  return 0;
}

}  // namespace cpns::server_cli
