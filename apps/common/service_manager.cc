#include "common/service_manager.h"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace cpns::daemon {
namespace {

std::string StatusField(absl::string_view status) {
  return absl::StrCat("STATUS=", absl::StrReplaceAll(status, {{"\r", ""}, {"\n", "; "}}));
}

// Sends `message` when a service manager listens. A failure is logged, not
// returned: the daemon serves either way, and the unit's start timeout tells
// systemd's side of the story.
void Send(const std::string& message) {
  if (std::getenv("NOTIFY_SOCKET") == nullptr) return;
  const int rc = sd_notify(/*unset_environment=*/0, message.c_str());
  if (rc < 0) {
    spdlog::warn("cannot notify the service manager through $NOTIFY_SOCKET ({}): {}",
                 message.substr(0, message.find('\n')), std::strerror(-rc));
  }
}

}  // namespace

void NotifyReady(absl::string_view status) {
  Send(absl::StrCat("READY=1\n", StatusField(status)));
}

void NotifyStatus(absl::string_view status) { Send(StatusField(status)); }

void NotifyStopping(absl::string_view status) {
  Send(absl::StrCat("STOPPING=1\n", StatusField(status)));
}

}  // namespace cpns::daemon
