#include "core/process.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

#include "core/file_util.h"

namespace cpns {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
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

absl::Status WriteReadyFile(const std::string& path, const std::string& contents) {
  if (path.empty()) return absl::OkStatus();
  return WriteFileAtomically(path, contents + "\n", 0644);
}

}  // namespace cpns
