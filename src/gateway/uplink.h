// Uplink: this gateway as an assignee of another gateway (OMA CPNS: a PN GW
// acting as a client). The daemon holds two unrelated secrets:
//   - its own 1st seed, from the CPNS Server over its WAN identity (mutual
//     TLS, urn:cpns:gw:<gw_id>), in <state>/first_seed, sealed under the
//     gateway key; it derives the EUKeys of its own PNEs from it;
//   - its uplink EUKey, from the upstream gateway over the PN link (entity
//     type PNGW, entity id = its own gw_id), in <state>/uplink.key (mode
//     0600, the assignee key-file format of cpns-pne --save), which it only
//     presents, never derives from.
// Nothing flows between them: different files, different objects, different
// code paths (the gateway role here, the assignee library there).
//
// Thread-safe.
#ifndef CPNS_GATEWAY_UPLINK_H_
#define CPNS_GATEWAY_UPLINK_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "cpns/assignee/eukey_client.h"
#include "cpns/core/clock.h"
#include "cpns/core/identifiers.h"

namespace cpns::gateway {

struct UplinkOptions {
  std::string gateway;        // unix:PATH or tls:HOST:PORT of the upstream gateway; empty: none
  std::string gateway_ca_file;  // for tls:
  std::string user_id;        // the user the uplink key is for
  std::string pairing_code;   // when the upstream gateway admits by pairing code
  // A device certificate (SAN urn:cpns:entity:<own gw_id>) and its key, when
  // the upstream gateway admits by certificate; tls: only.
  std::string cert_file;
  std::string key_file;
};

// What may be shown of the uplink key: never its bytes.
struct UplinkInfo {
  std::string upstream_gw_id;
  uint32_t seed_epoch = 0;
  int64_t not_after = 0;
};

class Uplink {
 public:
  // `key_file` is where the key is kept; `clock` must outlive the object.
  static absl::StatusOr<std::unique_ptr<Uplink>> Create(const UplinkOptions& options,
                                                        const GatewayId& own_id,
                                                        std::string key_file, const Clock& clock);

  // Loads a kept key, or asks the upstream gateway for one when none is held
  // (or it has expired) and the back-off allows. Called at start and
  // periodically; failures are logged and retried later.
  void Ensure(absl::Duration timeout);
  std::optional<UplinkInfo> held() const;

 private:
  Uplink(std::unique_ptr<assignee::EUKeyClient> client, Assignee self, std::string pairing_code,
         std::string key_file, const Clock& clock)
      : client_(std::move(client)), self_(std::move(self)), pairing_code_(std::move(pairing_code)),
        key_file_(std::move(key_file)), clock_(clock) {}

  const std::unique_ptr<assignee::EUKeyClient> client_;
  const Assignee self_;
  const std::string pairing_code_;
  const std::string key_file_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::optional<UplinkInfo> held_ ABSL_GUARDED_BY(mu_);
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_UPLINK_H_
