// Listen and connect addresses as operators write them.
//
//   unix:/run/cpns/gw.sock   a Unix domain socket (PN side)
//   tls:HOST:PORT            TCP with TLS
//   HOST:PORT                TCP with TLS (the WAN is never plaintext)
//   tcp:HOST:PORT            plain TCP: a PN listener for pairing by code
//                            only, whose PAKE needs no TLS (PROTOCOL.md 11)
// Thread-safe value type.
#ifndef CPNS_WIRE_ENDPOINT_H_
#define CPNS_WIRE_ENDPOINT_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace cpns::wire {

struct Endpoint {
  enum class Kind { kUnix, kTls, kTcp };
  Kind kind;
  std::string address;  // socket path, or HOST:PORT

  // The gRPC target / listening address ("unix:/path" or "host:port").
  std::string GrpcAddress() const;
};

// InvalidArgument naming `flag` when the text is empty, has no port, or an
// unknown scheme. Where plain TCP is not allowed, the caller refuses kTcp.
absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view flag, absl::string_view text);

}  // namespace cpns::wire

#endif  // CPNS_WIRE_ENDPOINT_H_
