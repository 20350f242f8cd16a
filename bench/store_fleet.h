// The store benchmark's fleets: SQLite store files of N known gateways
// ("known-0" ... "known-<N-1>", epoch 1, active, sealed as the store seals
// them under a fixed benchmark KEK), built once per schema version by one
// transaction of raw INSERTs and kept next to the benchmark binary
// (cpns_bench_fleet_<N>_v<schema>.db; $CPNS_BENCH_FLEET_DIR picks another
// folder), so that a run does not spend minutes populating a million rows.
#ifndef CPNS_BENCH_STORE_FLEET_H_
#define CPNS_BENCH_STORE_FLEET_H_

#include <sqlite3.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cpns/core/identifiers.h"
#include "storage/kek.h"
#include "storage/migrations.h"
#include "storage/sealed_seed.h"

namespace cpns::storage::bench {

inline std::string KnownId(int64_t i) { return absl::StrCat("known-", i); }

// A fixed KEK (not a secret: benchmark data only), so that a fleet file
// built by one run opens in the next.
inline const KeyRing& BenchKeys() {
  static const KeyRing* keys = new KeyRing(*KeyRing::Create(
      {*Kek::FromHex("bench", std::string(64, 'b'))}));
  return *keys;
}

// Where fleet files are kept: next to this binary (the build tree).
inline std::string FleetDir() {
  if (const char* dir = std::getenv("CPNS_BENCH_FLEET_DIR")) return dir;
  return std::filesystem::read_symlink("/proc/self/exe").parent_path().string();
}

// Inserts `fleet` known gateways (epoch 1, active, sealed as the store seals)
// into the store file at `path`, in one transaction of raw INSERTs.
inline void Populate(const std::string& path, int64_t fleet) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO first_seeds (gw_id, seed_epoch, sealed_seed, kek_id, "
                     "created_at, expires_at) VALUES (?, 1, ?, ?, ?, ?)", -1, &ins, nullptr);
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (int64_t i = 0; i < fleet; ++i) {
    const GatewayId id = *GatewayId::Parse(KnownId(i));
    const NewSeed fresh = *MakeSealedSeed(&BenchKeys(), id, 1);
    sqlite3_bind_text(ins, 1, id.value().data(), -1, SQLITE_STATIC);
    sqlite3_bind_blob(ins, 2, fresh.sealed.data(), static_cast<int>(fresh.sealed.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(ins, 3, fresh.kek_id.c_str(), -1, SQLITE_STATIC);
    sqlite3_bind_int64(ins, 4, now);
    sqlite3_bind_int64(ins, 5, now + 10LL * 365 * 86400);
    if (sqlite3_step(ins) != SQLITE_DONE) std::abort();
    sqlite3_reset(ins);
  }
  sqlite3_finalize(ins);
  if (sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) std::abort();
  sqlite3_close(db);
}

// Reads the whole file once, so that look-ups measure the store, not the
// disk: a server's file stays in the OS's cache, a file last used in an
// earlier run may not.
inline void Warm(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chunk(1 << 20);
  while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
  }
}

// A SQLite store of `fleet` known gateways, built on first use and kept.
// `schema` makes the store's tables in an empty file at the given path.
template <typename MakeSchema>
std::string FleetFile(int64_t fleet, MakeSchema schema) {
  const std::string path = absl::StrCat(FleetDir(), "/cpns_bench_fleet_", fleet, "_v",
                                        kLatestSchemaVersion, ".db");
  if (std::filesystem::exists(path)) {
    Warm(path);
    return path;
  }
  const std::string tmp = path + ".building";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(tmp + suffix);
  schema(tmp);  // by the store's own migrations
  Populate(tmp, fleet);
  std::filesystem::rename(tmp, path);
  return path;
}

}  // namespace cpns::storage::bench

#endif  // CPNS_BENCH_STORE_FLEET_H_
