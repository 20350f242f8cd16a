// The process-wide state a cpns program sets, and no library does: secrecy
// (non-dumpable, no core), the logger, and for the daemons the termination
// signals, faults that end them, the descriptor limit and the ready file that
// tells a supervisor (or a test) where a daemon listens. The daemons call
// these through daemon::Run (common/daemon.h); the other programs call
// HardenProcess (and the server's offline commands InitLogging) from main.
#ifndef CPNS_APPS_COMMON_PROCESS_H_
#define CPNS_APPS_COMMON_PROCESS_H_

#include <signal.h>

#include <string>

#include "absl/status/status.h"

namespace cpns {

// Keeps the secrets this process will hold from leaving through a core dump
// or another process of the same user: sets the process non-dumpable (no
// core file; /proc/PID/mem, /environ and ptrace closed to everyone but root)
// and its core size limit (soft and hard) to 0. Call at the start of every
// program that reads a secret, before it reads one. Internal naming the call
// that failed. Thread-safe; idempotent.
absl::Status HardenProcess();

// Makes the default logger a stderr logger named `program` writing one line
// per event in `format` (common/log_format.h: "text", the journald form of
// text when stderr is journald's, or "json").
// level: trace, debug, info, warn, error, off; InvalidArgument for others,
// and for another format. Call before any thread logs; calling it again
// replaces the logger (main sets it from the flags, daemon::Run again).
absl::Status InitLogging(const std::string& program, const std::string& level,
                         const std::string& format = "text");

// Blocks SIGTERM, SIGINT, SIGHUP and kFatalFaultSignal in the calling thread
// and every thread it creates afterwards. Call before any thread exists.
void BlockTerminationSignals();

// Waits for one of the blocked signals and returns its number (SIGHUP, a
// request to reload, included):
// kFatalFaultSignal when a part of this process called RaiseFatalFault()
// (the same signal sent by another process is ignored).
int WaitForTerminationSignal();

// For a part of a daemon that cannot go on (a listener that cannot accept
// any more, a corrupt store): wakes WaitForTerminationSignal() with
// kFatalFaultSignal, so the daemon stops and exits non-zero and its
// supervisor restarts it, rather than lingering alive and useless.
// Async-signal-safe; callable from any thread.
inline constexpr int kFatalFaultSignal = SIGUSR2;
void RaiseFatalFault();

// Raises the soft limit on open descriptors to the hard limit and returns
// the soft limit now in force.
long RaiseDescriptorLimit();

// Removes the ready file, first thing when a daemon stops, so that nothing
// takes a stopping daemon for a ready one; a no-op for an empty path.
void RemoveReadyFile(const std::string& path);

// Writes `contents` to `path` atomically (mode 0644); a no-op for an empty path.
absl::Status WriteReadyFile(const std::string& path, const std::string& contents);

}  // namespace cpns

#endif  // CPNS_APPS_COMMON_PROCESS_H_
