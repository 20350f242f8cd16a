#include "common/log_format.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/process.h"
#include "core/logging.h"

namespace cpns {
namespace {

const absl::Time kAt = absl::FromUnixMillis(1796144400123);  // 2026-12-01T17:00:00.123Z

std::string Json(std::string_view msg, std::initializer_list<log::Field> fields,
                 Severity severity = Severity::kInfo) {
  const std::string payload = log::Encode(msg, fields);
  return RenderJsonLine({.time = kAt, .severity = severity, .program = "cpns-gw",
                         .payload = payload});
}

std::string Text(std::string_view msg, std::initializer_list<log::Field> fields,
                 bool journald = false, Severity severity = Severity::kInfo) {
  const std::string payload = log::Encode(msg, fields);
  return RenderTextLine(
      {.time = kAt, .severity = severity, .program = "cpns-gw", .payload = payload}, journald);
}

TEST(LogFormatTest, JsonHasTheFixedKeysFirstThenTheFieldsInTheirOrder) {
  const std::string line =
      Json("EUKey assigned", {{"gw_id", "gw-A"}, {"epoch", 3}, {"entity_type", "PNE"}});
  EXPECT_EQ(line,
            R"({"ts":"2026-12-01T17:00:00.123Z","level":"info","program":"cpns-gw",)"
            R"("msg":"EUKey assigned","gw_id":"gw-A","epoch":3,"entity_type":"PNE"})");
}

TEST(LogFormatTest, JsonTimestampIsRfc3339UtcWithMilliseconds) {
  const std::string payload = log::Encode("x", {});
  const nlohmann::json now = nlohmann::json::parse(RenderJsonLine(
      {.time = absl::Now(), .severity = Severity::kWarn, .program = "p", .payload = payload}));
  EXPECT_TRUE(std::regex_match(now["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << now["ts"];
  EXPECT_EQ(now["level"], "warn");
}

TEST(LogFormatTest, JsonStaysOneValidObjectWhateverBytesAFieldHolds) {
  const std::string hostile =
      std::string("a\"b\\c\nd\re\tf\x01g\x7fh") + "\xff\xc3(" + "\xe2\x82\xac";
  const std::string line =
      Json(hostile, {{"peer", hostile}, {"error", "x\"}\n{\"level\":\"error"}});
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_TRUE(j.is_object()) << "not valid JSON: " << line;
  // Control characters and quotes come back as they were; invalid UTF-8
  // bytes are replaced by U+FFFD; valid UTF-8 (the euro sign) is kept.
  const std::string expected =
      std::string("a\"b\\c\nd\re\tf\x01g\x7fh") + "\xef\xbf\xbd\xef\xbf\xbd(" + "\xe2\x82\xac";
  EXPECT_EQ(j["msg"], expected);
  EXPECT_EQ(j["peer"], expected);
  EXPECT_EQ(j["error"], "x\"}\n{\"level\":\"error");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j.size(), 6u);
}

TEST(LogFormatTest, JsonFieldNamedLikeAFixedKeyDoesNotReplaceIt) {
  const nlohmann::json j = nlohmann::json::parse(Json("real", {{"msg", "fake"}, {"level", 1}}));
  EXPECT_EQ(j["msg"], "real");
  EXPECT_EQ(j["_msg"], "fake");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["_level"], 1);
}

TEST(LogFormatTest, APlainSpdlogMessageIsTheMessage) {
  const nlohmann::json j = nlohmann::json::parse(RenderJsonLine(
      {.time = kAt, .severity = Severity::kError, .program = "p", .payload = "plain {} text"}));
  EXPECT_EQ(j["msg"], "plain {} text");
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j.size(), 4u);
}

TEST(LogFormatTest, TextIsTimestampProgramLevelMessageAndFields) {
  EXPECT_EQ(Text("1st Seed Response", {{"gw_id", "gw-A"}, {"epoch", 1}, {"duration_ms", 12}}),
            "2026-12-01T17:00:00.123Z cpns-gw info: 1st Seed Response gw_id=gw-A epoch=1 "
            "duration_ms=12");
}

TEST(LogFormatTest, TextQuotesAndEscapesValuesThatNeedIt) {
  EXPECT_EQ(Text("m", {{"error", "two words"}, {"empty", ""}, {"q", "say \"hi\"=\\"}}),
            "2026-12-01T17:00:00.123Z cpns-gw info: m error=\"two words\" empty=\"\" "
            "q=\"say \\\"hi\\\"=\\\\\"");
}

TEST(LogFormatTest, TextCannotBeSplitOrForgedByNewlinesControlsOrInvalidUtf8) {
  const std::string line =
      Text("bad\nline", {{"peer", "x\n2026-12-01T17:00:00.000Z cpns-gw error: forged"},
                         {"bytes", std::string("\x01\x7f\xff\xe2\x82\xac")}});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line,
            "2026-12-01T17:00:00.123Z cpns-gw info: bad\\nline "
            "peer=\"x\\n2026-12-01T17:00:00.000Z cpns-gw error: forged\" "
            "bytes=\"\\x01\\x7f\\xff\xe2\x82\xac\"");
}

TEST(LogFormatTest, JournaldTextHasThePriorityAndNoTimestamp) {
  EXPECT_EQ(Text("m", {{"k", 1}}, true), "<6>info: m k=1");
  EXPECT_EQ(Text("m", {}, true, Severity::kWarn), "<4>warn: m");
  EXPECT_EQ(Text("m", {}, true, Severity::kError), "<3>error: m");
  EXPECT_EQ(Text("m", {}, true, Severity::kDebug), "<7>debug: m");
  EXPECT_EQ(Text("m", {}, true, Severity::kCritical), "<2>critical: m");
}

TEST(LogFormatTest, EncodedEventsSurviveSeparatorsInTheirValues) {
  const std::string tricky = "3:abc\x1e" "5:n";
  std::optional<log::Event> e = log::Decode(log::Encode(tricky, {{tricky, tricky}, {"n", -7}}));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->msg, tricky);
  ASSERT_EQ(e->fields.size(), 2u);
  EXPECT_EQ(e->fields[0].first, tricky);
  EXPECT_EQ(e->fields[0].second.text(), tricky);
  EXPECT_FALSE(e->fields[0].second.is_number());
  EXPECT_EQ(e->fields[1].second.text(), "-7");
  EXPECT_TRUE(e->fields[1].second.is_number());
  EXPECT_FALSE(log::Decode("\x1e" "9:short").has_value());
  EXPECT_FALSE(log::Decode("\x1e" "1:m1:kn2:ab").has_value());  // not a number
  EXPECT_FALSE(log::Decode("plain").has_value());
}

