// The server's SQLite store with production durability (WAL, synchronous=FULL):
// 1st seeds issued for new gateways, and look-ups of known ones; next to the
// machine's raw commit rate for one-row transactions on the same settings.
#include <benchmark/benchmark.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "cpns/core/clock.h"
#include "storage/sqlite_seed_store.h"

namespace cpns::storage {
namespace {

std::string TempDb() {
  const char* base = std::getenv("CPNS_BENCH_DIR");  // default: /tmp
  std::string tmpl = std::string(base ? base : "/tmp") + "/cpns_bench_XXXXXX";
  return std::string(mkdtemp(tmpl.data())) + "/seeds.db";
}

void BM_IssueFirstSeedNewGateway(benchmark::State& state) {
  RealClock clock;
  auto store = *SqliteSeedStore::Open({.path = TempDb()}, clock);
  int64_t n = 0;
  for (auto _ : state) {
    auto seed = store->GetOrCreateActive(*GatewayId::Parse(absl::StrCat("gw-", n++)));
    if (!seed.ok()) state.SkipWithError(std::string(seed.status().message()).c_str());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IssueFirstSeedNewGateway)->UseRealTime();

void BM_LookUpKnownGateway(benchmark::State& state) {
  RealClock clock;
  auto store = *SqliteSeedStore::Open({.path = TempDb()}, clock);
  constexpr int kGateways = 1000;
  for (int i = 0; i < kGateways; ++i) (void)store->GetOrCreateActive(*GatewayId::Parse(absl::StrCat("gw-", i)));
  int64_t n = 0;
  for (auto _ : state) {
    auto seed = store->GetOrCreateActive(*GatewayId::Parse(absl::StrCat("gw-", n++ % kGateways)));
    benchmark::DoNotOptimize(seed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LookUpKnownGateway)->UseRealTime();

// The bound for the first benchmark: one-row INSERT transactions per second.
void BM_RawSqliteCommit(benchmark::State& state) {
  sqlite3* db = nullptr;
  sqlite3_open(TempDb().c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                   "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)", nullptr, nullptr, nullptr);
  for (auto _ : state) {
    sqlite3_exec(db, "INSERT INTO t (v) VALUES (randomblob(32))", nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RawSqliteCommit)->UseRealTime();

}  // namespace
}  // namespace cpns::storage

BENCHMARK_MAIN();
