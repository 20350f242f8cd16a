// The gateway state database's files: who creates them, with what mode, and
// what is refused in their place.
#include "gateway/state_db.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

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

}  // namespace
}  // namespace cpns::gateway
