// `cpns-gw status` on a state directory whose status a daemon of this or
// another version wrote: the owner's text and JSON views, and a clear refusal
// (not a crash) of a status it cannot read.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <nlohmann/json.hpp>

#include "cpns/core/clock.h"
#include "gateway/state_db.h"
#include "gateway/status.h"
#include "harness.h"
#include "support/temp_dir.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;

gateway::GatewayStatus Written() {
  return {.gw_id = "gw-B",
          .admission = "pairing",
          .written_at = 1'700'000'100,
          .seed = gateway::HeldSeedStatus{.seed_epoch = 7, .expires_at = 1'702'592'000},
          .upstream = {.reachable = false,
                       .unreachable_since = 1'700'000'050,
                       .last_contact = 1'700'000'040,
                       .first_seed_requests = 3},
          .assignments_issued = 12,
          .uplink = gateway::UplinkStatus{gateway::HeldUplinkStatus{"gw-A", 2, 1'702'000'000}},
          .refusals = {{"no-pairing-code", 4}}};
}

class OwnerStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::NewTempDir("owner-status") + "/state";
    ASSERT_EQ(::mkdir(dir_.c_str(), 0700), 0);
  }
  void Write(const std::string& text) {
    RealClock clock;
    auto db = gateway::GatewayStateDb::Open(dir_, clock);
    ASSERT_TRUE(db.ok()) << db.status();
    ASSERT_TRUE((*db)->WriteStatus(text).ok());
  }
  RunResult Status(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {Program("cpns-gw"), "status", "--state-dir", dir_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProgram(argv);
  }

  std::string dir_;
};

TEST_F(OwnerStatusTest, TheOwnerReadsWhatTheDaemonWrote) {
  Write(gateway::ToJsonText(Written()));
  const RunResult r = Status();
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // No daemon runs on this state directory: the last status written, its age.
  EXPECT_THAT(r.out, HasSubstr("gateway gw-B (admission pairing), last written "
                               "2023-11-14T22:15:00Z ("));
  EXPECT_THAT(r.out, HasSubstr(" ago); the daemon does not answer: "));
  EXPECT_THAT(r.out, HasSubstr("1st seed: held, epoch 7, expires 2023-12-14T22:13:20Z\n"));
  EXPECT_THAT(r.out, HasSubstr("CPNS Server: UNREACHABLE since 2023-11-14T22:14:10Z"));
  EXPECT_THAT(r.out, HasSubstr("CPNS Server: last answered 2023-11-14T22:14:00Z"));
  EXPECT_THAT(r.out, HasSubstr("assignments issued since start: 12"));
  EXPECT_THAT(r.out, HasSubstr("uplink EUKey (this gateway as an assignee): held, from gateway "
                               "gw-A, until 2023-12-08T01:46:40Z"));
  EXPECT_THAT(r.out, HasSubstr("refused (no-pairing-code): 4"));
  EXPECT_THAT(r.out, HasSubstr("pending pairing codes: 0"));
}

TEST_F(OwnerStatusTest, TheJsonViewIsTheStatusAndThePendingAndSpentCodes) {
  Write(gateway::ToJsonText(Written()));
  const RunResult r = Status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json expected = gateway::ToJson(Written());
  expected["pending_pairing_codes"] = 0;
  expected["spent_pairing_codes"] = 0;
  expected["failed_pairings_without_code"] = 0;
  expected["live"] = false;  // no daemon runs on this state directory
  EXPECT_EQ(json::parse(r.out), expected);
}

// A newer daemon of the same format may add keys: --json shows them as
// written, not only the ones this cpns-gw knows.
TEST_F(OwnerStatusTest, TheJsonViewKeepsKeysANewerDaemonAdded) {
  json written = gateway::ToJson(Written());
  written["uplink_extra"] = {{"note", "from a newer daemon"}};
  Write(written.dump());
  const RunResult r = Status({"--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  written["pending_pairing_codes"] = 0;
  written["spent_pairing_codes"] = 0;
  written["failed_pairings_without_code"] = 0;
  written["live"] = false;
  EXPECT_EQ(json::parse(r.out), written);
}

TEST_F(OwnerStatusTest, AStatusOfANewerFormatSaysToUpgradeCpnsGw) {
  Write(R"({"status_format": 99, "gw_id": "gw-B"})");
  const RunResult r = Status();
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("status written by a gateway of status format v99; this cpns-gw "
                               "reads v1: upgrade cpns-gw"));
}

TEST_F(OwnerStatusTest, AStatusMissingAFieldIsNamedNotACrash) {
  json j = gateway::ToJson(Written());
  j["seed"].erase("expires_at");
  Write(j.dump());
  const RunResult r = Status();
  EXPECT_EQ(r.exit_code, 1);  // not a signal from an uncaught exception
  EXPECT_THAT(r.err, HasSubstr("field seed.expires_at is missing"));
}

}  // namespace
}  // namespace cpns::test
