// What the programs tell operators about themselves: --version, and logs in
// JSON (--log-format json) that a log pipeline can parse line by line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <regex>

#include "absl/strings/str_split.h"
#include "core/version.h"
#include "flow_fixture.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

TEST(VersionTest, EveryProgramPrintsItsNameAndTheProjectVersion) {
  for (const char* program : {"cpns-server", "cpns-gw", "cpns-pne", "cpns-keytool"}) {
    const RunResult r = RunProgram({Program(program), "--version"});
    EXPECT_EQ(r.exit_code, 0) << program << r.err;
    EXPECT_EQ(r.out, VersionLine(program) + "\n");
    EXPECT_TRUE(std::regex_match(
        r.out, std::regex(std::string(program) +
                          R"( \d+\.\d+\.\d+( \(git [0-9a-f]{7,}\))?\n)")))
        << r.out;
  }
}

// Every line of `log` parsed as a JSON object with the four fixed keys
// (failing the test for any other line).
std::vector<json> JsonLines(const std::string& log, const std::string& program) {
  std::vector<json> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    const json j = json::parse(line.begin(), line.end(), nullptr, false);
    EXPECT_TRUE(j.is_object()) << "not a JSON object: " << line;
    if (!j.is_object()) continue;
    EXPECT_EQ(j.value("program", ""), program) << line;
    EXPECT_TRUE(std::regex_match(j.value("ts", ""),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
        << line;
    EXPECT_TRUE(j.contains("level") && j.contains("msg")) << line;
    lines.push_back(j);
  }
  return lines;
}

// The one line whose msg is `msg`, or null (and a test failure).
json Event(const std::vector<json>& lines, const std::string& msg) {
  json found;
  for (const json& j : lines) {
    if (j["msg"] == msg) found = j;
  }
  EXPECT_FALSE(found.is_null()) << "no event '" << msg << "'";
  return found;
}

TEST_F(FlowTest, JsonLogsOfAnAssignmentAreOneObjectPerLineWithTheEventsFields) {
  Daemon server = StartServer({"--log-format", "json"});
  // One request a minute per entity: the second is refused.
  Daemon gw = StartGateway("gw-A", server.address, "",
                           {"--log-format", "json", "--rate-limit-per-entity", "1"});
  const RunResult ok = Request(gw.address, "headset-1", "alice");
  ASSERT_EQ(ok.exit_code, 0) << ok.err << gw.process->log();
  const RunResult refused = Request(gw.address, "headset-1", "alice");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_EQ(gw.process->Terminate(), 0);
  EXPECT_EQ(server.process->Terminate(), 0);

  const std::vector<json> gw_lines = JsonLines(gw.process->log(), "cpns-gw");
  const json start = Event(gw_lines, "starting");
  EXPECT_EQ(start["version"], std::string(Version()));
  const json assigned = Event(gw_lines, "EUKey assigned");
  EXPECT_EQ(assigned["level"], "info");
  EXPECT_EQ(assigned["gw_id"], "gw-A");
  EXPECT_EQ(assigned["epoch"], 1);
  EXPECT_EQ(assigned["entity_type"], "PNE");
  EXPECT_EQ(assigned["entity_id"], "headset-1");
  EXPECT_EQ(assigned["user_id"], "alice");
  EXPECT_EQ(assigned["result"], "ok");
  EXPECT_TRUE(assigned["duration_ms"].is_number_integer());
  EXPECT_TRUE(assigned["not_after"].is_number_integer());
  const json refusal = Event(gw_lines, "EUKey Assignment Request refused");
  EXPECT_EQ(refusal["level"], "warn");
  EXPECT_EQ(refusal["result"], "rate-limited-entity");
  EXPECT_TRUE(refusal["peer"].is_string());
  EXPECT_THAT(refusal["error"].get<std::string>(), HasSubstr("RESOURCE_EXHAUSTED"));
  const json obtained = Event(gw_lines, "1st seed obtained from the CPNS Server");
  EXPECT_EQ(obtained["epoch"], 1);

  const std::vector<json> server_lines = JsonLines(server.process->log(), "cpns-server");
  const json response = Event(server_lines, "1st Seed Response");
  EXPECT_EQ(response["gw_id"], "gw-A");
  EXPECT_EQ(response["epoch"], 1);
  EXPECT_EQ(response["result"], "ok");
  EXPECT_TRUE(response["peer"].is_string());
  EXPECT_TRUE(response["duration_ms"].is_number_integer());
  Event(server_lines, "starting");
  // Plain messages (the shutdown) are JSON too.
  Event(server_lines, "stopped");
}

TEST_F(FlowTest, TextLogsCarryTheEventsFieldsAsKeyValuePairs) {
  Daemon server = StartServer();
  Daemon gw = StartGateway("gw-A", server.address);
  const RunResult ok = Request(gw.address, "headset-1", "alice");
  ASSERT_EQ(ok.exit_code, 0) << ok.err << gw.process->log();
  EXPECT_THAT(gw.process->log(),
              HasSubstr(" cpns-gw info: EUKey assigned entity_type=PNE entity_id=headset-1 "
                        "user_id=alice gw_id=gw-A epoch=1 "));
  EXPECT_THAT(server.process->log(),
              HasSubstr(" cpns-server info: 1st Seed Response gw_id=gw-A epoch=1 renew_epoch=0 "));
}

TEST(LogFlagsTest, AnUnknownLogFormatIsAUsageError) {
  const RunResult r = RunProgram({Program("cpns-keytool"), "--log-format", "xml", "derive"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--log-format"));
}

}  // namespace
}  // namespace cpns::test
