// Listen and connect addresses as operators write them in flags and config
// files (src/wire/endpoint.*). Property: an accepted endpoint prints as a
// gRPC address that parses back to the same endpoint (tcp: and tls: share
// the gRPC address form HOST:PORT, which reads as tls:; only their
// credentials differ).
#include "fuzz_util.h"
#include "wire/endpoint.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cpns::fuzz::Check;
  const auto endpoint = cpns::wire::ParseEndpoint("--listen", cpns::fuzz::AsText(data, size));
  if (!endpoint.ok()) {
    Check(endpoint.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  const auto again = cpns::wire::ParseEndpoint("--listen", endpoint->GrpcAddress());
  using Kind = cpns::wire::Endpoint::Kind;
  const Kind kind = endpoint->kind == Kind::kTcp ? Kind::kTls : endpoint->kind;
  Check(again.ok() && again->kind == kind && again->address == endpoint->address);
  return 0;
}
