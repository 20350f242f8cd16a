// The daemons' side of systemd's readiness protocol (sd_notify(3)), for units
// of Type=notify: READY=1 once every listener accepts, STATUS= lines an
// operator reads in `systemctl status`, STOPPING=1 when the drain starts.
//
// The service manager is found through $NOTIFY_SOCKET. Without it (started
// from a shell, a container runtime, a test) every call does nothing.
// A line break in a status becomes "; " (it would end the STATUS= field).
// Thread-safe; never blocks for long (one datagram to a local socket).
#ifndef CPNS_APPS_COMMON_SERVICE_MANAGER_H_
#define CPNS_APPS_COMMON_SERVICE_MANAGER_H_

#include "absl/strings/string_view.h"

namespace cpns::daemon {

// "READY=1" with `status`: every listener is bound and accepts connections.
void NotifyReady(absl::string_view status);

// A STATUS= line alone, e.g. "starting: opening the store".
void NotifyStatus(absl::string_view status);

// "STOPPING=1" with `status`: the daemon stops accepting and drains.
void NotifyStopping(absl::string_view status);

}  // namespace cpns::daemon

#endif  // CPNS_APPS_COMMON_SERVICE_MANAGER_H_
