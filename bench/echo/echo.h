// A bare gRPC echo: the ceiling against which the benchmarks measure a whole
// cpns RPC. Same transport, same credentials, same message sizes, a
// synchronous server as the cpns daemons have; no store, no crypto, no logs.
//
// Thread-safe: one EchoServer serves any number of EchoClient threads; an
// EchoClient may be shared by threads (gRPC stubs are).
#ifndef CPNS_BENCH_ECHO_ECHO_H_
#define CPNS_BENCH_ECHO_ECHO_H_

#include <grpcpp/channel.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cpns::bench {

class EchoServer {
 public:
  // Serves at `address` ("unix:/path" or "127.0.0.1:0"; the bound port is
  // in address()). Insecure credentials for a Unix socket, as the gateway's
  // PN socket has.
  static absl::StatusOr<std::unique_ptr<EchoServer>> Start(
      const std::string& address, std::shared_ptr<grpc::ServerCredentials> creds);
  ~EchoServer();

  // "unix:/path" as given, or "127.0.0.1:<port>" for a TCP address.
  const std::string& address() const { return address_; }

 private:
  EchoServer() = default;
  struct Service;
  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

// One call shape: a request of `request_bytes` serialized bytes answered
// by a response of `response_bytes` (both as protobuf encodes them, the
// same way the cpns message sizes are counted).
struct EchoShape {
  size_t request_bytes;
  size_t response_bytes;
};

class EchoClient {
 public:
  explicit EchoClient(std::shared_ptr<grpc::Channel> channel);
  ~EchoClient();

  // One unary call of `shape`; an error if it failed or the response had
  // another size.
  absl::Status Call(const EchoShape& shape);

 private:
  struct Stub;
  std::unique_ptr<Stub> stub_;
};

}  // namespace cpns::bench

#endif  // CPNS_BENCH_ECHO_ECHO_H_
