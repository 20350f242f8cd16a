#include "core/process.h"

#include <signal.h>
#include <unistd.h>

#include "core/file_util.h"

namespace cpns {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  sigaddset(&set, kFaultSignal);
  return set;
}

}  // namespace

void BlockTerminationSignals() {
  const sigset_t set = TerminationSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int WaitForTerminationSignal() {
  const sigset_t set = TerminationSignals();
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

void RaiseFault() { ::kill(::getpid(), kFaultSignal); }

absl::Status WriteReadyFile(const std::string& path, const std::string& contents) {
  if (path.empty()) return absl::OkStatus();
  return WriteFileAtomically(path, contents + "\n", 0644);
}

}  // namespace cpns
