// The server's store with production durability, on both backends, each
// figure next to its ceiling in the same binary (items_per_second):
//
//   IssueFirstSeedNewGateway/threads:8   vs  RawOneRowCommit/threads:8
//     new gateways' 1st seeds (look-up, seal, insert, audit, commit) against
//     8 threads each committing its own one-row transaction, same settings
//   LookUpKnownGateway1M                 vs  LookUpKnownGateway1K
//     a known gateway's seed (read + unseal) in a fleet of 1 M and of 1 k,
//     with RawIndexedSelect1M/1K (the same row by a bare prepared SELECT) as the
//     table's ceiling; rss_anon_mib and rss_file_mib are the process's
//     resident memory afterwards (its own; mapped files)
//
//   SQLite:     WAL, synchronous=FULL, a file under $CPNS_BENCH_DIR (default /tmp);
//               the fleets are built once per schema version and kept next to
//               this binary (cpns_bench_fleet_<N>_v<schema>.db)
//   PostgreSQL: set CPNS_BENCH_PG_URL=postgresql://...; synchronous_commit=on
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cpns/core/clock.h"
#include "storage/kek.h"
#include "storage/migrations.h"
#include "storage/open_store.h"
#include "storage/pg_pool.h"
#include "storage/sealed_seed.h"
#include "store_fleet.h"

