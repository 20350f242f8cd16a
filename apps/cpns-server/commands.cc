#include "commands.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/process.h"
#include "core/logging.h"
#include "cpns/core/clock.h"
#include "server/cpns_server.h"
#include "storage/kek.h"
#include "storage/open_store.h"
#include "storage/sqlite_seed_store.h"

namespace cpns::server_cli {
namespace {

using storage::Backend;

int Fail(const absl::Status& s) { return cli::Fail(kProgram, s); }

// serve's exit code when it stopped because its store is corrupt: not 1, so
// that a supervisor can be told not to restart it in a loop
// (RestartPreventExitStatus=3); a restart would refuse the store anyway.
constexpr int kExitStoreCorrupt = 3;
// Set by StopOnCorruptStore, before it wakes the main thread.
std::atomic<bool> store_corrupt{false};

// From the request that found the store corrupt: the server stops issuing
// (GuardedStore refuses every further call) and the process ends, so a
// supervisor restarts it and the next start refuses the store.
void StopOnCorruptStore(const absl::Status& why) {
  spdlog::critical("the store is corrupt: {}; refusing every request and shutting down. Run "
                   "`cpns-server check --db URL`, then restore the database from a backup",
                   why.message());
  store_corrupt.store(true);
  RaiseFatalFault();
}

// A SQLite file found corrupt while serving ends the server (exit 3); its
// restart must then refuse it, whichever page is bad, not only when the
// pages read at open are. quick_check reads every page once.
absl::Status RefuseCorruptSqlite(const storage::StoreUrl& url) {
  if (url.backend != Backend::kSqlite) return absl::OkStatus();
  struct stat st;
  if (::stat(url.target.c_str(), &st) != 0 && errno == ENOENT) return absl::OkStatus();  // new
  const std::vector<std::string> faults = storage::CheckSqliteFile(url.target, /*quick=*/true);
  if (faults.empty()) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat("the SQLite store ", url.target, " is corrupt (",
                                          faults.front(), "); run cpns-server check --db ",
                                          url.target, " and restore it from a backup"));
}

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


int Serve(const Flags& f) {
  if (absl::Status s = InitLogging(kProgram, f.log_level); !s.ok()) return Fail(s);
  ::umask(0077);  // the database, its WAL and any KEK file are the server's alone
  absl::StatusOr<storage::StoreUrl> url = storage::ParseStoreUrl(f.db);
  if (!url.ok()) return Fail(url.status());
  absl::StatusOr<std::vector<std::string>> files = KekFiles(f, /*create_default=*/true);
  if (!files.ok()) return Fail(files.status());
  absl::StatusOr<storage::KeyRing> keys = storage::LoadKeyRing(*files);
  if (!keys.ok()) return Fail(keys.status());
  absl::StatusOr<absl::Duration> seed_lifetime =
      cli::ParseDuration("--seed-lifetime", f.seed_lifetime);
  if (!seed_lifetime.ok()) return Fail(seed_lifetime.status());
  absl::StatusOr<wire::ConnectionLimits> limits = cli::ConnectionLimitsFor(f.connections, {f.listen});
  if (!limits.ok()) return Fail(limits.status());
  RealClock clock;
  // The embedded SQLite store migrates itself; a shared PostgreSQL database
  // is migrated on purpose, with `cpns-server migrate`.
  // A corrupt file is refused before anything writes to it (a migration).
  if (absl::Status s = RefuseCorruptSqlite(*url); !s.ok()) return Fail(s);
  auto store = storage::OpenSeedStore(
      f.db, {.keys = &*keys, .migrate = url->backend == Backend::kSqlite}, clock);
  if (!store.ok()) return Fail(store.status());
  auto server = server::CpnsServer::Start(
      {.listen = f.listen,
       .tls = {.cert_file = f.cert, .key_file = f.key, .client_ca_file = f.client_ca,
               .client_cert = wire::ClientCertPolicy::kOptional},
       .seed_lifetime = *seed_lifetime,
       .connections = *limits,
       .on_fatal = cli::StopOnFatalFault(),
       .on_store_corrupt = StopOnCorruptStore},
      **store, clock);
  if (!server.ok()) return Fail(server.status());
  const std::string bound =
      absl::StrCat(f.listen.substr(0, f.listen.rfind(':')), ":", (*server)->port());
  if (absl::Status s = WriteReadyFile(f.ready_file, bound); !s.ok()) return Fail(s);
  spdlog::info("CPNS Server serving FirstSeedService on {} (mutual TLS); {} store; sealing "
               "new seeds under KEK {}",
               bound, url->backend == Backend::kSqlite ? "SQLite" : "PostgreSQL",
               keys->primary().id());
  const int sig = WaitForTerminationSignal();
  RemoveReadyFile(f.ready_file);
  if (sig != kFatalFaultSignal) spdlog::info("signal {}: shutting down", sig);
  (*server)->Shutdown(absl::Seconds(5));
  if (store_corrupt.load()) {
    spdlog::critical("stopped: the store is corrupt (exit {})", kExitStoreCorrupt);
    return kExitStoreCorrupt;
  }
  spdlog::info("stopped");
  return cli::ExitCodeAfter(sig);
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
  if (absl::Status s = InitLogging(kProgram, "warn"); !s.ok()) return Fail(s);
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
