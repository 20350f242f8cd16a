// Process-level helpers shared by the daemons: termination signals and the
// ready file that tells a supervisor (or a test) where a daemon listens.
#ifndef CPNS_CORE_PROCESS_H_
#define CPNS_CORE_PROCESS_H_

#include <signal.h>

#include <string>

#include "absl/status/status.h"

namespace cpns {

// The signal a daemon raises at itself (RaiseFault) when a fault it cannot
// serve through (a corrupt store) must end it: WaitForTerminationSignal
// returns it, and the daemon then exits non-zero so that its supervisor
// restarts it.
inline constexpr int kFaultSignal = SIGUSR2;

// Blocks SIGTERM, SIGINT, SIGHUP and kFaultSignal in the calling thread and every thread it
// creates afterwards. Call first thing in main(), before any thread exists.
void BlockTerminationSignals();

// Waits for one of the blocked signals and returns its number.
int WaitForTerminationSignal();

// Wakes WaitForTerminationSignal with kFaultSignal. Safe from any thread.
void RaiseFault();

// Writes `contents` to `path` atomically (mode 0644); a no-op for an empty path.
absl::Status WriteReadyFile(const std::string& path, const std::string& contents);

}  // namespace cpns

#endif  // CPNS_CORE_PROCESS_H_
