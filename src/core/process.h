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

// Writes `contents` to `path` atomically (mode 0644); a no-op for an empty path.
absl::Status WriteReadyFile(const std::string& path, const std::string& contents);

}  // namespace cpns

#endif  // CPNS_CORE_PROCESS_H_