TEST(LogFormatTest, ParseLogFormatNamesTheFlag) {
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_NE(ParseLogFormat("xml").status().message().find("--log-format"), std::string::npos);
}

// Runs InitLogging(format) and one event in a child process whose stderr is a
// pipe, with $JOURNAL_STREAM naming that pipe (`journal`) or another file;
// returns what the child wrote.
std::string LogInChild(const std::string& format, bool journal) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDERR_FILENO);
    struct stat st{};
    fstat(STDERR_FILENO, &st);
    const std::string stream =
        absl::StrCat(st.st_dev, ":", journal ? st.st_ino : st.st_ino + 1);
    setenv("JOURNAL_STREAM", stream.c_str(), 1);
    if (!InitLogging("cpns-test", "info", format).ok()) std::_Exit(1);
    log::Info("hello", {{"k", 1}});
    log::Debug("not shown");
    spdlog::default_logger()->flush();
    std::_Exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);  // the pipe closed: the child has ended
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return out;
}

TEST(LogFormatTest, UnderJournaldTextLinesCarryThePriorityInsteadOfATimestamp) {
  EXPECT_EQ(LogInChild("text", true), "<6>info: hello k=1\n");
}

TEST(LogFormatTest, WhenStderrIsNotJournalsStreamTextLinesKeepTheirTimestamp) {
  const std::string out = LogInChild("text", false);
  EXPECT_TRUE(std::regex_match(
      out, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z cpns-test info: hello k=1\n)")))
      << out;
}

TEST(LogFormatTest, JsonLinesStayJsonUnderJournald) {
  const std::string out = LogInChild("json", true);
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back(), '\n');
  const nlohmann::json j = nlohmann::json::parse(out.substr(0, out.size() - 1));
  EXPECT_EQ(j["program"], "cpns-test");
  EXPECT_EQ(j["msg"], "hello");
  EXPECT_EQ(j["k"], 1);
}

}  // namespace
}  // namespace cpns
