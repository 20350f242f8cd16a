// The fixture of the SeedStore conformance suite: one behavioural suite that
// every SeedStore implementation must pass, run on a real SQLite file and on
// the real PostgreSQL server of the ctest fixture. Its tests are split by
// concern (seed_store_*_test.cc); the backends and the instantiation are in
// seed_store_conformance_test.cc.
#ifndef CPNS_STORAGE_SEED_STORE_CONFORMANCE_H_
#define CPNS_STORAGE_SEED_STORE_CONFORMANCE_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/fake_clock.h"
#include "storage/kek.h"
#include "storage/open_store.h"

namespace cpns::storage::conformance {

using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::Eq;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

// A backend: how to make a fresh database, and how to run raw SQL on it (to
// tamper with rows as an attacker with database access would).
struct BackendUnderTest {
  std::string name;
  std::function<std::string()> new_database;  // returns a --db URL
  std::function<void(const std::string& url, const std::string& sql)> raw_sql;
};

inline void PrintTo(const BackendUnderTest& backend, std::ostream* os) { *os << backend.name; }

inline KeyRing Ring(const std::vector<const Kek*>& keys) {
  std::vector<Kek> copy;
  for (const Kek* k : keys) copy.push_back(*k);
  return *KeyRing::Create(std::move(copy));
}

class SeedStoreConformanceTest : public ::testing::TestWithParam<BackendUnderTest> {
 protected:
  void SetUp() override { url_ = GetParam().new_database(); }

  std::unique_ptr<SeedStore> OpenWith(const StoreOptions& options) {
    auto s = OpenSeedStore(url_, options, clock_);
    // gtest reports the exception as this test's failure.
    if (!s.ok()) throw std::runtime_error("cannot open the store: " + s.status().ToString());
    return std::move(*s);
  }
  std::unique_ptr<SeedStore> Open(const KeyRing* keys, bool migrate = true) {
    return OpenWith({.keys = keys, .migrate = migrate});
  }
  std::unique_ptr<SeedStore> Open() { return Open(&ring_); }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  Kek kek_ = *Kek::Generate();
  KeyRing ring_ = Ring({&kek_});
  std::string url_;
};

inline GatewayId Gw(absl::string_view id) { return *GatewayId::Parse(id); }

// The value, or an exception that gtest reports as this test's failure (on
// the test's own thread only).
template <typename T>
T Ok(absl::StatusOr<T> s) {
  if (!s.ok()) throw std::runtime_error("unexpected error: " + s.status().ToString());
  return std::move(*s);
}

// A SecondSeedFingerprint-sized key fingerprint: zero bytes, then `last`.
// Two of them differ only past the first NUL, as binary data must be compared.
inline std::string Fingerprint(char last) { return std::string(31, '\0') + last; }

inline std::vector<SeedState> States(const std::vector<SeedRecord>& seeds) {
  std::vector<SeedState> out;
  for (const SeedRecord& s : seeds) out.push_back(s.state);
  return out;
}

// Runs body(0..n-1) on n threads released at the same moment.
inline void RunTogether(int n, const std::function<void(int)>& body) {
  std::promise<void> go;
  std::shared_future<void> start = go.get_future().share();
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      start.wait();
      body(i);
    });
  }
  go.set_value();
  for (std::thread& t : threads) t.join();
}

}  // namespace cpns::storage::conformance

#endif  // CPNS_STORAGE_SEED_STORE_CONFORMANCE_H_
