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
// code paths.
//
// This role does not link the assignee role: the key itself is obtained and
// kept by an UplinkKeySource that the program builds on the assignee library
// (apps/cpns-gw/assignee_uplink.h) and hands in. The gateway decides only
// when to ask, how long to back off, and what to show (UplinkInfo, never the
// key).
#ifndef CPNS_GATEWAY_UPLINK_H_
#define CPNS_GATEWAY_UPLINK_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "cpns/core/clock.h"
#include "cpns/core/identifiers.h"

namespace cpns::gateway {

// What may be shown of the uplink key: never its bytes.
struct UplinkInfo {
  std::string upstream_gw_id;
  uint32_t seed_epoch = 0;
  int64_t not_after = 0;  // Unix seconds
};

// Obtains and keeps the uplink key. Called by one Uplink: LoadKept and
// RequestAndKeep from one thread at a time; ReloadTls from one thread at a
// time too (the daemon's signal thread), concurrently with them.
class UplinkKeySource {
 public:
  virtual ~UplinkKeySource() = default;
  // Re-reads the TLS material towards the upstream gateway (CA bundle,
  // certificate and key): later requests use it. On error the material in
  // use stays; the error names what was wrong, never key bytes. A source
  // without TLS material (unix:) has nothing to re-read.
  virtual absl::Status ReloadTls() { return absl::OkStatus(); }
  // The key kept by an earlier request (even an expired one); NotFound when
  // none is kept, another error when the kept one cannot be read.
  virtual absl::StatusOr<UplinkInfo> LoadKept() = 0;
  // Asks the upstream gateway for a new key, waiting at most `timeout`, and
  // keeps it (replacing the kept one) before returning it.
  virtual absl::StatusOr<UplinkInfo> RequestAndKeep(absl::Duration timeout) = 0;
};

// Builds the source when the gateway starts, for the gateway `own_id`
// (its entity id upstream), keeping the key in `key_file`. An error stops the
// start (bad --uplink-* options).
using UplinkKeySourceFactory = std::function<absl::StatusOr<std::unique_ptr<UplinkKeySource>>(
    const GatewayId& own_id, const std::string& key_file)>;

// Thread-safe: Ensure from one thread at a time (the gateway's status
// thread), ReloadTls from one thread at a time (the signal thread), held()
// from any.
class Uplink {
 public:
  // `clock` must outlive the object.
  Uplink(std::unique_ptr<UplinkKeySource> source, const GatewayId& own_id, const Clock& clock)
      : source_(std::move(source)), own_id_(own_id), clock_(clock) {}

  // Loads a kept key, or asks the upstream gateway for one when none is held
  // (or it has expired) and the back-off allows. Called at start and
  // periodically; failures are logged and retried later.
  void Ensure(absl::Duration timeout);
  // UplinkKeySource::ReloadTls.
  absl::Status ReloadTls() { return source_->ReloadTls(); }
  std::optional<UplinkInfo> held() const;

 private:
  absl::StatusOr<UplinkInfo> LoadOrRequest(int64_t now, absl::Duration timeout);

  const std::unique_ptr<UplinkKeySource> source_;
  const GatewayId own_id_;
  const Clock& clock_;
  mutable Mutex mu_;
  std::optional<UplinkInfo> held_ ABSL_GUARDED_BY(mu_);
  int failures_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_UPLINK_H_
