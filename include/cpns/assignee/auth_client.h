// AuthClient: an assignee proves to the CPNS Server that it holds its EUKey
// (GetChallenge, then Authenticate with a proof; docs/PROTOCOL.md section 9).
//
// Two paths: directly to the server (server-authenticated TLS; the assignee
// has no client certificate), or through its gateway, which relays the calls.
// Thread-safe. Abseil types used: absl::Status, absl::StatusOr, absl::Duration
// (the whole list is in cpns/assignee/eukey_client.h).
#ifndef CPNS_ASSIGNEE_AUTH_CLIENT_H_
#define CPNS_ASSIGNEE_AUTH_CLIENT_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/assignee/eukey_client.h"

namespace cpns::assignee {

struct AuthClientOptions {
  // HOST:PORT of the CPNS Server (with ca_file), or the gateway as
  // unix:PATH or tls:HOST:PORT (ca_file for tls:).
  std::string target;
  std::string ca_file;
  std::string tls_name;  // TLS name to verify; empty: the host
};

class AuthClient {
 public:
  static absl::StatusOr<std::unique_ptr<AuthClient>> Create(const AuthClientOptions& options);
  virtual ~AuthClient() = default;

  // OK when the server accepts the proof; otherwise the server's status and
  // reason (UNAUTHENTICATED, NOT_FOUND, FAILED_PRECONDITION, ...).
  virtual absl::Status Authenticate(const EUKeyAssignment& assignment, absl::Duration timeout) = 0;
};

}  // namespace cpns::assignee

#endif  // CPNS_ASSIGNEE_AUTH_CLIENT_H_
