#include "common/process.h"

#include <signal.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

#include "absl/time/clock.h"
#include "common/log_format.h"
#include "core/file_util.h"

namespace cpns {
namespace {

// Set by RaiseFatalFault before it signals (lock-free, so async-signal-safe).
std::atomic<bool> fatal_fault_raised{false};

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, kFatalFaultSignal);
  return set;
}

Severity SeverityOf(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return Severity::kTrace;
    case spdlog::level::debug: return Severity::kDebug;
    case spdlog::level::info: return Severity::kInfo;
    case spdlog::level::warn: return Severity::kWarn;
    case spdlog::level::err: return Severity::kError;
    default: return Severity::kCritical;
  }
}

// spdlog's side of common/log_format.h: every line of the process, events
// and plain messages alike, goes through RenderJsonLine or RenderTextLine.
class LineFormatter : public spdlog::formatter {
 public:
  LineFormatter(LogFormat format, bool journald) : format_(format), journald_(journald) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const LogRecord record{
        .time = absl::FromChrono(msg.time),
        .severity = SeverityOf(msg.level),
        .program = std::string_view(msg.logger_name.data(), msg.logger_name.size()),
        .payload = std::string_view(msg.payload.data(), msg.payload.size())};
    const std::string line = format_ == LogFormat::kJson ? RenderJsonLine(record)
                                                         : RenderTextLine(record, journald_);
    dest.append(line.data(), line.data() + line.size());
    dest.push_back('\n');
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_, journald_);
  }

 private:
  const LogFormat format_;
  const bool journald_;
};

}  // namespace

void BlockTerminationSignals() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  const sigset_t set = TerminationSignals();
  while (true) {
    siginfo_t info;
    const int sig = sigwaitinfo(&set, &info);
    if (sig < 0) continue;  // EINTR
    // Only this process's own faults count; another process's SIGUSR2 may
    // have merged with ours, so the flag decides, not si_pid.
    if (sig == kFatalFaultSignal && !fatal_fault_raised.load()) continue;
    return sig;
  }
}

void RaiseFatalFault() {
  fatal_fault_raised.store(true);
  kill(getpid(), kFatalFaultSignal);
}

void RemoveReadyFile(const std::string& path) {
  if (!path.empty()) unlink(path.c_str());
}

long RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur == RLIM_INFINITY ? 1L << 20 : static_cast<long>(limit.rlim_cur);
}

absl::Status HardenProcess() {
  // Non-dumpable first: even if the limit cannot be lowered, no core is written
  // (unless root set fs.suid_dumpable=2, and then only a root-owned one).
  if (::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    return absl::InternalError(
        absl::StrCat("prctl(PR_SET_DUMPABLE, 0) failed: ", std::strerror(errno)));
  }
  const struct rlimit none = {0, 0};
  if (::setrlimit(RLIMIT_CORE, &none) != 0) {
    return absl::InternalError(
        absl::StrCat("setrlimit(RLIMIT_CORE, 0) failed: ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

absl::Status InitLogging(const std::string& program, const std::string& level,
                         const std::string& format) {
  const spdlog::level::level_enum lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--log-level '", level, "' is not one of trace, debug, info, warn, error, off"));
  }
  absl::StatusOr<LogFormat> log_format = ParseLogFormat(format);
  if (!log_format.ok()) return log_format.status();
  // Not in spdlog's registry by name, so that a second call replaces it.
  auto logger = std::make_shared<spdlog::logger>(
      program, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(std::make_unique<LineFormatter>(*log_format, StderrIsJournal()));
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  return absl::OkStatus();
}

absl::Status WriteReadyFile(const std::string& path, const std::string& contents) {
  if (path.empty()) return absl::OkStatus();
  return WriteFileAtomically(path, contents + "\n", 0644);
}

}  // namespace cpns
