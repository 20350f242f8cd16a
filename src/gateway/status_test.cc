#include "gateway/status.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace cpns::gateway {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using nlohmann::json;

GatewayStatus Full() {
  return {.gw_id = "gw-B",
          .admission = "pairing",
          .written_at = 1'700'000'100,
          .seed = HeldSeedStatus{.seed_epoch = 7,
                                 .created_at = 1'700'000'000,
                                 .expires_at = 1'702'592'000,
                                 .expired = false},
          .upstream = {.reachable = false,
                       .unreachable_since = 1'700'000'050,
                       .last_contact = 1'700'000'040,
                       .first_seed_requests = 3},
          .assignments_issued = 12,
          .uplink = UplinkStatus{HeldUplinkStatus{"gw-A", 2, 1'702'000'000}},
          .refusals = {{"no-pairing-code", 4}, {"rate-limited-peer", 1}}};
}

// Full() as the daemon wrote it before formats were numbered, key for key.
constexpr char kUnnumbered[] = R"({
  "gw_id": "gw-B", "admission": "pairing", "written_at": 1700000100,
  "seed": {"held": true, "seed_epoch": 7, "created_at": 1700000000,
           "expires_at": 1702592000, "expired": false},
  "upstream": {"reachable": false, "unreachable_since": 1700000050,
               "last_contact": 1700000040, "first_seed_requests": 3},
  "assignments_issued": 12,
  "uplink": {"held": true, "gw_id": "gw-A", "seed_epoch": 2, "not_after": 1702000000},
  "refusals": {"no-pairing-code": 4, "rate-limited-peer": 1}})";

absl::Status ReadError(const json& j) { return FromJson(j).status(); }

TEST(GatewayStatusTest, RoundTripsThroughTheStoredText) {
  const absl::StatusOr<GatewayStatus> back = ParseGatewayStatus(ToJsonText(Full()));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, Full());
}

TEST(GatewayStatusTest, RoundTripsWhatIsNotHeld) {
  // No seed, the server never reached, an uplink configured but not held.
  const GatewayStatus bare{.gw_id = "gw-C", .admission = "open", .written_at = 5,
                           .uplink = UplinkStatus{}};
  const absl::StatusOr<GatewayStatus> back = ParseGatewayStatus(ToJsonText(bare));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, bare);
  EXPECT_FALSE(back->seed.has_value());
  ASSERT_TRUE(back->uplink.has_value());
  EXPECT_FALSE(back->uplink->held.has_value());
}

TEST(GatewayStatusTest, KeepsTheDocumentedKeysAndNumbersItsFormat) {
  json expected = json::parse(kUnnumbered);
  expected["status_format"] = kGatewayStatusFormat;
  EXPECT_EQ(ToJson(Full()), expected);
  GatewayStatus none = Full();
  none.upstream.last_contact.reset();
  none.uplink.reset();
  const json j = ToJson(none);
  EXPECT_TRUE(j["upstream"]["last_contact"].is_null());
  EXPECT_FALSE(j.contains("uplink"));  // no uplink configured
}

TEST(GatewayStatusTest, AStatusFromBeforeFormatsWereNumberedReadsAsFormat1) {
  const absl::StatusOr<GatewayStatus> read = ParseGatewayStatus(kUnnumbered);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->format, 1);
  EXPECT_EQ(*read, Full());
}

TEST(GatewayStatusTest, AMissingFieldIsNamed) {
  json j = ToJson(Full());
  j["seed"].erase("expires_at");
  EXPECT_TRUE(absl::IsDataLoss(ReadError(j)));
  EXPECT_THAT(ReadError(j).message(), AllOf(HasSubstr("seed.expires_at"), HasSubstr("missing")));
  j = ToJson(Full());
  j.erase("refusals");
  EXPECT_THAT(ReadError(j).message(), HasSubstr("field refusals is missing"));
}

