// The server's store with production durability, on both backends:
// 1st seeds issued for new gateways, and look-ups of known ones; next to the
// backend's raw commit rate for one-row transactions with the same settings,
// so the ratio is visible.
//
//   SQLite:     WAL, synchronous=FULL, a file under $CPNS_BENCH_DIR (default /tmp)
//   PostgreSQL: set CPNS_BENCH_PG_URL=postgresql://...; synchronous_commit=on
#include <benchmark/benchmark.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "cpns/core/clock.h"
#include "storage/kek.h"
#include "storage/open_store.h"
#include "storage/pg_pool.h"

namespace cpns::storage {
namespace {

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
  KeyRing keys = *KeyRing::Create({*Kek::Generate()});
  std::unique_ptr<SeedStore> store;
  explicit Rig(const std::string& url)
      : store(std::move(*OpenSeedStore(url, {.keys = &keys, .migrate = true}, clock))) {}
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

constexpr int kKnownGateways = 1000;

void LookUpKnown(benchmark::State& state, Rig* rig) {
  int64_t n = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(rig->store->GetOrCreateActive(
        *GatewayId::Parse(absl::StrCat("known-", n++ % kKnownGateways))));
  }
  state.SetItemsProcessed(state.iterations());
}

Rig* WithKnownGateways(Rig* rig) {
  for (int i = 0; i < kKnownGateways; ++i) {
    (void)rig->store->GetOrCreateActive(*GatewayId::Parse(absl::StrCat("known-", i)));
  }
  return rig;
}

void RawSqliteCommit(benchmark::State& state) {
  sqlite3* db = nullptr;
  sqlite3_open(SqliteUrl().c_str(), &db);
  sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                   "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB)", nullptr, nullptr, nullptr);
  for (auto _ : state) {
    sqlite3_exec(db, "INSERT INTO t (v) VALUES (randomblob(60))", nullptr, nullptr, nullptr);
  }
  sqlite3_close(db);
  state.SetItemsProcessed(state.iterations());
}

void RawPgCommit(benchmark::State& state) {
  pg::Pool pool({.conninfo = PgUrl(), .max_connections = 1});
  auto c = pool.Acquire();
  (void)c->Exec("CREATE TABLE t (k BIGSERIAL PRIMARY KEY, v BYTEA)");
  for (auto _ : state) (void)c->Exec("INSERT INTO t (v) VALUES (gen_random_uuid()::text::bytea)");
  state.SetItemsProcessed(state.iterations());
}

// The rigs live for the whole run (benchmark threads share them).
void RegisterBackend(const std::string& name, std::string (*url)()) {
  Rig* issue = new Rig(url());
  Rig* known = WithKnownGateways(new Rig(url()));
  benchmark::RegisterBenchmark((name + "/IssueFirstSeedNewGateway").c_str(), IssueNew, issue)
      ->Threads(1)->Threads(8)->UseRealTime();
  benchmark::RegisterBenchmark((name + "/LookUpKnownGateway").c_str(), LookUpKnown, known)
      ->Threads(1)->Threads(8)->UseRealTime();
}

void Register() {
  RegisterBackend("sqlite", SqliteUrl);
  benchmark::RegisterBenchmark("sqlite/RawOneRowCommit", RawSqliteCommit)->UseRealTime();
  if (std::getenv("CPNS_BENCH_PG_URL") == nullptr) return;
  RegisterBackend("postgres", PgUrl);
  benchmark::RegisterBenchmark("postgres/RawOneRowCommit", RawPgCommit)->UseRealTime();
}

}  // namespace
}  // namespace cpns::storage

int main(int argc, char** argv) {
  cpns::storage::Register();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
