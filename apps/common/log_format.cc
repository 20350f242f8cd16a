#include "common/log_format.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/logging.h"

namespace cpns {
namespace {

constexpr std::string_view kSeverityNames[] = {"trace", "debug", "info",
                                               "warn",  "error", "critical"};

std::string_view SeverityName(Severity s) { return kSeverityNames[static_cast<int>(s)]; }

std::string Timestamp(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no
// overlong forms, no surrogates, at most U+10FFFF), 0 if there is none.
size_t Utf8Length(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
  const unsigned char c = b(0);
  size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
           : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
  }
  if ((c == 0xE0 && b(1) < 0xA0) || (c == 0xED && b(1) > 0x9F) || (c == 0xF0 && b(1) < 0x90) ||
      (c == 0xF4 && b(1) > 0x8F)) {
    return 0;
  }
  return n;
}

// Appends `s` with every control character, backslash and byte of invalid
// UTF-8 escaped (\n, \t, \xNN), and `"` too when `quote_mark`.
void AppendEscaped(std::string& out, std::string_view s, bool quote_mark) {
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    const size_t n = Utf8Length(s, i);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\\' || (quote_mark && c == '"')) {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (n == 0 || c < 0x20 || c == 0x7F) {
      absl::StrAppend(&out, "\\x", absl::Hex(c, absl::kZeroPad2));
    } else {
      out.append(s.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
}

// logfmt's rule: a value stays bare when it is non-empty printable ASCII
// without spaces, quotes, '=' or '\'; otherwise it is quoted and escaped.
bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= 0x20 || c >= 0x7F || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

void AppendTextField(std::string& out, std::string_view key, const log::Value& value) {
  out.push_back(' ');
  AppendEscaped(out, key, false);
  out.push_back('=');
  if (value.is_number() || !NeedsQuotes(value.text())) {
    out += value.text();
    return;
  }
  out.push_back('"');
  AppendEscaped(out, value.text(), true);
  out.push_back('"');
}

log::Event EventOf(std::string_view payload) {
  std::optional<log::Event> event = log::Decode(payload);
  if (event) return *std::move(event);
  return log::Event{std::string(payload), {}};
}

}  // namespace

absl::StatusOr<LogFormat> ParseLogFormat(std::string_view text) {
  if (text == "text") return LogFormat::kText;
  if (text == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      "--log-format '" + std::string(text) + "' is not one of text, json");
}

int SyslogPriority(Severity severity) {
  constexpr int kPriorities[] = {7, 7, 6, 4, 3, 2};
  return kPriorities[static_cast<int>(severity)];
}

std::string RenderJsonLine(const LogRecord& record) {
  const log::Event event = EventOf(record.payload);
  nlohmann::ordered_json line;
  line["ts"] = Timestamp(record.time);
  line["level"] = SeverityName(record.severity);
  line["program"] = record.program;
  line["msg"] = event.msg;
  for (const auto& [key, value] : event.fields) {
    std::string name = key;
    while (line.contains(name)) name.insert(0, "_");
    if (value.is_number()) {
      int64_t n = 0;
      (void)absl::SimpleAtoi(value.text(), &n);  // log::Decode checked the digits
      line[name] = n;
    } else {
      line[name] = value.text();
    }
  }
  // Invalid UTF-8 becomes U+FFFD instead of an exception; dump escapes the
  // control characters and quotes.
  return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::string RenderTextLine(const LogRecord& record, bool journald) {
  const log::Event event = EventOf(record.payload);
  std::string out;
  if (journald) {
    absl::StrAppend(&out, "<", SyslogPriority(record.severity), ">");
  } else {
    absl::StrAppend(&out, Timestamp(record.time), " ");
    out.append(record.program);
    out.push_back(' ');
  }
  out.append(SeverityName(record.severity));
  out += ": ";
  AppendEscaped(out, event.msg, false);
  for (const auto& [key, value] : event.fields) AppendTextField(out, key, value);
  return out;
}

bool StderrIsJournal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(stream, ':');
  uint64_t dev = 0;
  uint64_t ino = 0;
  if (!absl::SimpleAtoi(parts.first, &dev) || !absl::SimpleAtoi(parts.second, &ino)) return false;
  struct stat st{};
  if (::fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<uint64_t>(st.st_dev) == dev && static_cast<uint64_t>(st.st_ino) == ino;
}

}  // namespace cpns
