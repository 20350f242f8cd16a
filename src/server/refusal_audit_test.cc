#include "server/refusal_audit.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include "core/fake_clock.h"
#include "storage/kek.h"
#include "storage/open_store.h"
#include "support/temp_dir.h"

namespace cpns::server {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class RefusalAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string path = test::NewTempDir("cpns_refusals") + "/seeds.db";
    store_ = std::move(*storage::OpenSeedStore(path, {.keys = &ring_, .migrate = true}, clock_));
  }
  std::vector<storage::AuditEvent> Rows() {
    return *store_->ListAudit({.action = storage::kAuditAuthRefused});
  }

  FakeClock clock_{absl::FromUnixSeconds(1'800'000'000)};
  storage::KeyRing ring_ = *storage::KeyRing::Create({*storage::Kek::Generate()});
  std::unique_ptr<storage::SeedStore> store_;
};

TEST_F(RefusalAuditTest, AFloodFromOnePeerIsOneRowPerReasonWithItsCount) {
  RefusalAudit audit(*store_, {});
  EXPECT_TRUE(audit.Count("ipv4:10.0.0.1", "NOT_FOUND", "first sample"));
  for (int i = 1; i < 3000; ++i) {
    EXPECT_FALSE(audit.Count("ipv4:10.0.0.1", "NOT_FOUND", "later sample"));
  }
  audit.Count("ipv4:10.0.0.1", "INVALID_ARGUMENT", "bad field");
  EXPECT_TRUE(Rows().empty()) << "counting must not write";
  ASSERT_TRUE(audit.Flush().ok());
  const std::vector<storage::AuditEvent> rows = Rows();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].actor, "peer:ipv4:10.0.0.1");
  EXPECT_EQ(rows[0].count, 1);  // INVALID_ARGUMENT sorts first
  EXPECT_EQ(rows[1].count, 3000);
  EXPECT_THAT(rows[1].detail, HasSubstr("NOT_FOUND; first: first sample"));
  EXPECT_THAT(rows[1].detail, Not(HasSubstr("later sample")));
  ASSERT_TRUE(audit.Flush().ok());
  EXPECT_EQ(Rows().size(), 2u) << "a flush writes only what was counted since the last";
  EXPECT_TRUE(audit.Count("ipv4:10.0.0.1", "NOT_FOUND", "x")) << "a new interval logs again";
}

TEST_F(RefusalAuditTest, PastTheBoundPeersCountInOneOtherPeersRow) {
  RefusalAudit audit(*store_, {.max_keys = 4});
  for (int peer = 0; peer < 100; ++peer) {
    audit.Count(absl::StrCat("ipv4:10.0.0.", peer), "NOT_FOUND", "s");
    audit.Count(absl::StrCat("ipv4:10.0.0.", peer), "NOT_FOUND", "s");
  }
  ASSERT_TRUE(audit.Flush().ok());
  const std::vector<storage::AuditEvent> rows = Rows();
  ASSERT_EQ(rows.size(), 5u);
  int64_t total = 0, other = 0;
  for (const auto& r : rows) {
    total += r.count;
    if (r.actor == kOtherPeers) other = r.count;
  }
  EXPECT_EQ(total, 200);
  EXPECT_EQ(other, 192);
}

TEST_F(RefusalAuditTest, StopFlushesWhatIsLeft) {
  {
    RefusalAudit audit(*store_, {.interval = absl::Hours(1)});
    audit.Start();
    audit.Count("ipv6:[::1]", "UNAUTHENTICATED", "s");
    audit.Count("ipv6:[::1]", "UNAUTHENTICATED", "s");
  }
  const std::vector<storage::AuditEvent> rows = Rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].count, 2);
}

TEST(ShortIdTest, LongIdsAreCutAndHashedInvalidOnesHidden) {
  EXPECT_EQ(ShortId("gw-A"), "gw-A");
  const std::string long_id(255, 'x');
  const std::string s = ShortId(long_id);
  EXPECT_LT(s.size(), 64u);
  EXPECT_THAT(s, HasSubstr("(255 bytes, sha256:"));
  EXPECT_NE(s, ShortId(std::string(254, 'x') + "y")) << "the hash tells long ids apart";
  EXPECT_EQ(ShortId("bad\nid"), "<invalid>");
}

}  // namespace
}  // namespace cpns::server
