// Process-level helpers shared by the daemons: termination signals and the
// ready file that tells a supervisor (or a test) where a daemon listens.
#ifndef CPNS_CORE_PROCESS_H_
#define CPNS_CORE_PROCESS_H_

#include <string>

#include "absl/status/status.h"

namespace cpns {

// Blocks SIGTERM, SIGINT and SIGHUP in the calling thread and every thread it
// creates afterwards. Call first thing in main(), before any thread exists.
void BlockTerminationSignals();

// Waits for one of the blocked signals and returns its number.
int WaitForTerminationSignal();

// Keeps the secrets this process will hold from leaving through a core dump
// or another process of the same user: sets the process non-dumpable (no
// core file; /proc/PID/mem, /environ and ptrace closed to everyone but root)
// and its core size limit (soft and hard) to 0. Call at the start of every
// program that reads a secret, before it reads one. Internal naming the call
// that failed. Thread-safe; idempotent.
absl::Status HardenProcess();

// Writes `contents` to `path` atomically (mode 0644); a no-op for an empty path.
absl::Status WriteReadyFile(const std::string& path, const std::string& contents);

}  // namespace cpns

#endif  // CPNS_CORE_PROCESS_H_
