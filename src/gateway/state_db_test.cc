// The gateway state database's files: who creates them, with what mode, and
// what is refused in their place.
#include "gateway/state_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/fake_clock.h"
#include "support/temp_dir.h"

namespace cpns::gateway {
namespace {

using ::testing::HasSubstr;

std::string NewDir() { return cpns::test::NewTempDir("gwstatedb"); }

Assignee Headset() {
  return {EntityType::kPne, *EntityId::Parse("headset"), *UserId::Parse("alice")};
}

// Under a permissive umask, and without changing it: the library creates the
// database 0600 itself, and SQLite gives the WAL and shared-memory files the
// database's mode.
TEST(StateDbFilesTest, EveryFileIsPrivateWhateverTheUmaskAndTheUmaskIsLeftAlone) {
  const mode_t saved = umask(022);
  const std::string dir = NewDir();
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  absl::StatusOr<std::unique_ptr<GatewayStateDb>> db = GatewayStateDb::Open(dir, clock);
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->AddPairingCode(Headset(), absl::Minutes(10)).ok());
  EXPECT_EQ(umask(saved), 022u) << "Open changed the process umask";
  for (const char* f : {"/gateway.db", "/gateway.db-wal", "/gateway.db-shm"}) {
    struct stat st;
    ASSERT_EQ(stat((dir + f).c_str(), &st), 0) << f;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << f;
  }
}

TEST(StateDbFilesTest, ALinkedOrLooseDatabaseIsRefusedNamingIt) {
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  const std::string linked = NewDir();
  ASSERT_EQ(symlink((linked + "/elsewhere").c_str(), (linked + "/gateway.db").c_str()), 0);
  absl::StatusOr<std::unique_ptr<GatewayStateDb>> db = GatewayStateDb::Open(linked, clock);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(db.status().message()),
              HasSubstr("gateway state: " + linked + "/gateway.db is a symbolic link"));
  EXPECT_NE(access((linked + "/elsewhere").c_str(), F_OK), 0) << "nothing made through it";

  const std::string loose = NewDir();
  ASSERT_TRUE(GatewayStateDb::Open(loose, clock).ok());  // closed again: no WAL left
  const std::string wal = loose + "/gateway.db-wal";
  FILE* planted = fopen(wal.c_str(), "w");
  ASSERT_NE(planted, nullptr);
  fclose(planted);
  ASSERT_EQ(chmod(wal.c_str(), 0644), 0);
  db = GatewayStateDb::Open(loose, clock);
  EXPECT_THAT(std::string(db.status().message()),
              HasSubstr(wal + " is readable by group or others (mode 0644)"));
}

// Records written at once from several threads (they share commits) are
// each there, once, with their own fields, for another connection to the
// file (as `cpns-gw assignments list` opens it).
TEST(StateDbRecordsTest, ConcurrentRecordsAreEachKeptOnce) {
  const std::string dir = NewDir();
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  absl::StatusOr<std::unique_ptr<GatewayStateDb>> db = GatewayStateDb::Open(dir, clock);
  ASSERT_TRUE(db.ok()) << db.status();
  constexpr int kThreads = 6, kEach = 20;
  std::vector<std::thread> writers;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string fingerprint = absl::StrCat("fp-", t, "-", i);
        const absl::Status s = (*db)->RecordAssignment(
            {.at = clock.Now(), .assignee = Headset(), .seed_epoch = 1,
             .second_seed_fingerprint = fingerprint, .not_after = 1, .admitted_by = "open",
             .peer = absl::StrCat("uid:", t)});
        failures[t] += s.ok() ? 0 : 1;
      }
    });
  }
  for (std::thread& w : writers) w.join();
  EXPECT_EQ(failures, std::vector<int>(kThreads, 0));
  absl::StatusOr<std::unique_ptr<GatewayStateDb>> reader = GatewayStateDb::Open(dir, clock);
  ASSERT_TRUE(reader.ok()) << reader.status();
  absl::StatusOr<std::vector<AssignmentRecord>> all = (*reader)->ListAssignments(0, 1000);
  ASSERT_TRUE(all.ok()) << all.status();
  std::set<std::string> fingerprints;
  for (const AssignmentRecord& r : *all) {
    fingerprints.insert(r.second_seed_fingerprint);
    EXPECT_EQ(r.peer, absl::StrCat("uid:", r.second_seed_fingerprint.substr(3, 1)));
  }
  EXPECT_EQ(all->size(), size_t{kThreads * kEach});
  EXPECT_EQ(fingerprints.size(), size_t{kThreads * kEach});
}

// The daemon's commits never checkpoint themselves; its own thread does, so
// the records still reach the database file (and the log stops growing).
TEST(StateDbRecordsTest, TheLogIsCheckpointedIntoTheFileInTheBackground) {
  const std::string dir = NewDir();
  FakeClock clock(absl::FromUnixSeconds(1'800'000'000));
  absl::StatusOr<std::unique_ptr<GatewayStateDb>> db = GatewayStateDb::Open(dir, clock);
  ASSERT_TRUE(db.ok()) << db.status();
  auto file_bytes = [&] {
    struct stat st;
    return stat((dir + "/gateway.db").c_str(), &st) == 0 ? st.st_size : off_t{0};
  };
  const off_t before = file_bytes();
  // Each record adds a page or two to the log: well past a checkpoint's 1000.
  for (int i = 0; i < 1500; ++i) {
    ASSERT_TRUE((*db)->RecordAssignment({.at = clock.Now(), .assignee = Headset(), .seed_epoch = 1,
                                         .second_seed_fingerprint = std::string(32, 'f'),
                                         .not_after = 1, .admitted_by = "open", .peer = "uid:0"})
                    .ok());
  }
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  // 1500 records hold more than 100 kB: without a checkpoint the file would
  // not have grown at all.
  while (file_bytes() < before + 100'000 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_GE(file_bytes(), before + 100'000) << "the log was never checkpointed";
  EXPECT_EQ(*(*db)->CountAssignments(), 1500);
}

}  // namespace
}  // namespace cpns::gateway
