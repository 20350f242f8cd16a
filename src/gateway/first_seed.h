// The gateway's view of its 1st seed, and where it comes from.
#ifndef CPNS_GATEWAY_FIRST_SEED_H_
#define CPNS_GATEWAY_FIRST_SEED_H_

#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"
#include "wire/tls.h"

namespace cpns::gateway {

struct FirstSeed {
  GatewayId gw_id;
  uint32_t seed_epoch;
  SecretBytes first_seed;  // kFirstSeedSize bytes
};

// Where a gateway obtains its 1st seed: steps 3-5 of the flow.
// Implementations are thread-safe.
class FirstSeedSource {
 public:
  virtual ~FirstSeedSource() = default;
  // One 1st Seed Request, answered by `deadline`. The result is validated:
  // right gateway, 32-byte seed, epoch >= 1. Any failure is returned with the
  // upstream status code and a message that says what failed.
  virtual absl::StatusOr<FirstSeed> Fetch(absl::Time deadline) = 0;
};

struct ServerConnection {
  std::string server;           // HOST:PORT of the CPNS Server
  std::string server_name;      // TLS name to verify; empty: the host in `server`
  wire::ClientTlsOptions tls;   // operator CA + this gateway's certificate and key
};

// The gateway's one channel to the CPNS Server (mutual TLS), shared by the
// 1st Seed Requests and the relayed authentication calls.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeServerChannel(
    const ServerConnection& connection);

// The real source: FirstSeedService over `channel`.
std::unique_ptr<FirstSeedSource> MakeGrpcFirstSeedSource(const GatewayId& gw_id,
                                                         const std::string& server,
                                                         std::shared_ptr<grpc::Channel> channel);

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_FIRST_SEED_H_
