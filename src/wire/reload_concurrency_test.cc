// What a reload shares with gRPC's threads, under many threads at once (and
// under TSan in ./scripts/test --sanitize thread): the CRL set that the
// handshake threads check while the signal thread swaps it, and the memfd
// that gRPC's watcher re-reads while a reload replaces it. gRPC itself is
// left out: Debian's build of it is not instrumented for TSan.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "pki/dev_pki.h"
#include "support/temp_dir.h"
#include "wire/crl.h"
#include "wire/mem_file.h"

namespace cpns::wire {
namespace {

TEST(ReloadConcurrencyTest, HandshakeChecksSeeOneWholeCrlSetWhileReloadsSwapIt) {
  const std::string dir = test::NewTempDir("cpns_reload_race");
  ASSERT_TRUE(pki::WriteDevelopmentPki(
                  {.out_dir = dir, .server_name = "cpns.test", .gateway_ids = {"gw-1", "gw-2"}})
                  .ok());
  const std::string ca = *ReadFile(dir + "/ca.crt");
  const std::string gw1 = *ReadFile(dir + "/gw-gw-1.crt");
  const std::string gw2 = *ReadFile(dir + "/gw-gw-2.crt");
  // Two sets: one revokes gw-1, the other gw-2. A check sees one or the other.
  std::vector<std::shared_ptr<const CrlSet>> sets;
  for (const char* revoked : {"gw-gw-1.crt", "gw-gw-2.crt"}) {
    const std::string out = absl::StrCat(dir, "/", revoked, ".crl");
    ASSERT_TRUE(pki::WriteDevelopmentCrl(dir, "ca", {dir + "/" + revoked}, out).ok());
    auto set = CrlSet::Load(out, ca, absl::Now());
    ASSERT_TRUE(set.ok()) << set.status();
    sets.push_back(*set);
  }
  auto holder = std::make_shared<CrlHolder>();
  holder->Set(sets[0]);
  std::atomic<bool> done{false};
  std::atomic<int> checks{0}, both_refused_or_passed{0};
  auto handshakes = [&] {
    while (!done.load()) {
      const std::shared_ptr<const CrlSet> set = holder->Get();
      // Within one set exactly one of the two is revoked.
      if (set->Check(gw1).ok() == set->Check(gw2).ok()) both_refused_or_passed.fetch_add(1);
      checks.fetch_add(1);
    }
  };
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back(handshakes);
  // Swaps go on until the checks have overlapped many of them.
  for (int i = 0; i < 200 || (checks.load() < 2000 && i < 1000000); ++i) holder->Set(sets[i % 2]);
  done.store(true);
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(both_refused_or_passed.load(), 0);
}

TEST(ReloadConcurrencyTest, AReaderOfTheMemFileSeesOneWholeVersion) {
  const std::string a(4096, 'a'), b(8192, 'b');
  auto file = MemFile::Create("race", a);
  ASSERT_TRUE(file.ok()) << file.status();
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, torn{0};
  auto reader = [&] {
    while (!done.load()) {
      absl::StatusOr<std::string> seen = ReadFile((*file)->path());
      if (!seen.ok() || (*seen != a && *seen != b)) torn.fetch_add(1);
      reads.fetch_add(1);
    }
  };
  std::thread r1(reader), r2(reader);
  for (int i = 0; i < 300 || (reads.load() < 1000 && i < 100000); ++i) {
    ASSERT_TRUE((*file)->Replace(i % 2 == 0 ? b : a).ok());
  }
  done.store(true);
  r1.join();
  r2.join();
  EXPECT_EQ(torn.load(), 0);
}

}  // namespace
}  // namespace cpns::wire
