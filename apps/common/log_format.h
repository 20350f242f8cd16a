// How a cpns program writes its log lines (--log-format): text for people,
// or JSON for a log pipeline, one line per event either way, whatever bytes
// a message or a field holds (a peer's address, an error's text): quotes,
// newlines, control characters and invalid UTF-8 are escaped or replaced,
// so that nobody can forge a line. Under journald, text lines carry the
// syslog priority instead of a timestamp. Thread-compatible (pure functions).
#ifndef CPNS_APPS_COMMON_LOG_FORMAT_H_
#define CPNS_APPS_COMMON_LOG_FORMAT_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cpns {

enum class LogFormat { kText, kJson };
enum class Severity { kTrace, kDebug, kInfo, kWarn, kError, kCritical };

// "text" or "json"; InvalidArgument naming --log-format otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(std::string_view text);

// One event as spdlog hands it to the formatter. `payload` is either a
// log::Encode'd event (core/logging.h) or a plain message.
struct LogRecord {
  absl::Time time;
  Severity severity = Severity::kInfo;
  std::string_view program;
  std::string_view payload;
};

// {"ts":"2026-12-01T17:00:00.123Z","level":"info","program":..,"msg":..,
// then the fields in their order}. A field named like one of the first four
// keys gets a '_' in front. No newline at the end.
std::string RenderJsonLine(const LogRecord& record);

// `2026-12-01T17:00:00.123Z cpns-gw info: msg key=value key="two words"`;
// for journald (`journald`), `<6>info: msg key=value`: the priority prefix
// journald reads, and neither timestamp nor program, which journald keeps.
// No newline at the end.
std::string RenderTextLine(const LogRecord& record, bool journald);

// The syslog priority of a severity: 7 debug and trace, 6 info, 4 warn,
// 3 error, 2 critical.
int SyslogPriority(Severity severity);

// Whether stderr is a stream to journald: $JOURNAL_STREAM ("DEV:INODE", set by
// systemd for a unit's output) names stderr's device and inode. A program
// whose stderr was redirected elsewhere inherits the variable, hence the check.
bool StderrIsJournal();

}  // namespace cpns

#endif  // CPNS_APPS_COMMON_LOG_FORMAT_H_