namespace cpns::storage {
namespace {

using bench::BenchKeys;
using bench::KnownId;

std::string SqliteUrl() {
  const char* base = std::getenv("CPNS_BENCH_DIR");
  std::string tmpl = std::string(base ? base : "/tmp") + "/cpns_bench_XXXXXX";
  return std::string(mkdtemp(tmpl.data())) + "/seeds.db";
}

// A fresh database on the server named by $CPNS_BENCH_PG_URL.
std::string PgUrl() {
  static std::atomic<int> n{0};
  const std::string base = std::getenv("CPNS_BENCH_PG_URL");
  const std::string name = absl::StrCat("cpns_bench_", getpid(), "_", n++);
  pg::Pool pool({.conninfo = base, .max_connections = 1});
  auto c = pool.Acquire();
  if (c.ok()) (void)c->Exec(absl::StrCat("CREATE DATABASE ", name));
  return base.substr(0, base.rfind('/') + 1) + name;
}

struct Rig {
  RealClock clock;
  std::unique_ptr<SeedStore> store;
  explicit Rig(const std::string& url)
      : store(std::move(*OpenSeedStore(url, {.keys = &BenchKeys(), .migrate = true}, clock))) {}
};

// Each thread issues seeds for its own new gateways on one shared store (one
// process, as one server replica would).
std::atomic<int64_t> next_gateway{0};  // every issue is for a gateway never seen

void IssueNew(benchmark::State& state, Rig* rig) {
  for (auto _ : state) {
    auto seed = rig->store->GetOrCreateActive(
        *GatewayId::Parse(absl::StrCat("gw-", next_gateway++)));
    if (!seed.ok()) state.SkipWithError(std::string(seed.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
}

// The k-th gateway to look up among n: a permutation, so look-ups spread over
// the whole table as a fleet's requests do.
int64_t Spread(int64_t k, int64_t n) { return (k * 2654435761LL) % n; }

// A "Name:  123 kB" line of /proc/self/status, in MiB.
double StatusMib(const std::string& name) {
  std::ifstream status("/proc/self/status");
  std::string key;
  double kib = 0;
  while (status >> key) {
    if (key == name + ":") {
      status >> kib;
      return kib / 1024;
    }
  }
  return -1;
}

void ReportMemory(benchmark::State& state) {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  // The process's own memory (heap, stacks) apart from mapped files (the
  // database's pages, shared with the OS's cache, and the libraries).
  state.counters["rss_anon_mib"] = StatusMib("RssAnon");
  state.counters["rss_file_mib"] = StatusMib("RssFile");
  state.counters["max_rss_mib"] = static_cast<double>(usage.ru_maxrss) / 1024;
  state.counters["sqlite_heap_kib"] = static_cast<double>(sqlite3_memory_used()) / 1024;
}

void LookUpKnown(benchmark::State& state, Rig* rig, int64_t fleet) {
  int64_t k = 0;
  for (auto _ : state) {
    auto seed = rig->store->GetOrCreateActive(*GatewayId::Parse(KnownId(Spread(k++, fleet))));
    if (!seed.ok()) state.SkipWithError(std::string(seed.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
  ReportMemory(state);
}

// The ceiling of a look-up: the same row by a prepared statement on a bare
// connection (reading the file through a mapping, as the store does),
// nothing opened or parsed.
void RawIndexedSelect(benchmark::State& state, const std::string& path, int64_t fleet) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_exec(db, "PRAGMA mmap_size=1073741824", nullptr, nullptr, nullptr);  // as the store
  sqlite3_stmt* q = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT gw_id, seed_epoch, created_at, state, kek_id, expires_at, "
                     "sealed_seed FROM first_seeds WHERE gw_id = ? AND state = 'active'",
                     -1, &q, nullptr);
  int64_t k = 0;
  for (auto _ : state) {
    const std::string id = KnownId(Spread(k++, fleet));
    sqlite3_bind_text(q, 1, id.data(), static_cast<int>(id.size()), SQLITE_STATIC);
    if (sqlite3_step(q) != SQLITE_ROW) state.SkipWithError("known gateway not found");
    benchmark::DoNotOptimize(sqlite3_column_blob(q, 6));
    sqlite3_reset(q);
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
}

// Each thread commits its own one-row transactions on its own connection.
// BEGIN IMMEDIATE, as the store writes: an autocommit INSERT starts as a
// reader, and its upgrade to a writer fails at once (SQLITE_BUSY_SNAPSHOT,
// no busy wait) whenever another connection committed meanwhile.
void RawSqliteCommit(benchmark::State& state, const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_busy_timeout(db, 10'000);
  sqlite3_exec(db, "PRAGMA synchronous=FULL", nullptr, nullptr, nullptr);
  sqlite3_stmt* steps[3] = {};
  const char* sql[3] = {"BEGIN IMMEDIATE", "INSERT INTO t (v) VALUES (randomblob(60))", "COMMIT"};
  for (int i = 0; i < 3; ++i) sqlite3_prepare_v2(db, sql[i], -1, &steps[i], nullptr);
  for (auto _ : state) {
    for (sqlite3_stmt* step : steps) {
      if (sqlite3_step(step) != SQLITE_DONE) state.SkipWithError(sqlite3_errmsg(db));
      sqlite3_reset(step);
    }
  }
  for (sqlite3_stmt* step : steps) sqlite3_finalize(step);
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
}

std::string RawSqliteFile() {
  const std::string path = SqliteUrl();
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)",
               nullptr, nullptr, nullptr);
  sqlite3_close(db);
  return path;
}

// Each thread commits its own one-row transactions on its own connection.
void RawPgCommit(benchmark::State& state, pg::Pool* pool) {
  auto c = pool->Acquire();
  if (!c.ok()) state.SkipWithError(std::string(c.status().message()).c_str());
  for (auto _ : state) {
    if (!c.ok()) break;
    (void)c->Exec("INSERT INTO t (v) VALUES (gen_random_uuid()::text::bytea)");
  }
  state.SetItemsProcessed(state.iterations());
}

pg::Pool* RawPgPool() {
  auto* pool = new pg::Pool({.conninfo = PgUrl(), .max_connections = 8});
  (void)pool->Acquire()->Exec("CREATE TABLE t (k BIGSERIAL PRIMARY KEY, v BYTEA)");
  return pool;
}

// Made on first use by the benchmark that needs it, so that a run of one
// benchmark (as bench/run.py makes) builds nothing else; kept for the whole
// run and shared by the benchmark's threads.
template <typename T>
class Lazy {
 public:
  explicit Lazy(std::function<T*()> make) : make_(std::move(make)) {}
  T* get() {
    std::call_once(once_, [&] { value_ = make_(); });
    return value_;
  }

 private:
  std::function<T*()> make_;
  std::once_flag once_;
  T* value_ = nullptr;
};

using LazyRig = Lazy<Rig>;
using LazyPath = Lazy<const std::string>;

void RegisterIssue(const std::string& name, std::string (*url)()) {
  auto* rig = new LazyRig([url] { return new Rig(url()); });
  benchmark::RegisterBenchmark(
      (name + "/IssueFirstSeedNewGateway").c_str(),
      [rig](benchmark::State& state) { IssueNew(state, rig->get()); })
      ->Threads(1)->Threads(8)->UseRealTime();
}

void RegisterSqliteLookUps() {
  for (const auto& [label, fleet] : {std::pair<const char*, int64_t>{"1K", 1'000},
                                     std::pair<const char*, int64_t>{"1M", 1'000'000}}) {
    const int64_t n = fleet;
    auto* path = new LazyPath([n] {
      return new std::string(bench::FleetFile(n, [](const std::string& file) { Rig schema(file); }));
    });
    auto* rig = new LazyRig([path] { return new Rig(*path->get()); });
    benchmark::RegisterBenchmark(
        absl::StrCat("sqlite/LookUpKnownGateway", label).c_str(),
        [rig, n](benchmark::State& state) { LookUpKnown(state, rig->get(), n); })
        ->UseRealTime();
    benchmark::RegisterBenchmark(
        absl::StrCat("sqlite/RawIndexedSelect", label).c_str(),
        [path, n](benchmark::State& state) { RawIndexedSelect(state, *path->get(), n); })
        ->UseRealTime();
  }
}

void RegisterPostgres() {
  RegisterIssue("postgres", PgUrl);
  auto* known = new LazyRig([] {
    Rig* rig = new Rig(PgUrl());
    for (int i = 0; i < 1000; ++i) {
      (void)rig->store->GetOrCreateActive(*GatewayId::Parse(KnownId(i)));
    }
    return rig;
  });
  benchmark::RegisterBenchmark(
      "postgres/LookUpKnownGateway1K",
      [known](benchmark::State& state) { LookUpKnown(state, known->get(), 1000); })
      ->Threads(1)->Threads(8)->UseRealTime();
  auto* pool = new Lazy<pg::Pool>(RawPgPool);
  benchmark::RegisterBenchmark(
      "postgres/RawOneRowCommit",
      [pool](benchmark::State& state) { RawPgCommit(state, pool->get()); })
      ->Threads(1)->Threads(8)->UseRealTime();
}

void Register() {
  RegisterIssue("sqlite", SqliteUrl);
  auto* raw = new LazyPath([] { return new std::string(RawSqliteFile()); });
  benchmark::RegisterBenchmark(
      "sqlite/RawOneRowCommit",
      [raw](benchmark::State& state) { RawSqliteCommit(state, *raw->get()); })
      ->Threads(1)->Threads(8)->UseRealTime();
  RegisterSqliteLookUps();
  if (std::getenv("CPNS_BENCH_PG_URL") != nullptr) RegisterPostgres();
}

}  // namespace
}  // namespace cpns::storage

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  cpns::storage::Register();
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
