// The gateway's live status for its owner: `cpns-gw status` asks the running
// daemon over <state-dir>/status.sock (mode 0600, so only the gateway's own
// user) and falls back to the last status written to gateway.db when no
// daemon answers.
//
// The daemon's side answers one connection at a time with the current status
// (GatewayStatus as JSON text) and closes it; a client that does not read
// within a second is dropped. Nothing is read from the client.
#ifndef CPNS_GATEWAY_STATUS_SOCKET_H_
#define CPNS_GATEWAY_STATUS_SOCKET_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace cpns::gateway {

// The socket's path in a state directory.
std::string StatusSocketPath(const std::string& state_dir);

class StatusSocket {
 public:
  // Listens on `path` and answers each connection with `snapshot()`, called
  // on the socket's own thread. Fails if another daemon serves on `path`.
  static absl::StatusOr<std::unique_ptr<StatusSocket>> Start(
      const std::string& path, std::function<std::string()> snapshot);
  ~StatusSocket();  // stops, closes and removes the socket file

  StatusSocket(const StatusSocket&) = delete;
  StatusSocket& operator=(const StatusSocket&) = delete;

 private:
  StatusSocket(int fd, std::string path, std::function<std::string()> snapshot);
  void Run();
  void Answer(int client);

  const int fd_;
  const std::string path_;
  const std::function<std::string()> snapshot_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

// The running daemon's status text from `path`, within `timeout`;
// Unavailable when no daemon answers there (not running, or stuck).
absl::StatusOr<std::string> ReadLiveStatus(const std::string& path, absl::Duration timeout);

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_STATUS_SOCKET_H_
