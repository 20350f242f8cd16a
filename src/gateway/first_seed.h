// The gateway's view of its 1st seed, and where it comes from.
#ifndef CPNS_GATEWAY_FIRST_SEED_H_
#define CPNS_GATEWAY_FIRST_SEED_H_

#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/channel.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/kdf.h"
#include "cpns/core/secret_bytes.h"
#include "wire/tls.h"
#include "wire/tls_reload.h"

namespace cpns::gateway {

struct FirstSeed {
  GatewayId gw_id;
  uint32_t seed_epoch;
  SecretBytes first_seed;  // kFirstSeedSize bytes
  // When the server stored it; the Unix epoch when unknown (old seed files).
  absl::Time created_at = absl::UnixEpoch();
  // After this the gateway must not use it; InfiniteFuture when the server
  // did not say (servers before v3 send 0).
  absl::Time expires_at = absl::InfiniteFuture();
  // first_seed prepared for deriving 2nd seeds (its keyed HMAC state). Set by
  // the SeedCache when it takes a seed in, and dropped with the seed (its
  // states are cleansed when the last copy goes); null elsewhere.
  std::shared_ptr<const SecondSeedDeriver> second_seed_deriver;
};

// The state of one epoch as the CPNS Server reports it (cpns.v1.SeedState).
enum class SeedState { kActive, kRotated, kRetired, kRevoked, kUnknown };

// "ACTIVE", "ROTATED", ... for logs.
absl::string_view SeedStateName(SeedState state);

// What GetSeedStatus says about the gateway's epochs. No secret.
struct SeedStatus {
  uint32_t active_epoch = 0;  // 0: the server has no active seed for us
  absl::Time active_expires_at = absl::InfiniteFuture();
  SeedState epoch_state = SeedState::kUnknown;  // of the epoch asked about
  absl::Time epoch_expires_at = absl::InfiniteFuture();  // of the epoch asked about
};

// For logs: RFC 3339 in UTC, whole seconds; "unknown" for InfiniteFuture.
std::string FormatSeedTime(absl::Time t);

// Wire expiry (Unix seconds, 0 = unknown) <-> absl::Time (InfiniteFuture = unknown).
absl::Time ExpiryFromUnixSeconds(int64_t seconds);
int64_t ExpiryToUnixSeconds(absl::Time expires_at);

// Where a gateway obtains its 1st seed: steps 3-5 of the flow.
// Implementations are thread-safe.
class FirstSeedSource {
 public:
  virtual ~FirstSeedSource() = default;
  // One 1st Seed Request, answered by `deadline`. `renew_epoch` (0: none)
  // asks for an epoch newer than that one; the server may still return it.
  // The result is validated: right gateway, 32-byte seed, epoch >= 1 (and
  // not older than `renew_epoch`), consistent times. Any failure is returned
  // with the upstream status code (PermissionDenied: the gateway is revoked)
  // and a message that says what failed.
  virtual absl::StatusOr<FirstSeed> Fetch(absl::Time deadline, uint32_t renew_epoch) = 0;
  // One Seed Status Request about `held_epoch` (0: none), answered by
  // `deadline`. Validated and reported like Fetch.
  virtual absl::StatusOr<SeedStatus> Status(absl::Time deadline, uint32_t held_epoch) = 0;
};

struct ServerConnection {
  std::string server;           // HOST:PORT of the CPNS Server
  std::string server_name;      // TLS name to verify; empty: the host in `server`
  wire::ClientTlsOptions tls;   // operator CA + this gateway's certificate and key
};

// The gateway's one channel to the CPNS Server (mutual TLS), shared by the
// 1st Seed Requests and the relayed authentication calls, and its
// credentials, which reload (the channel's next connection uses them).
// `tls` must outlive `channel`.
struct ServerChannel {
  std::unique_ptr<wire::ReloadableClientTls> tls;
  std::shared_ptr<grpc::Channel> channel;
};
absl::StatusOr<ServerChannel> MakeServerChannel(const ServerConnection& connection);

// The real source: FirstSeedService over `channel`.
std::unique_ptr<FirstSeedSource> MakeGrpcFirstSeedSource(const GatewayId& gw_id,
                                                         const std::string& server,
                                                         std::shared_ptr<grpc::Channel> channel);

// The wait after the `failures`-th consecutive failure (>= 1) to reach the
// CPNS Server: 1 s doubling, capped at `cap`, then shortened by up to 20% by
// `u`, a uniform draw in [-1, 1] (so a fleet does not retry in step).
absl::Duration Backoff(int failures, absl::Duration cap, double u);

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_FIRST_SEED_H_
