// EUKeyClient: the assignee side of the flow (a PNE, or a PN GW acting as a
// client of another gateway). Sends an EUKey Assignment Request to an
// Intermediate PN GW and returns the validated assignment.
//
// Thread-safe: one client may serve many threads. The gRPC machinery stays
// behind this header; device makers link the installed library (CMake
// cpns::cpns, pkg-config cpns; docs/LIBRARY.md) and include only include/cpns/.
//
// Abseil types in this API, and no others: absl::Status and absl::StatusOr
// (every error), absl::Duration (timeouts), absl::string_view (parameters;
// with Debian's abseil a type of its own, not std::string_view), absl::Time
// (cpns/core/clock.h only). No gRPC, protobuf or OpenSSL type appears.
#ifndef CPNS_ASSIGNEE_EUKEY_CLIENT_H_
#define CPNS_ASSIGNEE_EUKEY_CLIENT_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::assignee {

// What an assignee keeps: enough to prove possession of the EUKey later.
struct EUKeyAssignment {
  GatewayId gw_id;
  uint32_t seed_epoch;
  Assignee assignee;
  int64_t not_after;  // Unix seconds
  SecretBytes second_seed;
  SecretBytes eukey;
};

struct EUKeyClientOptions {
  // unix:PATH, tls:HOST:PORT, or tcp:HOST:PORT (plain TCP: pairing by code
  // only, no CA or certificate).
  std::string gateway;
  std::string gateway_ca_file; // required for tls:
  std::string gateway_name;    // TLS name to verify; empty: the host
  // The device certificate and its key (PEM), for a gateway that admits
  // devices by certificate; tls: only.
  std::string cert_file;
  std::string key_file;
};

class EUKeyClient {
 public:
  // InvalidArgument for a bad address or missing CA for tls:.
  static absl::StatusOr<std::unique_ptr<EUKeyClient>> Create(const EUKeyClientOptions& options);
  virtual ~EUKeyClient() = default;

  // Steps 1 and 7. Returns the gateway's status as is (INVALID_ARGUMENT,
  // UNAVAILABLE, PERMISSION_DENIED, ...) with its message; DataLoss if the
  // response is not a well-formed assignment for `assignee`.
  // With a `pairing_code` (as typed: case, dashes and spaces do not matter),
  // the request is the pairing exchange (SPAKE2+, PROTOCOL.md section 11):
  // the code never leaves the device, and the key arrives sealed under the
  // exchange's key; Unauthenticated when the gateway cannot prove it holds
  // the code's verifier. Without one, a plain AssignEUKey (certificate or
  // open admission; InvalidArgument on tcp:).
  virtual absl::StatusOr<EUKeyAssignment> Request(const Assignee& assignee,
                                                  absl::Duration timeout,
                                                  const SecretBytes& pairing_code) = 0;
};

}  // namespace cpns::assignee

#endif  // CPNS_ASSIGNEE_EUKEY_CLIENT_H_