TEST(GatewayStatusTest, AMistypedFieldIsNamedWithWhatItShouldBe) {
  json j = ToJson(Full());
  j["written_at"] = "yesterday";
  EXPECT_TRUE(absl::IsDataLoss(ReadError(j)));
  EXPECT_THAT(ReadError(j).message(),
              HasSubstr("field written_at should be an integer, is string"));
  j = ToJson(Full());
  j["upstream"]["reachable"] = 1;
  EXPECT_THAT(ReadError(j).message(), HasSubstr("upstream.reachable should be true or false"));
  j = ToJson(Full());
  j["refusals"]["no-pairing-code"] = 1.5;
  EXPECT_THAT(ReadError(j).message(), HasSubstr("refusals.no-pairing-code should be an integer"));
  j = ToJson(Full());
  j["uplink"] = "gw-A";
  EXPECT_THAT(ReadError(j).message(), HasSubstr("field uplink should be an object, is string"));
}

TEST(GatewayStatusTest, AnOutOfRangeNumberIsNamed) {
  json j = ToJson(Full());
  j["seed"]["seed_epoch"] = 4'294'967'296;  // 2^32
  EXPECT_THAT(ReadError(j).message(), HasSubstr("seed.seed_epoch is 4294967296, not from 0"));
  j = ToJson(Full());
  j["assignments_issued"] = -1;
  EXPECT_THAT(ReadError(j).message(), HasSubstr("assignments_issued is -1, not from 0"));
  j = ToJson(Full());
  j["written_at"] = 18'446'744'073'709'551'615u;  // over int64
  EXPECT_THAT(ReadError(j).message(), HasSubstr("written_at is 18446744073709551615"));
}

TEST(GatewayStatusTest, ANewerFormatSaysToUpgradeCpnsGw) {
  // A newer writer may have changed any field: the format is judged first.
  const json j = {{"status_format", kGatewayStatusFormat + 1}, {"seed", "elsewhere"}};
  EXPECT_TRUE(absl::IsFailedPrecondition(ReadError(j)));
  EXPECT_EQ(ReadError(j).message(),
            "status written by a gateway of status format v2; this cpns-gw reads v1: upgrade "
            "cpns-gw");
}

TEST(GatewayStatusTest, AnOlderFormatSaysToRestartTheDaemon) {
  json j = ToJson(Full());
  j["status_format"] = kOldestReadableGatewayStatusFormat - 1;
  EXPECT_TRUE(absl::IsFailedPrecondition(ReadError(j)));
  EXPECT_THAT(ReadError(j).message(),
              AllOf(HasSubstr("status format v0; this cpns-gw reads v1"),
                    HasSubstr("restart the gateway daemon")));
}

TEST(GatewayStatusTest, AMistypedFormatIsNamed) {
  json j = ToJson(Full());
  j["status_format"] = "1";
  EXPECT_THAT(ReadError(j).message(), HasSubstr("status_format should be an integer"));
}

TEST(GatewayStatusTest, GarbageIsRefusedWithoutAnException) {
  for (const char* text : {"", "not json", "{\"gw_id\":", "[1, 2]", "null", "7", "\xff\xfe"}) {
    const absl::StatusOr<GatewayStatus> read = ParseGatewayStatus(text);
    EXPECT_TRUE(absl::IsDataLoss(read.status())) << text << ": " << read.status();
    EXPECT_THAT(read.status().message(), HasSubstr("gateway status")) << text;
  }
}

TEST(GatewayStatusTest, BytesThatAreNotUtf8AreWrittenNotThrown) {
  GatewayStatus odd = Full();
  odd.refusals["\xff"] = 1;
  const absl::StatusOr<GatewayStatus> back = ParseGatewayStatus(ToJsonText(odd));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->refusals.size(), 3u);
}

// Only a change reaches the disk: the time of writing alone is none.
TEST(GatewayStatusTest, OnlyAChangeOtherThanTheTimeIsWorthAWrite) {
  GatewayStatus later = Full();
  later.written_at += 3600;
  EXPECT_FALSE(ChangedSince(Full(), later));
  later.assignments_issued += 1;
  EXPECT_TRUE(ChangedSince(Full(), later));
  GatewayStatus refused = Full();
  refused.refusals["no-pairing-code"] += 1;
  EXPECT_TRUE(ChangedSince(Full(), refused));
  GatewayStatus expired = Full();
  expired.seed->expired = true;
  EXPECT_TRUE(ChangedSince(Full(), expired));
}

}  // namespace
}  // namespace cpns::gateway
